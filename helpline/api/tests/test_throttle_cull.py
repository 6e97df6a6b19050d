"""A full database cache culls the first third of its keys, in key order, once it
holds MAX_ENTRIES. Failed-auth buckets, which a
stranger creates at will (one per address, an IPv6 one per /64), are named
"api-limit:failed-address:..." and so sort after every client's own buckets
("api-known:", "api-limit:address:", "api-limit:create-...:", "api-limit:credential:"):
a flood just past MAX_ENTRIES culls the victims' full buckets and keeps its own.
Production holds 100,000 entries; here the table is made small so the flood is.
The buckets that matter live where a flood cannot push them out: failed
authentications count in a table of their own ("limits_strangers")."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.cache import caches
from django.core.management import call_command
from django.test import Client, RequestFactory

import helpline.settings as production
from helpline.api import throttles
from helpline.conftest import World

from .conftest import Api, make_key

SMALL = 300


def test_a_flood_past_the_limits_table_does_not_empty_a_keys_full_bucket(
    world: World,
    client: Client,
    limits: Any,
    settings: Any,
) -> None:
    small = {**production.CACHES["limits"], "OPTIONS": {"MAX_ENTRIES": SMALL}}
    settings.CACHES = {**settings.CACHES, "limits": small}
    call_command("createcachetable", "--database", "default")
    caches["limits"].clear()
    limits.HELPLINE_API_RATE_PER_KEY = "3/m"
    busy = Api(client, make_key())
    assert [busy.get("/statuses").status_code for _ in range(3)] == [200, 200, 200]
    assert busy.get("/statuses").status_code == 429

    factory = RequestFactory()
    for n in range(SMALL + 10):  # failed key guesses, each from a fresh /64
        address = str(ipaddress.IPv6Address((0x20010DB8 << 96) + (n << 64) + 1))
        throttles.check_failed(factory.get("/api/v1/statuses", REMOTE_ADDR=address))

    assert busy.get("/statuses").status_code == 429
