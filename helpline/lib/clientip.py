"""Who is on the other end: the client's address, and the key it is counted by.

`client_ip(request)`: the client's address, as a string (empty when unknown).

`rate_key(request)`: what every rate limit counts a client by (API throttles,
sign-in bounds, portal forms, the osTicket endpoints): its address, an IPv6 one
reduced to its /64. Every IPv6 customer is given a whole /64 (RFC 6177) and can
pick any of its 2^64 addresses for each request, so counting full IPv6 addresses
would give one client as many buckets as it likes. `address_key` is the same as
a django-ratelimit key function.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

# The prefix every IPv6 client holds (as django-ratelimit's RATELIMIT_IPV6_MASK).
IPV6_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def rate_key(request: HttpRequest) -> str:
    """The client's address, an IPv6 one as its /64 network ("2001:db8:1:2::");
    "unknown" when there is none (a Unix socket without a proxy header)."""
    return network_of(client_ip(request))


def network_of(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is an IPv4 client
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False).network_address)
    return str(parsed)


def address_key(group: str, request: HttpRequest) -> str:
    """`rate_key` as a django-ratelimit key (`key=address_key`)."""
    return rate_key(request)
