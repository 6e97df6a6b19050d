"""Rate limits on the API (helpline.api.throttles): per client address, per key or
token, and for tickets opened, on the REST API and the osTicket endpoints. A
request past a limit is a JSON 429 with Retry-After, and changes nothing.

The cache (where the counters live) is emptied before every test
(helpline/conftest.py), so each test starts with full buckets.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from helpline.api.throttles import check_rates
from helpline.conftest import World
from helpline.tickets.models import Ticket

from .conftest import Api, make_key, make_token
from .osticket import post

NEW = {"email": "a@example.com", "subject": "S", "message": "M"}


def throttled(response: Any) -> bool:
    if response.status_code != 429:
        return False
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail", "field"}
    assert "Too many requests" in response.json()["detail"]
    assert 1 <= int(response["Retry-After"]) <= 60
    return True


# --- REST ------------------------------------------------------------------------------


def test_a_key_past_its_limit_is_a_json_429_and_another_key_goes_on(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_RATE_PER_KEY = "3/m"
    busy = Api(client, make_key())
    calm = Api(client, make_key())

    answers = [busy.get("/statuses").status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert throttled(busy.get("/statuses"))
    assert throttled(busy.get("/tickets"))  # one bucket for every endpoint
    assert calm.get("/statuses").status_code == 200


def test_an_agent_token_has_a_limit_of_its_own(world: World, client: Client, limits: Any) -> None:
    limits.HELPLINE_API_RATE_PER_KEY = "2/m"
    token = Api(client, make_token(world.agent))

    assert [token.get("/tickets").status_code for _ in range(2)] == [200, 200]
    assert throttled(token.get("/tickets"))


def test_an_address_past_its_limit_is_a_429_whatever_key_it_uses(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_RATE_PER_ADDRESS = "3/m"
    keys = [Api(client, make_key(), address="198.51.100.7") for _ in range(4)]

    answers = [api.get("/statuses").status_code for api in keys[:3]]

    assert answers == [200, 200, 200]
    assert throttled(keys[3].get("/statuses"))
    assert keys[3].as_key(keys[3].key, address="198.51.100.8").get("/statuses").status_code == 200


def guess(client: Client, n: int, address: str = "198.51.100.9") -> Any:
    """A wrong key, a fresh one each time, with a changing X-Forwarded-For (which
    an untrusted client cannot use to change its address)."""
    return client.get(
        "/api/v1/statuses",
        headers={"Authorization": f"Bearer hl_guess{n}", "X-Forwarded-For": f"10.0.0.{n}"},
        REMOTE_ADDR=address,
    )


def test_failed_attempts_have_a_bucket_of_their_own(
    world: World, client: Client, limits: Any
) -> None:
    """Guessing keys is bounded per address; a client that uses its key from the
    same address goes on working while the guesses are refused."""
    limits.HELPLINE_API_FAILED_AUTH_RATE = "3/m"
    known = Api(client, make_key(), address="198.51.100.9")
    assert known.get("/statuses").status_code == 200

    answers = [guess(client, n).status_code for n in range(3)]

    assert answers == [401, 401, 401]
    assert throttled(guess(client, 3))
    assert known.get("/statuses").status_code == 200
    assert guess(client, 4, address="198.51.100.10").status_code == 401  # another address


def test_guesses_from_many_64s_of_one_48_share_a_bucket(
    world: World, client: Client, limits: Any
) -> None:
    """An IPv6 site holds a /48: 65,536 /64s, each a failure bucket of its own. The
    /48 has one too; a key that worked from its /64 goes on working, another /48
    is not touched."""
    limits.HELPLINE_API_FAILED_AUTH_RATE = "2/m"
    limits.HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK = "4/m"
    known = Api(client, make_key(), address="2001:db8:7:ff::1")
    assert known.get("/statuses").status_code == 200

    answers = [guess(client, n, address=f"2001:db8:7:{n}::1").status_code for n in range(4)]

    assert answers == [401, 401, 401, 401]  # each /64 under its own bound
    assert throttled(guess(client, 4, address="2001:db8:7:4::1"))  # a fresh /64, same /48
    assert known.get("/statuses").status_code == 200
    assert guess(client, 5, address="2001:db8:8:4::1").status_code == 401  # another /48
    assert guess(client, 6, address="198.51.100.20").status_code == 401  # IPv4: per address


def test_a_key_new_to_a_guessing_address_is_refused_like_a_guess(
    world: World, client: Client, limits: Any
) -> None:
    """While the bucket is full, a credential that has not worked from this address
    lately is refused unread: answering it would tell a guesser which guess was
    right. It works from elsewhere, and here once the window has passed."""
    limits.HELPLINE_API_FAILED_AUTH_RATE = "2/m"
    for n in range(2):
        guess(client, n)
    key = make_key()

    assert throttled(Api(client, key, address="198.51.100.9").get("/statuses"))
    assert Api(client, key, address="198.51.100.10").get("/statuses").status_code == 200


def test_a_guess_past_the_bucket_is_refused_before_any_lookup(
    world: World, client: Client, limits: Any, django_assert_num_queries: Any
) -> None:
    limits.HELPLINE_API_FAILED_AUTH_RATE = "2/m"
    for n in range(2):
        guess(client, n)

    with django_assert_num_queries(0):
        assert throttled(guess(client, 2))


def test_guesses_do_not_use_up_the_address_bucket_of_valid_requests(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_RATE_PER_ADDRESS = "3/m"
    assert [guess(client, n).status_code for n in range(5)] == [401] * 5
    api = Api(client, make_key(), address="198.51.100.9")

    assert [api.get("/statuses").status_code for _ in range(3)] == [200, 200, 200]
    assert throttled(api.get("/statuses"))


def test_opening_tickets_has_its_own_lower_limit(world: World, client: Client, limits: Any) -> None:
    limits.HELPLINE_API_CREATE_RATE = "2/m"
    creator = Api(client, make_key(scopes=["tickets:create"], default_topic=world.topic))

    answers = [creator.post("/tickets", NEW).status_code for _ in range(2)]

    assert answers == [201, 201]
    assert throttled(creator.post("/tickets", NEW))
    assert Ticket.objects.count() == 2
    assert creator.get("/topics").status_code == 200  # lookups are not openings


def test_a_throttled_request_is_refused_before_its_body_is_read(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_CREATE_RATE = "1/m"
    creator = Api(client, make_key(scopes=["tickets:create"], default_topic=world.topic))
    creator.post("/tickets", NEW)

    response = creator.post("/tickets", raw="{not json at all")

    assert throttled(response)  # not a 400 about the JSON


def test_an_empty_limit_turns_it_off(world: World, client: Client, limits: Any) -> None:
    limits.HELPLINE_API_RATE_PER_KEY = ""
    api = Api(client, make_key())

    assert {api.get("/statuses").status_code for _ in range(30)} == {200}


# --- the osTicket endpoints ---------------------------------------------------------


def osticket_body(world: World) -> str:
    return json.dumps({**NEW, "topicId": world.topic.pk})


@pytest.mark.parametrize("path", ["/api/tickets.json", "/api/http.php/tickets.json"])
def test_an_osticket_key_past_the_opening_limit_is_a_json_429(
    world: World, client: Client, limits: Any, path: str
) -> None:
    limits.HELPLINE_API_CREATE_RATE = "2/m"
    key = make_key(scopes=["tickets:create"])

    answers = [post(client, path, osticket_body(world), key).status_code for _ in range(2)]

    assert answers == [201, 201]
    assert throttled(post(client, path, osticket_body(world), key))
    assert Ticket.objects.count() == 2


def test_the_osticket_opening_limit_is_per_address_too(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_CREATE_RATE = "2/m"
    keys = [make_key(scopes=["tickets:create"]) for _ in range(3)]

    answers = [
        post(client, "/api/tickets.json", osticket_body(world), k, REMOTE_ADDR="203.0.113.5")
        for k in keys
    ]

    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert throttled(answers[2])
    other = post(client, "/api/tickets.json", osticket_body(world), keys[2], REMOTE_ADDR="::1")
    assert other.status_code == 201


def test_failed_osticket_attempts_leave_the_address_bucket_to_valid_requests(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_RATE_PER_ADDRESS = "2/m"
    key = make_key(scopes=["tickets:create"])

    answers = [post(client, "/api/tickets.xml", "<ticket/>", f"wrong{n}") for n in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 401]
    opened = [post(client, "/api/tickets.json", osticket_body(world), key) for _ in range(3)]
    assert [a.status_code for a in opened[:2]] == [201, 201]
    assert throttled(opened[2])
    assert Ticket.objects.count() == 2


def test_the_osticket_endpoints_count_a_keys_requests(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_RATE_PER_KEY = "1/m"
    key = make_key(scopes=["tickets:create"])

    assert post(client, "/api/tickets.json", osticket_body(world), key).status_code == 201
    assert throttled(post(client, "/api/tickets.json", osticket_body(world), key))


# --- configuration ----------------------------------------------------------------


@pytest.mark.parametrize("rate", ["60/m", "1000/h", "5/s", "10/5m", "100000/d", ""])
def test_documented_rates_pass_the_check(settings: Any, rate: str) -> None:
    settings.HELPLINE_API_CREATE_RATE = rate

    assert check_rates() == []


def test_failed_osticket_attempts_have_the_same_bucket(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_API_FAILED_AUTH_RATE = "2/m"
    key = make_key(scopes=["tickets:create"])
    assert post(client, "/api/tickets.json", osticket_body(world), key).status_code == 201

    answers = [post(client, "/api/tickets.xml", "<ticket/>", f"wrong{n}") for n in range(3)]

    assert [a.status_code for a in answers[:2]] == [401, 401]
    assert throttled(answers[2])
    assert throttled(guess(client, 9, address="127.0.0.1"))  # REST and osTicket: one bucket
    assert post(client, "/api/tickets.json", osticket_body(world), key).status_code == 201


@pytest.mark.parametrize("rate", ["60", "60/minute-ish", "0/m", "60/0m", "-1/m", "m/60"])
def test_a_rate_that_is_not_one_fails_the_system_check(db: None, settings: Any, rate: str) -> None:
    settings.HELPLINE_API_RATE_PER_KEY = rate

    assert [e.id for e in check_rates()] == ["helpline.api.E002"]
    with pytest.raises(SystemCheckError):
        call_command("check")


def test_an_ipv6_client_rotating_addresses_in_its_64_shares_one_bucket(
    world: World, client: Client, limits: Any
) -> None:
    """Every IPv6 client holds a /64: counted per address, it would have 2^64
    buckets. Counted by its /64, as sign-in throttling does."""
    limits.HELPLINE_API_RATE_PER_ADDRESS = "3/m"
    key = make_key()
    api = Api(client, key)

    answers = [
        api.as_key(key, address=f"2001:db8:5:6::{n + 1:x}").get("/statuses").status_code
        for n in range(3)
    ]

    assert answers == [200, 200, 200]
    assert throttled(api.as_key(key, address="2001:db8:5:6:ffff:1:2:3").get("/statuses"))
    assert api.as_key(key, address="2001:db8:5:7::1").get("/statuses").status_code == 200


# --- behind a reverse proxy (helpline.lib.clientip) -----------------------------------


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_TRUSTED_PROXIES = ["10.0.0.5"]
    limits.HELPLINE_API_FAILED_AUTH_RATE = "2/m"

    def via_proxy(n: int, forwarded: str) -> Any:
        return client.get(
            "/api/v1/statuses",
            headers={"Authorization": f"Bearer hl_guess{n}", "X-Forwarded-For": forwarded},
            REMOTE_ADDR="10.0.0.5",
        )

    assert [via_proxy(n, "198.51.100.1").status_code for n in range(2)] == [401, 401]
    assert throttled(via_proxy(2, "198.51.100.1"))
    # What the client prepends itself is not believed: still 198.51.100.1.
    assert throttled(via_proxy(3, "192.0.2.77, 198.51.100.1"))
    assert via_proxy(4, "198.51.100.2").status_code == 401  # another client


def test_a_key_allowlist_sees_the_forwarded_client(
    world: World, client: Client, limits: Any
) -> None:
    limits.HELPLINE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    key = make_key(allowed_ips="198.51.100.0/24")

    def via(peer: str, forwarded: str) -> int:
        return int(
            client.get(
                "/api/v1/statuses",
                headers={"Authorization": f"Bearer {key}", "X-Forwarded-For": forwarded},
                REMOTE_ADDR=peer,
            ).status_code
        )

    assert via("10.0.0.5", "198.51.100.1") == 200
    assert via("10.0.0.5", "192.0.2.1") == 401
    assert via("192.0.2.1", "198.51.100.1") == 401  # spoofed: the peer is not a proxy
