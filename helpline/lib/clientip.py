"""Who is on the other end: the client's address, and the key it is counted by.

`client_ip(request)`: the client's address. It is REMOTE_ADDR, the peer that
opened the connection, unless that peer is one of HELPLINE_TRUSTED_PROXIES
(addresses or CIDR ranges; empty by default; the word `unix` trusts a peer with
no IP address, which is what a proxy connected over a Unix socket is: without
it, every client behind such a proxy would share one "unknown" bucket). Then the
client is taken from X-Forwarded-For, walking it from the right (the entry the
trusted peer itself wrote) past every trusted proxy to the first address that is
not one: the right-most untrusted entry. Whatever is left of it was written by the client and
proves nothing, so a client cannot pick its address by sending the header; from
an untrusted peer the header is ignored altogether. This one function gives the
address to every rate limit (API throttles, sign-in bounds, portal forms,
osTicket endpoints, django-axes through AXES_CLIENT_IP_CALLABLE) and to the API
keys' address allowlists.

`rate_key(request)`: what every rate limit counts a client by: its address, an
IPv6 one reduced to its /64. Every IPv6 customer is given a whole /64 (RFC 6177)
and can pick any of its 2^64 addresses for each request, so counting full IPv6
addresses would give one client as many buckets as it likes. `address_key` is
the same as a django-ratelimit key function, `axes_address` for django-axes.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.http import HttpRequest

# The prefix every IPv6 client holds (as django-ratelimit's RATELIMIT_IPV6_MASK).
IPV6_PREFIX = 64
# The HELPLINE_TRUSTED_PROXIES entry that trusts a peer without an IP address (a
# Unix socket: REMOTE_ADDR is empty or a socket path). A TCP peer always has one.
UNIX = "unix"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str:
    """The client's address (see the module docstring); empty when unknown."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    entries = tuple(settings.HELPLINE_TRUSTED_PROXIES)
    proxies = trusted_networks(entries)
    peer_address = parse(peer)
    if peer_address is None:
        if not _trusts_unix(entries):
            return peer
    elif not _trusted(peer_address, proxies):
        return peer
    client = peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    for hop in reversed(forwarded.split(",")):
        address = parse(hop)
        if address is None:  # not an address: keep the last one a trusted hop vouched for
            break
        client = str(address)
        if not _trusted(address, proxies):
            break
    return client


def rate_key(request: HttpRequest) -> str:
    """The client's address, an IPv6 one as its /64 network ("2001:db8:1:2::");
    "unknown" when there is none (a Unix socket without a proxy header)."""
    address = client_ip(request)
    parsed = parse(address)
    if parsed is None:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False).network_address)
    return str(parsed)


def address_key(group: str, request: HttpRequest) -> str:
    """`rate_key` as a django-ratelimit key (`key=address_key`)."""
    return rate_key(request)


def axes_address(request: HttpRequest) -> str | None:
    """`rate_key` for django-axes (AXES_CLIENT_IP_CALLABLE), which stores it as an
    IP address: None when there is no address."""
    key = rate_key(request)
    return key if parse(key) is not None else None


def parse(text: str) -> Address | None:
    """An address as proxies write it ("192.0.2.1", "192.0.2.1:5000",
    "[2001:db8::1]:443", "2001:db8::1"); an IPv4-mapped IPv6 one as IPv4."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """HELPLINE_TRUSTED_PROXIES as networks (entries that are none are skipped;
    the system check `helpline.lib.E001` names them)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _trusts_unix(entries: tuple[str, ...]) -> bool:
    return any(entry.strip().lower() == UNIX for entry in entries)


def _trusted(address: Address | None, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(
        address.version == network.version and address in network for network in proxies
    )


def check_trusted_proxies(**kwargs: object) -> list[checks.CheckMessage]:
    """System check: every HELPLINE_TRUSTED_PROXIES entry is an address or range."""
    errors: list[checks.CheckMessage] = []
    for entry in settings.HELPLINE_TRUSTED_PROXIES:
        if entry.strip().lower() == UNIX:
            continue
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"HELPLINE_TRUSTED_PROXIES: {entry!r} is not an address or CIDR range.",
                    hint=(
                        "Write addresses or ranges, comma-separated: "
                        '"10.0.0.5,10.1.0.0/16" (or "unix" for a proxy on a Unix socket).'
                    ),
                    id="helpline.lib.E001",
                )
            )
    return errors
