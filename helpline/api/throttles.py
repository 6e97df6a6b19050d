"""Rate limits on the API, per client address and per credential, counted in
database caches shared by every server process, each in a table of its own.

A cache that is full drops a third of its entries (Django's database cache: the
first third in key order), and a dropped bucket is an empty one. So the buckets
a stranger can create at will, one per address (an IPv6 one per /64), are kept
apart from those that need a working credential: failed authentications count in
`settings.HELPLINE_STRANGER_LIMITS_CACHE` ("limits_strangers", where
django-ratelimit counts too, through RATELIMIT_USE_CACHE), every other bucket in
`settings.HELPLINE_LIMITS_CACHE` ("limits"). A flood of failed guesses from new
addresses culls only its own kind, never a client's full bucket.

Five limits, each a setting read at every request (env vars of the same name,
see the README; "N/s", "N/m", "N/h", "N/d", or "N/5m"; empty turns it off):

- `HELPLINE_API_FAILED_AUTH_RATE`: failed authentications (a wrong, revoked or
  disallowed key or token) from one address, REST and osTicket together. Its own
  bucket, so one client's guesses never use up another's requests from the same
  address (a NAT, an office). When it is full, a credential is refused unread
  (429, no lookup) unless it has worked from this address in the last day:
  answering it would tell a guesser which guess was right, while a client that
  was already using its key there goes on working.
- `HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK`: the same, from one IPv6 /48 (a
  site's allocation; it holds 65,536 /64s, each with a failure bucket of its own),
  counted alongside and refusing the same way;
- `HELPLINE_API_RATE_PER_ADDRESS`: every authenticated request from one address;
- `HELPLINE_API_RATE_PER_KEY`: every request made with one key or agent token;
- `HELPLINE_API_CREATE_RATE`: tickets opened, per key and per address: the REST
  `POST /v1/tickets` and the osTicket endpoints, which are what a create-only key
  (the kind embedded in web forms) reaches.

A request past a limit is answered 429 with `Retry-After` (seconds) and the
usual JSON `{detail, field}`, before its body is read.

The REST API uses django-ninja's throttles (`ninja.throttling`: a sliding log of
request times per bucket). Ninja runs throttles after authentication, but our
authentication reads the body (up to tens of MB, for attachments) and a failed
one never reaches them; so `check()` runs them at the end of authentication
instead (helpline.api.security), before the body is read, and for a failed
authentication too. The osTicket endpoints are plain Django views and use
django-ratelimit (fixed windows), as the portal does; their counters are their
own.

Clients are counted by `helpline.lib.clientip.rate_key`, as sign-in throttling
counts them: the client's address, an IPv6 one by its /64 (any IPv6 client can
pick a fresh address in its /64 for every request). Ninja's default reads
X-Forwarded-For from anyone, which would let a client pick a fresh address too.

A failing cache lets requests through (logged): a rate limit must not take the
API down with it.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.core import checks
from django.core.cache import BaseCache, caches
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from ninja.errors import Throttled
from ninja.throttling import SimpleRateThrottle

from helpline.api.auth import Caller
from helpline.api.models import hash_secret
from helpline.lib.clientip import address_key, parse, rate_key

log = logging.getLogger(__name__)

# What both ninja and django-ratelimit read the same way: 60/m, 1000/h, 10/5m.
RATE = re.compile(r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]")
RATE_SETTINGS = (
    "HELPLINE_API_FAILED_AUTH_RATE",
    "HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK",
    "HELPLINE_API_RATE_PER_ADDRESS",
    "HELPLINE_API_RATE_PER_KEY",
    "HELPLINE_API_CREATE_RATE",
)


def too_many(wait: float | None) -> str:
    seconds = max(1, math.ceil(wait or 1))
    return _("Too many requests; try again in %(seconds)d seconds.") % {"seconds": seconds}


def retry_after(wait: float | None) -> str:
    return str(max(1, math.ceil(wait or 1)))


class Limit(SimpleRateThrottle):
    """One of ninja's throttles, its rate read from `setting` at each request and
    its bucket named by `ident(request, caller)` (None: not counted)."""

    def __init__(
        self,
        scope: str,
        setting: str,
        ident: Callable[[HttpRequest, Caller | None], str | None],
        cache_setting: str = "HELPLINE_LIMITS_CACHE",
    ) -> None:
        # Not SimpleRateThrottle.__init__, which fixes the rate once.
        self.scope = scope
        self.setting = setting
        self.ident = ident
        self.cache_setting = cache_setting
        self.caller: Caller | None = None

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        # Not ninja's default cache, and looked up at each use (tests swap CACHES).
        return caches[getattr(settings, self.cache_setting)]

    def rate_now(self) -> str:
        return str(getattr(settings, self.setting, "") or "").strip()

    def get_cache_key(self, request: HttpRequest) -> str | None:
        ident = self.ident(request, self.caller)
        return None if ident is None else f"api-limit:{self.scope}:{ident}"

    peeking = False

    def allows(self, request: HttpRequest, caller: Caller | None) -> bool:
        """Count this request; False when the bucket was already full."""
        rate = self.rate_now()
        if not rate:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)
        self.caller = caller
        try:
            return self.allow_request(request)
        except DatabaseError:
            log.warning("Rate limit %s not checked: the cache failed.", self.scope, exc_info=True)
            return True

    def full(self, request: HttpRequest) -> bool:
        """Whether the bucket is full, without counting this request."""
        self.peeking = True
        try:
            return not self.allows(request, None)
        finally:
            self.peeking = False

    def throttle_success(self) -> bool:
        return True if self.peeking else super().throttle_success()


def _address(request: HttpRequest, caller: Caller | None) -> str:
    return rate_key(request)  # an IPv6 client by its /64, as every rate limit here


# An IPv6 site is usually given a /48: 65,536 /64s, each a bucket of `_address`.
IPV6_SITE_PREFIX = 48


def _network(request: HttpRequest, caller: Caller | None) -> str | None:
    """An IPv6 client's /48; None (not counted) for IPv4, whose address is its bucket."""
    address = parse(rate_key(request))
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    return str(ipaddress.IPv6Network((address, IPV6_SITE_PREFIX), strict=False).network_address)


def _credential(request: HttpRequest, caller: Caller | None) -> str | None:
    if caller is None:
        return None
    if caller.token is not None:
        return f"token-{caller.token.pk}"
    return f"key-{caller.key.pk}" if caller.key is not None else None


# Anyone can fill one of these from every address they hold: a table of their own.
FAILED_BY_ADDRESS = Limit(
    "failed-address",
    "HELPLINE_API_FAILED_AUTH_RATE",
    _address,
    cache_setting="HELPLINE_STRANGER_LIMITS_CACHE",
)
FAILED_BY_NETWORK = Limit(
    "failed-network",
    "HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK",
    _network,
    cache_setting="HELPLINE_STRANGER_LIMITS_CACHE",
)
FAILED = (FAILED_BY_ADDRESS, FAILED_BY_NETWORK)
BY_ADDRESS = Limit("address", "HELPLINE_API_RATE_PER_ADDRESS", _address)
BY_CREDENTIAL = Limit("credential", "HELPLINE_API_RATE_PER_KEY", _credential)
CREATE_BY_ADDRESS = Limit("create-address", "HELPLINE_API_CREATE_RATE", _address)
CREATE_BY_CREDENTIAL = Limit("create-credential", "HELPLINE_API_CREATE_RATE", _credential)
CREATING = (CREATE_BY_ADDRESS, CREATE_BY_CREDENTIAL)


def check(request: HttpRequest, caller: Caller, extra: tuple[Limit, ...] = ()) -> None:
    """Count an authenticated request in its buckets (the address's, the
    credential's, `extra`); raise ninja's Throttled when one is full. Every bucket
    is counted, as ninja does, so the longest wait is the one given."""
    _count(request, caller, (BY_ADDRESS, BY_CREDENTIAL, *extra))


def _count(request: HttpRequest, caller: Caller | None, specs: tuple[Limit, ...]) -> None:
    # Ninja's throttles keep the request's state on themselves: one copy per request.
    limits = [copy.copy(spec) for spec in specs]
    waits = [limit.wait() for limit in limits if not limit.allows(request, caller)]
    if waits:
        raise Throttled(wait=max((w for w in waits if w is not None), default=None))  # type: ignore[arg-type]


# A credential that worked from an address is let through there for this long
# while the address's failure bucket is full; the mark is renewed at most hourly.
KNOWN_FOR = 24 * 3600
RENEW_AFTER = 3600


def _known_key(request: HttpRequest, secret: str) -> str:
    return f"api-known:{rate_key(request)}:{hash_secret(secret)[:32]}"


def check_guessing(request: HttpRequest, secret: str) -> None:
    """Before a credential is looked up: raise Throttled when this address's
    failed attempts fill their bucket and `secret` has not worked from here
    lately (see the module docstring)."""
    if not secret:
        return
    full = [limit for limit in map(copy.copy, FAILED) if limit.full(request)]
    if not full:
        return
    try:
        known = caches[settings.HELPLINE_LIMITS_CACHE]  # a mark needs a working credential
        if known.get(_known_key(request, secret)) is not None:
            return
    except DatabaseError:
        log.warning("Known credentials not checked: the cache failed.", exc_info=True)
        return
    waits = [w for w in (limit.wait() for limit in full) if w is not None]
    raise Throttled(wait=max(waits, default=None))  # type: ignore[arg-type]


def check_failed(request: HttpRequest) -> None:
    """Count one failed authentication from this address (and its /48); raise
    Throttled when a bucket was already full."""
    _count(request, None, FAILED)


def remember(request: HttpRequest, secret: str) -> None:
    """`secret` worked from this address: let it through here while the address's
    failure bucket is full (see `check_guessing`)."""
    cache = caches[settings.HELPLINE_LIMITS_CACHE]
    key = _known_key(request, secret)
    try:
        since = cache.get(key)
        if since is None or time.time() - since > RENEW_AFTER:
            cache.set(key, time.time(), KNOWN_FOR)
    except DatabaseError:
        log.warning("Known credential not remembered: the cache failed.", exc_info=True)


def throttled_response(wait: float | None) -> JsonResponse:
    """The 429 of the plain (osTicket) views, as the REST API's."""
    response = JsonResponse({"detail": too_many(wait), "field": None}, status=429)
    response["Retry-After"] = retry_after(wait)
    return response


# --- the osTicket endpoints (plain views): django-ratelimit --------------------------


def _rate(setting: str) -> Callable[[str, HttpRequest], str | None]:
    def rate(group: str, request: HttpRequest) -> str | None:
        return str(getattr(settings, setting, "") or "").strip() or None

    return rate


def _wait(
    request: HttpRequest, group: str, setting: str, key: str | Callable[[str, HttpRequest], str]
) -> int | None:
    """Seconds until the bucket has room again, None when this request fits."""
    usage = get_usage(request, group=group, key=key, rate=_rate(setting), increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def osticket_address_wait(request: HttpRequest) -> int | None:
    """Every authenticated request to the osTicket endpoints, from this address."""
    return _wait(request, "api-osticket-address", "HELPLINE_API_RATE_PER_ADDRESS", address_key)


def osticket_create_wait(request: HttpRequest, caller: Caller) -> int | None:
    """A ticket opened through the osTicket endpoints, by this key and from this
    address (the key's general limit counts too)."""
    ident = _credential(request, caller) or "unknown"
    waits = [
        _wait(request, "api-osticket-key", "HELPLINE_API_RATE_PER_KEY", lambda g, r: ident),
        _wait(request, "api-osticket-create-key", "HELPLINE_API_CREATE_RATE", lambda g, r: ident),
        _wait(request, "api-osticket-create-address", "HELPLINE_API_CREATE_RATE", address_key),
    ]
    return max((w for w in waits if w is not None), default=None)


# --- configuration ----------------------------------------------------------------


def check_rates(**kwargs: object) -> list[checks.CheckMessage]:
    """System check: every rate setting is empty or a rate both libraries read."""
    errors: list[checks.CheckMessage] = []
    for name in RATE_SETTINGS:
        value = str(getattr(settings, name, "") or "").strip()
        if value and not RATE.fullmatch(value):
            errors.append(
                checks.Error(
                    f"{name} = {value!r} is not a rate.",
                    hint='Write "N/s", "N/m", "N/h" or "N/d" (e.g. "60/m"), or leave it empty.',
                    id="helpline.api.E002",
                )
            )
    return errors
