#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: matrix_wellknown_info
short_description: Check a live Matrix discovery setup (C(/.well-known/matrix/*), federation, client endpoints)
version_added: 0.1.0
description:
  - Fetches C(https://<host>/.well-known/matrix/server), C(client) and C(support) the way Matrix servers and clients
    do (redirects followed hop by hop, at most 10; bodies read with a bound), and checks status, JSON, the documents
    against the Matrix specification, C(Content-Type), C(Cache-Control), size, and CORS on C(client) and C(support)
    (on the document, on every redirect in front of it, and for an C(OPTIONS) preflight).
  - Resolves the server name for federation as the specification describes (explicit port, C(m.server) of the
    server document, SRV records C(_matrix-fed._tcp) then C(_matrix._tcp), then port 8448) and calls
    C(/_matrix/federation/v1/version) there with the TLS name and C(Host) header a remote server would use.
    Signing keys are not verified.
  - Calls C(/_matrix/client/versions) under C(m.homeserver.base_url) of the client document, and
    C(/_matrix/identity/v2) under C(m.identity_server.base_url) when present.
  - Checks each address (A and AAAA) of the base domain, of the federation target and of the C(base_url) host on its
    own, with the same TLS name, C(Host) and certificate check, and reports an address that fails while others answer.
  - Recognises a challenge page of a CDN or bot protection (Cloudflare's C(cf-mitigated), HTML from a CDN) and any
    HTML page served in place of JSON; reports the cache lifetime remote servers apply to the server document, and
    certificates that expire within O(certificate_warning_days).
  - Checks the newer discovery surfaces when they are present, C(/.well-known/matrix/policy_server) (Matrix v1.18),
    C(/_matrix/client/v1/auth_metadata) (Matrix v1.15) when the client document announces
    C(org.matrix.msc2965.authentication), and each C(livekit_service_url) of C(org.matrix.msc4143.rtc_foci) (each
    distinct URL once, the first 5; more are a C(too-many-rtc-foci) warning).
  - Sends each distinct request once, and stops at O(deadline). A document that nests arrays or objects more than 64
    levels deep is an C(invalid-document) error and is not returned.
  - RV(report) holds the same findings as lines for people; the playbook C(matrix.wellknown.check) prints them.
  - Read-only. Findings are returned in RV(problems) and never fail the task; the task fails only for invalid options.
    Use RV(ok) in an M(ansible.builtin.assert) to fail a play on errors.
  - The checks run on the host the module runs on; run it on C(localhost) (or a host outside the web server) to see
    what the rest of the world sees.
author:
  - matrix.wellknown contributors (@matrix-wellknown)
requirements:
  - dnspython, for SRV lookups and for O(nameservers). Without it, RV(problems) holds a C(dns-library-missing)
    problem when an SRV lookup was needed, and the task fails when O(nameservers) is given.
options:
  server_name:
    description:
      - The Matrix server name, the part after C(:) in user IDs, for example C(example.com).
      - It may have a port (C(example.com:8448)); then, as the specification says, remote servers connect there
        directly and never read the server document. The documents are always fetched on port 443 of the host.
    type: str
    required: true
  connect_to:
    description:
      - Connections to C(HOST:PORT) go to C(CONNECT_HOST:CONNECT_PORT) instead, while the TLS name (SNI), the
        certificate check and the C(Host) header keep the original name, like the C(--connect-to) option of curl.
      - Each entry is C(HOST:PORT:CONNECT_HOST:CONNECT_PORT), IPv6 addresses in brackets. An empty C(HOST) or C(PORT)
        matches any; an empty C(CONNECT_HOST) or C(CONNECT_PORT) keeps the original. The first matching entry wins.
      - Applies to every connection the module makes (documents, federation, including SRV targets, client versions,
        identity server). Use it to test a new server before changing DNS.
    type: list
    elements: str
    default: []
  ca_path:
    description:
      - A file or directory of CA certificates (PEM) to trust instead of the system's.
    type: path
  validate_certs:
    description:
      - Whether TLS certificates are verified. Turning this off hides certificate problems that break federation and
        clients; it is meant for experiments only.
    type: bool
    default: true
  timeout:
    description:
      - Seconds allowed for each request (connection, TLS handshake, answer and body together) and for each DNS lookup.
      - At most 3600.
    type: float
    default: 10
  deadline:
    description:
      - Seconds the whole check may take, at most 86400. A request still running then is cut short, and the checks
        not started do not run; a C(deadline-exceeded) error in RV(problems) names them.
      - Servers that accept connections and never answer each hold a request for O(timeout); the deadline bounds the
        sum (a client document can name many URLs).
    type: float
    default: 120
  nameservers:
    description:
      - DNS servers for SRV and address lookups, each C(ADDRESS) or C(ADDRESS:PORT) (IPv6 with a port as
        C([ADDRESS]:PORT)). When given, every name is resolved through them only; this requires dnspython, and without
        it the task fails.
      - By default SRV records come from the system's DNS configuration and addresses from the system resolver.
    type: list
    elements: str
    default: []
  certificate_warning_days:
    description:
      - A certificate of the base domain, the homeserver of C(base_url) or the federation target that expires within
        this many days is a C(certificate-expiring) warning. An expired one is a C(tls-error).
    type: int
    default: 14
  expected:
    description:
      - The documents that should be served, to catch stale copies (for example a hand-copied file on the base domain
        that misses newer keys). A served document that differs (compared as parsed JSON) is a C(stale-document) error,
        and so is an expected document that is not served.
    type: dict
    suboptions:
      server:
        description: The expected C(/.well-known/matrix/server) document.
        type: dict
      client:
        description: The expected C(/.well-known/matrix/client) document.
        type: dict
      support:
        description: The expected C(/.well-known/matrix/support) document.
        type: dict
      policy_server:
        description: The expected C(/.well-known/matrix/policy_server) document.
        type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything, so it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Every problem has a stable C(code). RV(problems[].code) lists them with the fix for each, and so does
    R(the checker guide,ansible_collections.matrix.wellknown.docsite.guide_checker).
  - CORS is checked with the origin C(https://matrix-wellknown-check.invalid); a correct setup answers
    C(Access-Control-Allow-Origin) with C(*).
seealso:
  - module: matrix.wellknown.matrix_wellknown
  - name: Matrix server-server API, resolving server names
    description: How remote servers find the federation endpoint of a server name.
    link: https://spec.matrix.org/latest/server-server-api/#resolving-server-names
  - name: Matrix client-server API, server discovery
    description: How clients use C(/.well-known/matrix/client).
    link: https://spec.matrix.org/latest/client-server-api/#server-discovery
"""

EXAMPLES = r"""
- name: Check the public setup of example.com
  matrix.wellknown.matrix_wellknown_info:
    server_name: example.com
  register: matrix_discovery

- name: Fail when something is broken
  ansible.builtin.assert:
    that: matrix_discovery.ok
    fail_msg: "{{ matrix_discovery.problems | selectattr('severity', 'equalto', 'error') | map(attribute='message') | list }}"

- name: Check a new web server before the DNS cut-over, and compare with the documents it should serve
  matrix.wellknown.matrix_wellknown_info:
    server_name: example.com
    connect_to:
      - "example.com:443:203.0.113.10:443"
      - "matrix.example.com:443:203.0.113.10:443"
    expected:
      server:
        m.server: matrix.example.com:443
      client:
        m.homeserver:
          base_url: https://matrix.example.com
  register: matrix_discovery
  delegate_to: localhost

- name: Print the report, one line per check
  ansible.builtin.debug:
    msg: "{{ matrix_discovery.report }}"

- name: Look up SRV records with a given name server
  matrix.wellknown.matrix_wellknown_info:
    server_name: example.org
    nameservers:
      - 192.0.2.53
      - "[2001:db8::53]:5353"
    timeout: 5
"""

RETURN = r"""
ok:
  description: Whether no problem has severity C(error).
  returned: always
  type: bool
  sample: false
problems:
  description: Everything found wrong, in the order the checks ran.
  returned: always
  type: list
  elements: dict
  contains:
    document:
      description:
        - The document the problem belongs to (C(server), C(client), C(support) or C(policy_server)), or null for
          federation and DNS.
        - Problems of the base domain as a whole (an address, its certificate) are reported on C(server), those of the
          C(base_url) host on C(client).
      type: str
      sample: client
    severity:
      description: C(error) (something breaks) or C(warning) (works, but is fragile or against a SHOULD of the specification).
      type: str
      sample: error
    code:
      description:
        - 'A stable kebab-case identifier. The codes, their severity, what each means and how to fix it:'
        - 'C(not-found) (C(client): warning; C(server): error, or warning when port 8448 of the server name answers):
          The document answers 404. For C(server) it is reported only when no SRV record delegates federation either (an
          explicit port needs no document). A missing C(support) document is fine and not reported. Fix: Publish the
          document (the C(matrix_wellknown) module or the role writes it) and serve it on the base domain.'
        - 'C(http-status) (error): The document answers with a status other than 200 or 404 (after redirects). Fix:
          Serve it with 200; for an absent C(support) document answer 404.'
        - 'C(redirect-loop) (error): The redirects come back to a URL already visited. Fix: Make the chain end in a 200
          answer.'
        - 'C(too-many-redirects) (error): More than 10 redirects. Fix: Redirect once, or serve the document directly.'
        - 'C(bad-redirect) (error): A redirect without a C(Location) header, or to something that is not an absolute
          http(s) URL. Fix: Fix the C(Location) header.'
        - 'C(insecure-redirect) (C(client): error; others: warning): A redirect from https to plain http. Browsers block
          an https page from reading plain http (mixed content), so Element Web cannot read such a client document. Fix:
          Redirect to https only.'
        - 'C(redirected) (warning): The C(client) document is reached through redirects; clients before Matrix v1.20 do
          not follow them. Fix: Serve the client document directly with 200 on the base domain.'
        - 'C(too-large) (error): The body is 50 KiB or more (reading stops after 64 KiB); Matrix servers read at most 50
          KiB. Fix: Serve a small document.'
        - 'C(not-utf8) (error): The body is not valid UTF-8 (a compressed body is C(content-encoding) instead). Fix:
          Save the file as UTF-8.'
        - 'C(invalid-json) (error): The body is empty, not JSON, has a byte order mark, or uses C(NaN)/C(Infinity). Fix:
          Fix the syntax; C(python3 -m json.tool FILE) shows where.'
        - 'C(invalid-document) (error or warning, as the rule): The JSON breaks a rule of the specification, for example
          C(m.server) with a scheme, a C(client) document without C(m.homeserver.base_url), a C(support) document
          without contacts or page, a C(policy_server) document whose C(public_keys.ed25519) is not the unpadded base64
          of 32 bytes. The message names the field. Fix: Change the field as the message says.'
        - 'C(stale-document) (error): The served document differs from the one given in C(expected) (compared as parsed
          JSON; the message lists missing, unexpected and different keys), or an expected document is not served. Fix:
          Replace the served copy (often a hand-copied file on the base domain) with the current document.'
        - 'C(content-type) (warning): The document is not served as C(application/json). Fix: Serve it with
          C(Content-Type: application/json) (nginx: C(default_type application/json;)).'
        - 'C(cache-control) (warning): No C(Cache-Control) header; remote servers then cache the server document for 24
          hours. Fix: Add one, such as C(Cache-Control: max-age=3600).'
        - 'C(cors-missing) (C(client): error; C(support): warning): The answer to a cross-origin GET has no
          C(Access-Control-Allow-Origin) header, one for another origin, or more than one. Browser clients such as
          Element Web cannot read the document. Fix: Add C(Access-Control-Allow-Origin: *).'
        - 'C(cors-missing-on-redirect) (C(client): error; C(support): warning): A redirect in front of the document has
          no C(Access-Control-Allow-Origin); browsers stop at that redirect. Fix: Add C(Access-Control-Allow-Origin: *)
          to the redirect response too (nginx: C(add_header ... always;)), or serve the document directly.'
        - 'C(cors-preflight) (warning): C(OPTIONS) with C(Origin) and C(Access-Control-Request-Method: GET) does not get
          a 2xx answer with C(Access-Control-Allow-Origin). Fix: Answer C(OPTIONS) with 204 and
          C(Access-Control-Allow-Origin: *), C(Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS),
          C(Access-Control-Allow-Headers: X-Requested-With, Content-Type, Authorization).'
        - 'C(connection-failed) (error (warning for the documents of a server name with a port, which remote servers
          never read)): The TCP connection was refused or broke. Fix: Make a web server listen on port 443 of the host,
          and DNS (or C(connect_to)) point to it.'
        - 'C(timeout) (error): No connection, TLS handshake or complete answer within C(timeout) seconds. Fix: Check the
          firewall, proxy and web server.'
        - 'C(tls-error) (error): The TLS handshake failed, or the certificate is not valid for the name (mismatch,
          expired, untrusted CA, missing chain). Fix: Serve a certificate for that name, valid, current and issued by a
          trusted CA, with the full chain. The base domain needs its own certificate.'
        - 'C(http-error) (error): The answer is not valid HTTP (another protocol on the port, a body cut short). Fix:
          Make the port speak HTTPS, and fix the proxy in front.'
        - 'C(invalid-url) (error): A URL to fetch has spaces, control or non-ASCII characters. Fix: Use plain ASCII URLs
          (percent-encode the rest).'
        - 'C(dns-error) (error): A name does not resolve (NXDOMAIN, no A/AAAA record), or a DNS lookup failed (timeout,
          refused, SERVFAIL). With document null: an SRV lookup failed, so remote servers cannot tell whether federation
          is delegated. Fix: Publish the records, or fix the name server.'
        - 'C(dns-library-missing) (error): The Python library dnspython is missing where the module runs; SRV records
          were not looked up (with O(nameservers) the task fails instead). Reported once. Fix: C(pip install dnspython)
          for the Python that runs the module.'
        - 'C(deprecated-srv) (warning): Only the deprecated C(_matrix._tcp) SRV record exists. Fix: Publish
          C(_matrix-fed._tcp.<name>) with the same target too.'
        - 'C(srv-target-cname) (warning): An SRV target is a CNAME, which SRV targets must not be. Fix: Point the SRV
          record at the canonical name.'
        - 'C(server-document-ignored) (warning): The server name has an explicit port (or is an IP address), so remote
          servers never read the server document that is served. Fix: Use the server name without port to delegate with
          the document, or drop the document.'
        - 'C(federation-failed) (error (warning for an SRV target when another one answers)): C(GET
          /_matrix/federation/v1/version) at the resolved address failed (connection, TLS name, status, no JSON
          C(server) object). The message says where it connected, which certificate name and C(Host) header it used, and
          why that target was chosen. Fix: Run the homeserver''s federation listener there with a certificate for the
          name in the message, or fix C(m.server) / the SRV record.'
        - 'C(address-failed) (error): A name has several addresses (A and AAAA) and one of them fails (no connection,
          TLS error, another status) while the others answer; the message names the address and its family. Reported on
          C(server) for the base domain (all its documents), on C(client) for the C(base_url) host, with document null
          for the federation target. C(addresses) in the result lists each address checked. Fix: Fix or remove the stale
          record (often an AAAA), make the web server listen on both families (nginx: C(listen [::]:443 ssl;) too), open
          the firewall.'
        - 'C(bot-challenge) (error): The document is answered with a challenge of a CDN or bot protection (Cloudflare''s
          C(cf-mitigated: challenge), a 403/503 HTML page from a CDN). Browsers pass it, Matrix servers and clients
          cannot. Fix: Exempt C(/.well-known/matrix/) from bot protection (Cloudflare: a WAF custom rule "URI Path
          starts with C(/.well-known/matrix/)" with the action Skip, and no Bot Fight Mode or "Under Attack" mode
          there).'
        - 'C(html-instead-of-json) (error): A 200 answer holds an HTML page where the JSON document belongs (a CMS or a
          catch-all rule answers the path). Fix: Serve the file at C(/.well-known/matrix/<name>) before any catch-all
          rule, as C(application/json).'
        - 'C(content-encoding) (error): The body is compressed (C(Content-Encoding: gzip), ...) although the request
          accepted no compression, so readers get compressed bytes. Fix: Serve the plain file to requests without
          C(Accept-Encoding) (nginx: no C(gzip_static always), no added C(Content-Encoding) header).'
        - 'C(cache-lifetime) (warning): The server document is sent with C(Cache-Control: no-store), C(max-age=0) or an
          expired C(Expires) (remote servers fetch it again for almost every request and fail while the base domain is
          down), or asks for more than 48 hours (the specification''s cap). C(server_cache) in the result gives the
          lifetime remote servers apply (24 hours without a header). Fix: Send C(Cache-Control: max-age=3600) up to
          C(max-age=172800).'
        - 'C(certificate-expiring) (warning): The certificate of the base domain (on C(server)), of the C(base_url) host
          (on C(client)) or of the federation target (document null) expires within C(certificate_warning_days) (14). An
          expired one is a C(tls-error). Fix: Renew it, and check that the renewal job runs and reloads the web server.'
        - 'C(auth-metadata-missing) (warning): The client document announces C(org.matrix.msc2965.authentication), but
          C({base_url}/_matrix/client/v1/auth_metadata) (Matrix v1.15) does not answer with an C(issuer); the well-known
          key is the deprecated way. Fix: Make the homeserver (or MAS behind it) answer C(auth_metadata).'
        - 'C(auth-issuer-mismatch) (error): The C(issuer) of C(auth_metadata) differs from
          C(org.matrix.msc2965.authentication.issuer) (compared exactly; a trailing C(/) counts). Fix: Set the
          well-known issuer to the one the homeserver announces, or fix the homeserver''s.'
        - 'C(rtc-focus-unreachable) (warning): A C(livekit_service_url) of C(org.matrix.msc4143.rtc_foci) is not an
          https URL, cannot be reached, or answers 5xx: Element Call cannot use that focus. Fix: Make the LiveKit JWT
          service answer there over HTTPS, or fix the URL.'
        - 'C(too-many-rtc-foci) (warning): C(org.matrix.msc4143.rtc_foci) names more than 5 different
          C(livekit_service_url) values; only the first 5 were probed (each distinct URL once). Fix: List only the foci
          you run.'
        - 'C(deadline-exceeded) (error): The whole check did not finish within O(deadline) (120 s by default); the
          message names the checks that did not run or stopped midway, so the result is incomplete. Fix: Fix the
          servers that time out (see the C(timeout) problems), or give a larger O(deadline).'
        - 'C(versions-failed) (error): C({base_url}/_matrix/client/versions) failed or has no C(versions) list of
          strings; clients stop there. Fix: Make the homeserver answer under that C(base_url) (check the reverse proxy),
          or fix C(m.homeserver.base_url).'
        - 'C(identity-server-failed) (error): C({base_url}/_matrix/identity/v2) of C(m.identity_server) does not answer
          200; clients refuse to continue. Fix: Make the identity server answer, or remove C(m.identity_server).'
      type: str
      sample: cors-missing
    message:
      description: What is wrong and what to change.
      type: str
      sample: >-
        https://example.com/.well-known/matrix/client has no Access-Control-Allow-Origin header for a cross-origin GET:
        add the header Access-Control-Allow-Origin: * (browser clients such as Element Web cannot read it otherwise).
  sample:
    - document: client
      severity: error
      code: cors-missing
      message: >-
        https://example.com/.well-known/matrix/client has no Access-Control-Allow-Origin header for a cross-origin GET:
        add the header Access-Control-Allow-Origin: * (browser clients such as Element Web cannot read it otherwise).
report:
  description:
    - The findings as lines for people, grouped by C(server), C(client), C(support), C(policy_server) (when served) and
      C(federation), one line per check with its verdict (C(ok), C(WARNING), C(ERROR)), each problem under its check,
      and a summary line last.
  returned: always
  type: list
  elements: str
  sample:
    - Matrix discovery of example.com
    - "server: /.well-known/matrix/server"
    - "  ok       reachable over HTTPS"
    - "Summary: 0 errors, 0 warnings: everything checked works."
checks:
  description: The checks that ran, per group (C(server), C(client), C(support), C(policy_server), C(federation)), in order.
  returned: always
  type: dict
  sample:
    server: [{"check": "reachable over HTTPS", "verdict": "ok"}]
addresses:
  description:
    - One entry per address checked, for the base domain, the federation target and the C(base_url) host.
      With one address (or a C(connect_to) entry) the normal request stands for it.
  returned: always
  type: list
  elements: dict
  contains:
    checked:
      description: What the name is, such as C(the federation target).
      type: str
    host:
      description: The name resolved.
      type: str
    address:
      description: The IP address connected to.
      type: str
    family:
      description: C(IPv4) or C(IPv6).
      type: str
    port:
      description: The port connected to.
      type: int
    url:
      description: The URL requested through that address.
      type: str
    ok:
      description: Whether the address answered as the name does.
      type: bool
    answer:
      description: The status it answered, or why it failed.
      type: str
  sample:
    - {"checked": "the base domain, all its documents", "host": "example.com", "address": "2001:db8::1", "family": "IPv6",
       "port": 443, "url": "https://example.com/.well-known/matrix/server", "ok": false,
       "answer": "cannot connect to [2001:db8::1]:443 (2001:db8::1): Connection refused"}
certificates:
  description: The certificates seen (with verification on), each with C(name), C(port), C(checked), C(not_after) and C(days_left).
  returned: always
  type: list
  elements: dict
  sample:
    - {"name": "example.com", "port": 443, "checked": "the base domain", "not_after": "2027-01-30T12:00:00Z", "days_left": 61}
server_cache:
  description:
    - How long remote homeservers keep the server document, read from its headers as Synapse does. C(source) is
      C(no-store), C(max-age), C(expires) or C(default) (no header, 24 hours); C(header) the seconds the headers ask for;
      C(seconds) the lifetime applied after the specification's 48-hour cap. Null when no server document was read.
  returned: always
  type: dict
  sample: {"source": "max-age", "header": 14400, "seconds": 14400}
documents:
  description:
    - The served documents as parsed JSON, keyed C(server), C(client) and C(support), null when absent or unreadable;
      C(policy_server) too when it is served.
  returned: always
  type: dict
  sample:
    server:
      m.server: matrix.example.com:443
    client:
      m.homeserver:
        base_url: https://matrix.example.com
    support: null
federation:
  description: How remote servers reach the server name, and what answered.
  returned: always
  type: dict
  contains:
    method:
      description:
        - V(explicit) (the server name has a port or is an IP address), V(well-known) (C(m.server) of the server document),
          V(srv) (SRV record of the server name) or V(fallback) (port 8448 of the server name).
      type: str
      sample: well-known
    server_name:
      description: The server name checked.
      type: str
      sample: example.com
    delegated_server_name:
      description: C(m.server) of the server document when it was used, else null.
      type: str
      sample: matrix.example.com:443
    host:
      description: The host connected to (the SRV target, delegated host, or server name).
      type: str
      sample: matrix.example.com
    port:
      description: The port connected to.
      type: int
      sample: 443
    tls_name:
      description: The name the certificate must be valid for (also sent as SNI, unless it is an IP address).
      type: str
      sample: matrix.example.com
    host_header:
      description: The C(Host) header sent.
      type: str
      sample: matrix.example.com:443
    srv:
      description: The SRV records found, best first, each with C(name), C(priority), C(weight), C(port) and C(target).
      type: list
      elements: dict
      sample: []
    version:
      description: The C(server) object of C(/_matrix/federation/v1/version), or null when it did not answer.
      type: dict
      sample: {"name": "Synapse", "version": "1.120.0"}
  sample:
    method: well-known
    server_name: example.com
    delegated_server_name: matrix.example.com:443
    host: matrix.example.com
    port: 443
    tls_name: matrix.example.com
    host_header: matrix.example.com:443
    srv: []
    version: {"name": "Synapse", "version": "1.120.0"}
client:
  description: What clients find through the client document.
  returned: always
  type: dict
  contains:
    base_url:
      description: C(m.homeserver.base_url), or null when the client document has none.
      type: str
      sample: https://matrix.example.com
    versions:
      description: The C(versions) list of C(/_matrix/client/versions), or null when it failed.
      type: list
      elements: str
      sample: ["v1.11", "v1.12"]
    identity_server:
      description: C(m.identity_server.base_url), or null.
      type: str
      sample: https://vector.im
    auth_issuer:
      description:
        - The C(issuer) of C(/_matrix/client/v1/auth_metadata), when the client document announces
          C(org.matrix.msc2965.authentication) and the endpoint answers; else null.
      type: str
      sample: https://auth.example.com/
    rtc_foci:
      description: Each distinct C(livekit_service_url) of C(org.matrix.msc4143.rtc_foci) probed (the first 5), with C(ok) and C(answer).
      type: list
      elements: dict
      sample: [{"livekit_service_url": "https://rtc.example.com/livekit/jwt", "ok": true, "answer": "HTTP 404 Not Found"}]
  sample:
    base_url: https://matrix.example.com
    versions: ["v1.11", "v1.12"]
    identity_server: null
    auth_issuer: null
    rtc_foci: []
"""

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.matrix.wellknown.plugins.module_utils._check_context import parse_server_name
from ansible_collections.matrix.wellknown.plugins.module_utils._checker import Checker
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import Client, parse_connect_to
from ansible_collections.matrix.wellknown.plugins.module_utils._resolver import (
    DNSPYTHON_IMPORT_ERROR,
    HAS_DNSPYTHON,
    Resolver,
    parse_nameservers,
)

MAX_TIMEOUT = 3600
MAX_DEADLINE = 86400


def main():
    module = AnsibleModule(
        argument_spec=dict(
            server_name=dict(type='str', required=True),
            connect_to=dict(type='list', elements='str', default=[]),
            ca_path=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
            timeout=dict(type='float', default=10),
            deadline=dict(type='float', default=120),
            certificate_warning_days=dict(type='int', default=14),
            nameservers=dict(type='list', elements='str', default=[]),
            expected=dict(type='dict', options=dict(
                server=dict(type='dict'),
                client=dict(type='dict'),
                support=dict(type='dict'),
                policy_server=dict(type='dict'),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        parse_server_name(params['server_name'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for name, most in (('timeout', MAX_TIMEOUT), ('deadline', MAX_DEADLINE)):
        # "not 0 < x <= most" also refuses nan; a larger number overflows the socket timeouts.
        if not 0 < params[name] <= most:
            module.fail_json(msg='%s must be a number of seconds greater than 0 and at most %d, not %r'
                             % (name, most, params[name]))
    if params['certificate_warning_days'] < 0:
        module.fail_json(msg='certificate_warning_days must be 0 or more, not %r' % params['certificate_warning_days'])
    rules, errors = parse_connect_to(params['connect_to'])
    nameservers, more_errors = parse_nameservers(params['nameservers'])
    errors.extend(more_errors)
    if errors:
        module.fail_json(msg='; '.join(errors))
    if nameservers and not HAS_DNSPYTHON:
        # Every lookup goes to these servers, through dnspython: without it the check could reach nothing.
        module.fail_json(msg=missing_required_lib('dnspython', reason='for the option nameservers'),
                         exception=DNSPYTHON_IMPORT_ERROR)

    deadline = time.monotonic() + params['deadline']
    resolver = Resolver(nameservers, timeout=params['timeout'])
    try:
        client = Client(connect_to=rules, ca_path=params['ca_path'], validate_certs=params['validate_certs'],
                        timeout=params['timeout'], resolve=resolver.addresses, deadline=deadline)
    except (OSError, ValueError) as exc:
        module.fail_json(msg='ca_path %s cannot be loaded as PEM CA certificates: %s' % (params['ca_path'], exc))
    result = Checker(params['server_name'], client, resolver, params['expected'],
                     certificate_warning_days=params['certificate_warning_days'], deadline=deadline).run()
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
