"""Outbound-URL vetting against server-side request forgery, as the security-mistakes post
ships it.

The rule: resolve the host once, require *every* address to be publicly routable, connect
to exactly those addresses, and vet every redirect again. "Publicly routable" is
:func:`is_public`: :mod:`ipaddress`'s ``is_global`` plus what it misses in Python 3.11, the
IPv6 forms that carry an IPv4 address inside them (IPv4-mapped and -translated, the
deprecated IPv4-compatible form, NAT64, 6to4, Teredo), multicast, and zone-scoped
addresses. Whether a packet to ``64:ff9b::7f00:1`` or ``2002:7f00:1::`` really reaches
127.0.0.1 depends on the network's translators and relays, so the policy refuses them all.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[IP]]

NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 in the low 32 bits
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: never global
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291 deprecated: ::a.b.c.d
_LOW32 = 0xFFFFFFFF
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\.?$){_LABEL}(?:\.{_LABEL})*\.?")


# Internal targets in the spellings that slip past naive checks: host -> what it is. Used by
# the tests and the post as a starting corpus; add every new bypass you meet.
HOSTILE_FORMS: dict[str, str] = {
    "127.0.0.1": "IPv4 dotted", "127.1": "IPv4 short form", "2130706433": "IPv4 decimal",
    "0x7f000001": "IPv4 hex", "0177.0.0.1": "IPv4 octal", "0x7f.1": "IPv4 mixed",
    "0.0.0.0": "IPv4 unspecified", "10.0.0.1": "RFC 1918", "172.16.0.1": "RFC 1918",
    "192.168.1.1": "RFC 1918", "169.254.169.254": "link-local (cloud metadata)",
    "100.100.100.200": "CGNAT (a cloud's metadata)", "224.0.0.1": "IPv4 multicast",
    "::1": "IPv6 loopback", "::": "IPv6 unspecified",
    "::ffff:127.0.0.1": "IPv4-mapped", "::ffff:7f00:1": "IPv4-mapped (hex)",
    "::ffff:169.254.169.254": "IPv4-mapped", "::ffff:0:7f00:1": "IPv4-translated",
    "::127.0.0.1": "IPv4-compatible (deprecated)", "64:ff9b::7f00:1": "NAT64",
    "64:ff9b::a9fe:a9fe": "NAT64", "64:ff9b:1::a00:1": "NAT64 local-use",
    "2002:7f00:1::": "6to4", "2002:a9fe:a9fe::1": "6to4",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "Teredo", "fe80::1": "IPv6 link-local",
    "fe80::1%eth0": "IPv6 link-local, zone", "fd00::1": "IPv6 unique local",
    "fd00:ec2::254": "IPv6 unique local (AWS metadata)", "ff02::1": "IPv6 multicast",
}  # fmt: skip


class Blocked(ValueError):
    """The URL must not be fetched; the message says why, in one line."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, for every form a stack, translator or relay
    may act on; None if it carries none."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): the client is where packets go
    if address in NAT64_WELL_KNOWN or address in IPV4_TRANSLATED or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & _LOW32)
    return None


def is_public(address: IP) -> bool:
    """True only for a unicast address that is globally routable, and whose embedded IPv4
    address, if any, is too."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address in NAT64_LOCAL_USE:
            return False
        inner = embedded_ipv4(address)
        if inner is not None and (address in IPV4_COMPATIBLE or not is_public(inner)):
            return False  # IPv4-compatible is deprecated: no legitimate peer uses it
    return True


def literal_ip(host: str) -> IP | None:
    """The address a host string denotes without DNS, parsed as the C resolver parses it:
    ``inet_aton`` accepts ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1``."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):  # ValueError: an embedded NUL
        return None


def ascii_host(host: str) -> str:
    """The name an HTTP client will really look up: IDNA-encoded, so ``ⓛⓞⓒⓐⓛⓗⓞⓢⓣ`` is
    ``localhost`` and ``127。0。0。1`` is ``127.0.0.1``; anything but letters, digits, hyphens
    and dots is refused."""
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise Blocked(f"invalid host name {host[:80]!r}") from exc
    if literal_ip(name) is None and not _HOST_NAME.fullmatch(name):
        raise Blocked(f"invalid host name {host[:80]!r}")
    return name


def vet_url(url: str, resolve: Resolver) -> list[IP]:
    """Addresses the caller must connect to (pin them: do not resolve again); raises
    :class:`Blocked`."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. an unclosed "[::1"
        raise Blocked(f"malformed URL: {url[:100]!r}") from exc
    if parts.scheme not in {"http", "https"} or not hostname:
        raise Blocked(f"scheme or host not allowed: {url[:100]!r}")
    if parts.username is not None or parts.password is not None:
        raise Blocked("credentials in URL")
    literal = literal_ip(hostname)
    if literal is None:
        hostname = ascii_host(hostname)
        literal = literal_ip(hostname)
    addresses = [literal] if literal is not None else resolve(hostname)
    if not addresses:
        raise Blocked(f"{hostname} does not resolve")
    for address in addresses:
        if not is_public(address):
            raise Blocked(f"{hostname} -> {address} is not public")
    return addresses


def system_resolve(host: str) -> list[IP]:
    """Every address the system resolver returns for ``host`` (A and AAAA)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Blocked(f"{host} does not resolve: {exc.strerror}") from exc
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
