"""Where the rate-limit counters live (helpline.api.throttles, and every
django-ratelimit bound: sign-in, portal, osTicket): a cache of their own, sized
so that a flood of new buckets cannot push out the ones that are full.

A cache that runs out of room drops entries (Django's local-memory cache drops
the least recently used third, its database cache the first third by key), and
a dropped bucket is an empty one: an attacker who sends 10,000 requests from
10,000 addresses would reset every other client's limit, their own key's too.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client, RequestFactory

import helpline.settings as production
from helpline.api import throttles
from helpline.conftest import World

from .conftest import Api, make_key
from .test_throttling import throttled

FLOOD = 10_000


def flood(count: int = FLOOD) -> None:
    """`count` requests from as many IPv4 addresses, each filling its own
    per-address bucket, as a failed key guess from a fresh address does."""
    factory = RequestFactory()
    for n in range(count):
        address = str(ipaddress.IPv4Address(0x0A000000 + n))  # 10.0.0.0 onwards
        throttles.check_failed(factory.get("/api/v1/statuses", REMOTE_ADDR=address))


def test_a_flood_of_new_addresses_does_not_reset_a_full_bucket(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_RATE_PER_KEY = "3/m"
    busy = Api(client, make_key())
    assert [busy.get("/statuses").status_code for _ in range(3)] == [200, 200, 200]

    flood()

    assert throttled(busy.get("/statuses"))


def test_the_limits_caches_are_not_the_default_cache() -> None:
    """Nothing else (sessions, pages, lookups) competes with the counters for room,
    and the counters a stranger creates at will (failed authentications, every
    django-ratelimit bound) do not compete with those that need a credential."""
    for configured in (production.CACHES, settings.CACHES):
        assert len({str(configured[a]) for a in ("default", "limits", "limits_strangers")}) == 3
    tables = {production.CACHES[a]["LOCATION"] for a in ("default", "limits", "limits_strangers")}
    assert len(tables) == 3
    assert settings.RATELIMIT_USE_CACHE == "limits_strangers"
    assert (
        throttles.Limit("x", "HELPLINE_API_RATE_PER_KEY", lambda r, c: "x").cache
        is (caches["limits"])
    )
    assert throttles.FAILED_BY_ADDRESS.cache is caches["limits_strangers"]


def test_the_production_limits_cache_holds_a_flood_too(
    world: World, client: Client, limits: Any, settings: Any
) -> None:
    """The same flood against the configured database cache (its own table, made by
    `createcachetable`), not the test suite's local-memory stand-in."""
    settings.CACHES = {**settings.CACHES, "limits": production.CACHES["limits"]}
    call_command("createcachetable", "--database", "default")
    limits.HELPLINE_API_RATE_PER_KEY = "3/m"
    busy = Api(client, make_key())
    assert [busy.get("/statuses").status_code for _ in range(3)] == [200, 200, 200]

    flood()

    assert throttled(busy.get("/statuses"))


def test_the_worker_purges_expired_counters_and_keeps_live_ones(db: None, settings: Any) -> None:
    """Django's database cache counts its rows at every write and removes expired
    ones only when the table is full: purged every minute, a table of live
    counters stays small, and so do the writes (HELPLINE_PERIODIC_JOBS)."""
    from helpline.api.tasks import purge_expired_limits

    settings.CACHES = {
        **settings.CACHES,
        "limits": production.CACHES["limits"],
        "limits_strangers": production.CACHES["limits_strangers"],
    }
    call_command("createcachetable", "--database", "default")
    for alias, old in (("limits", 5), ("limits_strangers", 3)):
        cache = caches[alias]
        cache.set_many({f"old{n}": [1.0] for n in range(old)}, timeout=-1)  # already expired
        cache.set("live", [1.0], timeout=60)

    assert purge_expired_limits.call() == 8

    assert caches["limits"].get("live") == caches["limits_strangers"].get("live") == [1.0]
    assert purge_expired_limits.call() == 0
    job = settings.HELPLINE_PERIODIC_JOBS["api.purge_limits"]
    assert job == ("helpline.api.tasks.purge_expired_limits", 60)
