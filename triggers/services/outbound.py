"""The SSRF guard for URLs we send to on a customer's behalf (webhooks, Teams): the name must
resolve only to public addresses, checked when the URL is saved and again before each send
(DNS can change in between), unless `OUTBOUND_ALLOWED_NETWORKS` allows a class of addresses.
Redirects are never followed, so a public URL cannot bounce a request inward.

A plain-http send goes to the address that was checked (`pinned_url`), so a name cannot
resolve to a public address for the check and to an inward one for the connection (DNS
rebinding). An https send resolves again, but an inward server would have to present a valid
certificate for the customer's host name."""

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

# RFC 6598 shared address space (carrier-grade NAT): not flagged private by `ipaddress`.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class OutboundURLRefused(ValueError):
    """The URL may not be called: not http(s), no host, or not a public address."""


def _address_class(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not public (`loopback`, `private`, ...), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address in _CGNAT:
        return "private"
    if address.is_private:  # RFC 1918, IPv6 unique-local, and other reserved blocks
        return "private"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "reserved"
    return None


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
    allowed = set(settings.OUTBOUND_ALLOWED_NETWORKS)
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        refused = _address_class(address)
        if refused is not None and refused not in allowed:
            raise OutboundURLRefused(
                f"host {parts.hostname!r} resolves to a {refused} address ({address})"
            )
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
