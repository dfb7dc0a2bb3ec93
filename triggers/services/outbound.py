"""The SSRF guard for URLs we send to on a customer's behalf (webhooks, Teams): the name must
resolve only to public addresses, checked when the URL is saved and again before each send
(DNS can change in between), unless `OUTBOUND_ALLOWED_NETWORKS` allows a class of addresses.
Redirects are never followed, so a public URL cannot bounce a request inward.

Public means globally reachable by the IANA special-purpose address registries. An IPv6
address that carries an IPv4 address (IPv4-mapped or -compatible, 6to4, Teredo, NAT64) is
judged by that IPv4 address too, and a class that `OUTBOUND_ALLOWED_NETWORKS` allows passes
only when written plainly (127.0.0.1, not ::ffff:127.0.0.1). Every URL field that we send to
is checked by `resolve_outbound_url`, and nothing else.

A plain-http send goes to the address that was checked (`pinned_url`), so a name cannot
resolve to a public address for the check and to an inward one for the connection (DNS
rebinding). An https send resolves again, but an inward server would have to present a valid
certificate for the customer's host name."""

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The blocks of the IANA IPv4 and IPv6 special-purpose address registries that are not
# globally reachable, by the class named in refusals and in `OUTBOUND_ALLOWED_NETWORKS`
# (first match wins). Explicit because Python's `is_global` misses several (6to4, multicast,
# benchmarking on some versions) and its lists change between Python versions.
_SPECIAL_PURPOSE: tuple[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network], ...] = tuple(
    (name, ipaddress.ip_network(block))
    for name, blocks in (
        ("loopback", ("127.0.0.0/8", "::1/128")),
        ("unspecified", ("0.0.0.0/8", "::/128")),
        # RFC 1918, RFC 6598 shared address space (carrier-grade NAT), IPv6 unique-local.
        ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")),
        ("private", ("fc00::/7",)),
        ("link-local", ("169.254.0.0/16", "fe80::/10")),
        ("site-local", ("fec0::/10",)),
        ("multicast", ("224.0.0.0/4", "ff00::/8")),
        ("reserved", ("240.0.0.0/4",)),  # with the broadcast address
        ("documentation", ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")),
        ("documentation", ("2001:db8::/32", "3fff::/20")),
        ("benchmarking", ("198.18.0.0/15", "2001:2::/48")),
        ("IETF protocol assignment", ("192.0.0.0/24",)),
        ("6to4", ("192.88.99.0/24", "2002::/16")),
        ("IPv4-mapped", ("::ffff:0:0/96",)),
        ("IPv4-compatible", ("::/96",)),
        ("NAT64 local-use", ("64:ff9b:1::/48",)),
        ("discard-only", ("100::/64",)),
        ("Teredo", ("2001::/32",)),
        ("IETF protocol assignment", ("2001::/23",)),
        ("segment-routing", ("5f00::/16",)),
    )
    for block in blocks
)
# NAT64's well-known prefix is globally reachable (DNS64 answers with it on IPv6-only
# networks): such an address is judged by the IPv4 address it carries.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class OutboundURLRefused(ValueError):
    """The URL may not be called: not http(s), no host, or not a public address."""


def _address_class(address: Address) -> str | None:
    """The special-purpose class of an address (`loopback`, `private`, `6to4`, ...), or None
    when it is globally reachable."""
    if address in _NAT64:
        return None
    for name, network in _SPECIAL_PURPOSE:
        if address in network:
            return name
    if address.is_multicast or address.is_reserved or not address.is_global:
        return "reserved"
    return None


def _embedded_ipv4(address: Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv6 form and the IPv4 address it carries (IPv4-mapped or -compatible, 6to4, the
    Teredo client, NAT64): where a packet sent to it may end up."""
    if address.version == 4:
        return None
    if address.ipv4_mapped:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour:
        return "6to4", address.sixtofour
    if address.teredo:
        return "Teredo", address.teredo[1]
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(address))
    return None


def address_refusal(address: Address, *, allowed: frozenset[str] = frozenset()) -> str | None:
    """Why `address` may not be called, or None when it may: it must be globally reachable,
    and so must the IPv4 address it carries. `allowed` classes (OUTBOUND_ALLOWED_NETWORKS)
    pass only when written plainly: an IPv4 address wrapped in an IPv6 form never does."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        form, ipv4 = embedded
        inner = _address_class(ipv4)
        if inner is not None:
            return f"{form} address carrying the {inner} address {ipv4}"
    kind = _address_class(address)
    if kind is None or (embedded is None and kind in allowed):
        return None
    return f"{kind} address"


def resolve_outbound_url(url: str) -> list[str]:
    """The addresses `url`'s host resolves to, all of them allowed; raises OutboundURLRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundURLRefused("only http and https URLs with a host can be called")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise OutboundURLRefused(f"host {parts.hostname!r} does not resolve") from exc
    allowed = frozenset(settings.OUTBOUND_ALLOWED_NETWORKS)
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        refused = address_refusal(address, allowed=allowed)
        if refused is not None:
            raise OutboundURLRefused(f"host {parts.hostname!r} resolves to {address}, a {refused}")
        addresses.append(str(address))
    return addresses


@dataclass(frozen=True)
class PinnedURL:
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def pinned_url(url: str) -> PinnedURL:
    """`url` checked (raises OutboundURLRefused); for http, with its host replaced by the
    address that passed the check and a Host header naming the original host."""
    addresses = resolve_outbound_url(url)
    parts = urlsplit(url)
    if parts.scheme != "http":
        return PinnedURL(url)
    address = addresses[0]
    host = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    userinfo, _, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}@{host}{port}" if userinfo else f"{host}{port}"
    return PinnedURL(urlunsplit(parts._replace(netloc=netloc)), {"host": f"{parts.hostname}{port}"})
