"""Which addresses a crawl may connect to.

A page, a feed or a sitemap can point anywhere: at the machine's own services, at the cloud
metadata address, at the intranet. newsalert connects only to public addresses, checked
where the connection is made: the resolver (GuardedResolver) checks every address a name
resolves to, on every request and every redirect hop, so a name that resolves to a private
address (DNS rebinding included) gets nothing. The downloader middleware (AddressGuard,
crawler/middlewares.py) checks addresses written as literals, in whatever spelling (127.1,
2130706433, 0x7f.1, [::ffff:127.0.0.1]), before any connection.

Refused: loopback, private, link-local (169.254/16, fe80::/10), shared/CGNAT (100.64/10),
unspecified, multicast, reserved and documentation ranges, and IPv4-mapped or -translated
forms of those. An outlet configured on a private or loopback address (the demo, tests, an
intranet site) may fetch its own host and port only, and the hosts in its allowed_domains.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from twisted.internet.error import DNSLookupError

from newsalert.config.models import Outlet

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Why each host was refused by the resolver in this crawl process, for the failure's reason.
REFUSED_HOSTS: dict[str, str] = {}


class AddressRefused(DNSLookupError):
    """A host that resolves to an address newsalert does not connect to."""


def ip_literal(host: str | None) -> IPAddress | None:
    """The address a host written as an IP literal stands for, in any spelling the C library
    accepts (127.1, 0x7f.1, 2130706433, 0177.0.0.1), or None for a name."""
    if not host:
        return None
    host = host.strip("[]").split("%", 1)[0]  # IPv6 brackets and zone index
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not all(ch in "0123456789abcdefxABCDEFX." for ch in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (and not an IPv4 one dressed as IPv6)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return is_public(embedded)
        if address in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64: the IPv4 address in the last 32 bits
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Site:
    host: str
    port: int


def site_of(url: str) -> Site:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    literal = ip_literal(host)
    return Site(str(literal) if literal else host, parts.port or (443 if parts.scheme == "https" else 80))


@dataclass(frozen=True)
class AddressPolicy:
    """Where the crawl's outlets may connect beyond public addresses."""

    # outlet name -> its own site, when the outlet is configured on a non-public address
    private_outlets: dict[str, Site] = field(default_factory=dict)
    # outlet name -> hosts it may also fetch from whatever their address (allowed_domains)
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def for_outlets(cls, outlets: list[Outlet]) -> AddressPolicy:
        private = {}
        for outlet in outlets:
            site = site_of(outlet.url)
            if _configured_private(site.host):
                private[outlet.name] = site
        allowed = {outlet.name: frozenset(domain.lower() for domain in outlet.allowed_domains) for outlet in outlets}
        return cls(private, allowed)

    @property
    def private_hosts(self) -> frozenset[str]:
        """Names the resolver may resolve to non-public addresses: configured ones only."""
        hosts = {site.host for site in self.private_outlets.values()}
        for domains in self.allowed.values():
            hosts |= domains
        return frozenset(hosts)

    def permits(self, outlet: str | None, url: str) -> str | None:
        """None when the outlet may fetch `url` as far as its address goes; else why not.
        (A name's address is checked again when it is resolved.)"""
        target = site_of(url)
        literal = ip_literal(target.host)
        private_target = (literal is not None and not is_public(literal)) or target.host in self.private_hosts
        if not private_target:
            return None
        candidates = [outlet] if outlet else list(self.private_outlets) + list(self.allowed)
        for name in candidates:
            if self.private_outlets.get(name) == target or _in_domains(target.host, self.allowed.get(name, ())):
                return None
        where = f"{target.host}:{target.port}"
        if literal is not None and not is_public(literal):
            return f"{where} is not a public address"
        return f"{where} is reserved for another outlet"


def _in_domains(host: str, domains: Any) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _configured_private(host: str) -> bool:
    """Whether an outlet's host is a non-public address: a literal, localhost, or a name that
    resolves only to non-public addresses now (an intranet site)."""
    literal = ip_literal(host)
    if literal is not None:
        return not is_public(literal)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False  # unknown now: treated as public, and checked when the crawl resolves it
    return bool(addresses) and not any(is_public(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses)
