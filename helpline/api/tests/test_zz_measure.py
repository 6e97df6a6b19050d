from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.conftest import World

from .conftest import Api, make_key
from .osticket import VALID, post


def dump(label, queries):
    print(f"\n=== {label}: {len(queries)}")
    for q in queries:
        print("  ", q["sql"][:230])


def test_measure_api(world: World, channel: Api) -> None:
    channel.post(
        "/tickets",
        {"email": "x@example.net", "subject": "warm", "message": "m", "topic_id": world.topic.pk},
    )
    with CaptureQueriesContext(connection) as queries:
        r = channel.post(
            "/tickets",
            {
                "email": "Rita Ray <rita@example.net>",
                "subject": "Invoice",
                "message": "Where?",
                "topic_id": world.topic.pk,
            },
        )
    assert r.status_code == 201
    dump("api", queries.captured_queries)


def test_measure_osticket(world: World, client: Client) -> None:
    key = make_key(scopes=["tickets:create"])
    post(client, "/api/tickets.json", VALID, key)
    with CaptureQueriesContext(connection) as queries:
        r = post(client, "/api/tickets.json", VALID.replace("a@example.com", "b@example.com"), key)
    assert r.status_code == 201
    dump("osticket", queries.captured_queries)


import pytest


@pytest.mark.django_db(transaction=True)
def test_measure_api_tx(world: World, channel: Api) -> None:
    channel.post(
        "/tickets",
        {"email": "x@example.net", "subject": "warm", "message": "m", "topic_id": world.topic.pk},
    )
    with CaptureQueriesContext(connection) as queries:
        r = channel.post(
            "/tickets",
            {
                "email": "Rita Ray <rita@example.net>",
                "subject": "Invoice",
                "message": "Where?",
                "topic_id": world.topic.pk,
            },
        )
    assert r.status_code == 201
    dump("api-tx", queries.captured_queries)
