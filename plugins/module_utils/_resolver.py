# -*- coding: utf-8 -*-
# Copyright (c) matrix.wellknown contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""DNS lookups for the discovery checker: SRV records, and A/AAAA with chosen name servers.

dnspython is optional: without it SRV lookups report ``dns-library-missing``
and addresses come from the system resolver. Name servers need it: the module
matrix_wellknown_info refuses them without it (``HAS_DNSPYTHON``,
``DNSPYTHON_IMPORT_ERROR``), and a ``Resolver`` given some raises
``dns-library-missing`` for every lookup.
"""

from __future__ import annotations

import ipaddress
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.matrix.wellknown.plugins.module_utils._grammar import check_ipv6_address, check_port, split_server_name
from ansible_collections.matrix.wellknown.plugins.module_utils._http_client import FetchError, system_addresses

try:
    import dns.exception
    import dns.resolver
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None

DNS_LIBRARY_MISSING = 'dns-library-missing'


def library_missing_message():
    """The message for a missing dnspython, with Ansible's standard wording."""
    return '%s Install dnspython (pip install dnspython) where the module runs.' % missing_required_lib('dnspython')


class DnsError(Exception):
    """A lookup that failed for another reason than "no such record"; code is dns-error or dns-library-missing."""

    def __init__(self, code, message):
        super(DnsError, self).__init__(message)
        self.code = code
        self.message = message


def parse_nameservers(values):
    """Parse ``ADDRESS`` / ``ADDRESS:PORT`` entries (IPv6 as ``[ADDR]:PORT`` or bare); return (list of (ip, port), errors)."""
    servers, errors = [], []
    for value in values or []:
        if not isinstance(value, str) or not value:
            errors.append('nameservers entry %r is not an address' % (value,))
            continue
        address, port = value, '53'
        if value.startswith('['):
            host, given_port = split_server_name(value)
            if not host.endswith(']'):
                errors.append('nameservers entry %r is not ADDRESS or ADDRESS:PORT' % value)
                continue
            address, port = host[1:-1], given_port if given_port is not None else '53'
        elif value.count(':') == 1:
            address, port = value.split(':')
        try:
            ipaddress.ip_address(address)
        except ValueError:
            errors.append('nameservers entry %r is not an IP address (with an optional :PORT; IPv6 with a port as [ADDRESS]:PORT)' % value)
            continue
        problem = check_ipv6_address(address) if ':' in address else None
        if problem:
            errors.append('nameservers entry %r %s' % (value, problem))
            continue
        problem = check_port(port)
        if problem:
            errors.append('nameservers entry %r %s' % (value, problem))
            continue
        servers.append((address, int(port)))
    return servers, errors


class Resolver(object):
    """SRV and address lookups; with ``nameservers`` every lookup goes to them only."""

    def __init__(self, nameservers=None, timeout=10.0):
        self.nameservers = list(nameservers or [])
        self.timeout = float(timeout)
        self._resolver = None
        # One run asks for the same names several times; a failure (a timeout above all) is paid for once.
        self._cache = {}

    def _dns(self):
        if not HAS_DNSPYTHON:
            raise DnsError(DNS_LIBRARY_MISSING, library_missing_message())
        if self._resolver is None:
            if self.nameservers:
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = [address for address, dummy in self.nameservers]
                resolver.nameserver_ports = dict(self.nameservers)
            else:
                try:
                    resolver = dns.resolver.Resolver()
                except dns.exception.DNSException as exc:
                    raise DnsError('dns-error', 'the system DNS configuration cannot be read: %s' % exc)
            resolver.timeout = self.timeout
            resolver.lifetime = self.timeout
            self._resolver = resolver
        return self._resolver

    def _query(self, name, rdtype):
        """Return (answer, missing): answer is None when the record does not exist, missing says why."""
        resolver = self._dns()
        try:
            return resolver.resolve(name, rdtype, search=False), None
        except dns.resolver.NXDOMAIN:
            return None, 'does not exist in DNS (NXDOMAIN)'
        except dns.resolver.NoAnswer:
            return None, 'has no %s record' % rdtype
        except dns.exception.Timeout:
            raise DnsError('dns-error', 'the %s lookup of %s timed out after %g s' % (rdtype, name, self.timeout))
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsError('dns-error', 'the %s lookup of %s failed: %s' % (rdtype, name, exc))

    def _cached(self, key, lookup):
        if key not in self._cache:
            try:
                self._cache[key] = (lookup(), None)
            except (DnsError, FetchError) as exc:
                self._cache[key] = (None, exc)
        value, error = self._cache[key]
        if error is not None:
            raise error
        return list(value)

    def srv(self, name):
        """SRV records of name as dicts (priority, weight, port, target), best first; [] when there are none."""
        return self._cached(('SRV', name.lower()), lambda: self._srv(name))

    def _srv(self, name):
        answer = self._query(name, 'SRV')[0]
        records = []
        for record in answer or []:
            target = record.target.to_text(omit_final_dot=True)
            if target == '.' or not target:
                # A target of "." means the service is decidedly not available.
                continue
            records.append(dict(priority=record.priority, weight=record.weight, port=record.port, target=target))
        records.sort(key=lambda record: (record['priority'], -record['weight'], record['target']))
        return records

    def canonical_name(self, host):
        """The name host's A/AAAA records really belong to (differs from host for a CNAME), or None if unknown."""
        if not HAS_DNSPYTHON:
            return None
        for rdtype in ('A', 'AAAA'):
            try:
                answer = self._query(host, rdtype)[0]
            except DnsError:
                return None
            if answer is not None:
                return answer.canonical_name.to_text(omit_final_dot=True)
        return None

    def addresses(self, host, port):
        """IP addresses of host (A then AAAA); raise DnsError when there are none."""
        if not self.nameservers:
            return self._cached(('SYSTEM', host.lower(), port), lambda: system_addresses(host, port))
        return self._cached(('ADDRESSES', host.lower()), lambda: self._addresses(host))

    def _addresses(self, host):
        found, missing = [], None
        for rdtype in ('A', 'AAAA'):
            try:
                answer, why = self._query(host, rdtype)
            except DnsError:
                if found:
                    break
                raise
            missing = missing or why
            found.extend(record.to_text() for record in answer or [])
        if found:
            return found
        if missing and 'NXDOMAIN' in missing:
            raise DnsError('dns-error', 'the name %s %s' % (host, missing))
        raise DnsError('dns-error', 'the name %s has no A or AAAA record' % host)
