from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from helpline.worker import scheduler
from helpline.worker.models import JobSchedule

JOB = {"count": ("helpline.worker.tests.jobs.count_run", 60)}


@pytest.fixture
def one_job(settings) -> None:
    settings.HELPLINE_PERIODIC_JOBS = JOB


@pytest.mark.django_db(transaction=True)
def test_a_due_job_is_queued_once_and_the_worker_runs_it(one_job: None) -> None:
    now = timezone.now()
    assert scheduler.tick(now) == ["count"]
    assert scheduler.tick(now + timedelta(seconds=59)) == []  # not due again yet
    call_command("worker", batch=True, verbosity=0)
    assert cache.get("count_run") == 1
    assert scheduler.tick(now + timedelta(seconds=61)) == ["count"]
    schedule = JobSchedule.objects.get(name="count")
    assert schedule.next_run_at == now + timedelta(seconds=121)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_moment_queue_a_job_once(one_job: None) -> None:
    now = timezone.now()
    scheduler.claim(scheduler.configured_jobs()[0], now - timedelta(minutes=5))  # row exists
    JobSchedule.objects.update(next_run_at=now - timedelta(seconds=1))
    start = threading.Barrier(4)
    wins: list[bool] = []

    def claim() -> None:
        try:
            start.wait()
            wins.append(scheduler.claim(scheduler.configured_jobs()[0], now))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]


@pytest.mark.django_db
def test_the_scheduler_loop_survives_a_failing_tick(one_job: None, monkeypatch) -> None:
    calls = []

    def broken_tick() -> list[str]:
        calls.append(1)
        stop.set()
        raise RuntimeError("database is down")

    stop = threading.Event()
    monkeypatch.setattr(scheduler, "tick", broken_tick)
    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)
    monkeypatch.setattr(scheduler.connection, "close", lambda: None)
    scheduler.run_forever(stop, interval=0)
    assert calls == [1]


@pytest.mark.django_db
def test_a_job_that_cannot_be_queued_gives_its_tick_back_and_the_others_are_queued(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.HELPLINE_PERIODIC_JOBS = {
        "down": ("helpline.worker.tests.jobs.unqueueable", 60),
        **JOB,
    }
    now = timezone.now()

    assert scheduler.tick(now) == ["count"]

    assert "Could not queue periodic job down" in caplog.text
    # Its tick is given back: the next turn claims it again, not a minute later.
    assert JobSchedule.objects.get(name="down").next_run_at == now
    assert JobSchedule.objects.get(name="count").next_run_at == now + timedelta(seconds=60)
