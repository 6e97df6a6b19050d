"""/healthz and /readyz: who may ask (anybody), what they answer, and how cheaply."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from helpline.conftest import World
from helpline.intake.models import QuarantinedMessage
from helpline.notify.models import MailBatch, OutboundMessage
from helpline.worker import scheduler
from helpline.worker.heartbeat import Heartbeat
from helpline.worker.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[3]


def beat(seconds_ago: float) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now() - timedelta(seconds=seconds_ago)}
    )


def unsent_mail(seconds_ago: float, status: str = "pending") -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind="ticket_link",
        from_email="helpdesk@example.com",
        to=["ken@example.com"],
        subject="Your ticket",
        text="Hello",
        message_id=f"<{time.monotonic_ns()}@example.com>",
        status=status,
        created_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def quarantined(seconds_ago: float, state: str = "pending") -> None:
    QuarantinedMessage.objects.create(
        raw=b"Subject: x\r\n\r\nbody",
        reason="No sender",
        state=state,
        created_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def readyz(client: Client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_healthz_answers_ok_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_with_a_beating_worker_and_nothing_waiting_is_ready_in_five_queries(
    client: Client, django_assert_num_queries
) -> None:
    beat(seconds_ago=10)
    # SELECT 1, heartbeat, outbox (its mail, the changes not fanned out), quarantine
    with django_assert_num_queries(5):
        status, body = readyz(client)
    assert status == 200
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True, "value": "reachable"}
    assert body["checks"]["worker"]["ok"] is True
    assert 10 <= body["checks"]["worker"]["value"] < 60
    assert body["checks"]["worker"]["limit"] == 300
    assert body["checks"]["outbox"] == {"ok": True, "value": None, "limit": 3600}
    assert body["checks"]["quarantine"]["value"] is None


@pytest.mark.django_db
def test_readyz_is_never_cached_and_takes_only_get_and_head(client: Client) -> None:
    beat(seconds_ago=0)
    response = client.get("/readyz")
    assert "no-store" in response["Cache-Control"]
    assert client.head("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_a_worker_that_never_beat_makes_readyz_503(client: Client, caplog) -> None:
    caplog.set_level(logging.INFO)
    status, body = readyz(client)
    # A WARNING naming the check, never an ERROR (that would mail ADMINS per probe).
    assert [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "django.request"
    ] == [("WARNING", "Not ready: worker")]
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["worker"] == {"ok": False, "value": None, "limit": 300}
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_a_stale_heartbeat_makes_readyz_503(client: Client, settings) -> None:
    settings.HELPLINE_READY_WORKER_SECONDS = 60
    beat(seconds_ago=61)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["value"] >= 61


@pytest.mark.django_db
def test_mail_waiting_longer_than_its_bound_makes_readyz_503(client: Client) -> None:
    beat(seconds_ago=0)
    unsent_mail(seconds_ago=60)
    assert readyz(client)[0] == 200
    unsent_mail(seconds_ago=3700, status="sending")
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["outbox"]["value"] >= 3700


@pytest.mark.django_db
def test_a_change_whose_mail_is_not_fanned_out_counts_as_waiting_mail(
    client: Client, world: World
) -> None:
    beat(seconds_ago=0)
    world.open()
    MailBatch.objects.update(created_at=timezone.now() - timedelta(seconds=3700))

    status, body = readyz(client)

    assert status == 503
    assert body["checks"]["outbox"]["value"] >= 3700


@pytest.mark.django_db
def test_sent_and_failed_mail_do_not_count_as_waiting(client: Client) -> None:
    beat(seconds_ago=0)
    unsent_mail(seconds_ago=10 * 86400, status="sent")
    unsent_mail(seconds_ago=10 * 86400, status="failed")
    status, body = readyz(client)
    assert status == 200
    assert body["checks"]["outbox"]["value"] is None


@pytest.mark.django_db
def test_a_quarantined_message_left_too_long_makes_readyz_503(client: Client, settings) -> None:
    settings.HELPLINE_READY_QUARANTINE_SECONDS = 3600
    beat(seconds_ago=0)
    quarantined(seconds_ago=86400, state="discarded")  # dealt with: not counted
    quarantined(seconds_ago=600)
    assert readyz(client)[0] == 200
    quarantined(seconds_ago=7200)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["quarantine"] == {
        "ok": False,
        "value": pytest.approx(7200, abs=30),
        "limit": 3600,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readyz_says_503_when_the_database_does_not_answer_and_healthz_still_answers() -> None:
    # A real process whose database is a PostgreSQL port nobody listens on.
    code = (
        "import json, django; django.setup();"
        "from django.test import Client; c = Client();"
        "r = c.get('/readyz'); h = c.get('/healthz');"
        "print(json.dumps([r.status_code, json.loads(r.content), h.status_code]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpline.settings_test",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"postgres://nobody@127.0.0.1:{_free_port()}/nothing",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, body, alive = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "value": "unreachable"}
    assert body["checks"]["worker"] == {"ok": False, "value": "database unreachable"}
    assert alive == 200


@pytest.mark.django_db
def test_a_heartbeat_writes_one_row_at_most_once_per_interval(django_assert_num_queries) -> None:
    heartbeat = Heartbeat(every=3600)
    assert heartbeat.beat() is True  # the first: the UPDATE finds nothing, then creates
    with django_assert_num_queries(0):
        assert heartbeat.beat() is False
    again = Heartbeat(every=0)
    with django_assert_num_queries(1):  # the row exists: one UPDATE
        assert again.beat() is True
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_loop_keeps_the_heartbeat_fresh(settings) -> None:
    settings.HELPLINE_PERIODIC_JOBS = {}
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(stop, 0.05))
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(10)
    row = WorkerHeartbeat.objects.get()
    assert timezone.now() - row.beat_at < timedelta(seconds=10)
    assert row.worker.endswith(f":{os.getpid()}")


# What HTTPS=1 switches on for requests (helpline/settings.py), the rest as set.
BEHIND_HTTPS = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
}


@pytest.mark.django_db
@override_settings(**BEHIND_HTTPS)
def test_behind_https_a_plain_http_probe_is_answered_and_every_page_is_redirected() -> None:
    beat(seconds_ago=1)
    client = Client()  # plain http, no X-Forwarded-Proto: a load balancer's probe

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    for path in ("/", "/login/", "/desk/", "/healthz/", "/readyz/x"):
        response = client.get(path)
        assert response.status_code == 301, path
        assert response["Location"] == f"https://testserver{path}"
    assert client.get("/healthz", headers={"X-Forwarded-Proto": "https"}).status_code == 200
    # README: a probe by address needs a Host the site accepts (ALLOWED_HOSTS).
    assert client.get("/healthz", headers={"Host": "10.0.0.5"}).status_code == 400
