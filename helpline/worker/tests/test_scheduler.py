from __future__ import annotations

import logging
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

    def broken_tick(**kwargs: Any) -> list[str]:
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


@pytest.mark.django_db
def test_a_job_that_keeps_failing_is_logged_in_full_once_then_a_line_a_turn(
    settings: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the broker is down the loop turns every few seconds: a traceback per
    job and turn buried the log. The traceback once, then one line a turn, a line
    when the job is queued again, and the traceback again at a new failure."""
    down = {"count": ("helpline.worker.tests.jobs.unqueueable", 60)}
    turns = [down, down, down, JOB, down]
    stop = threading.Event()
    real_tick = scheduler.tick

    def tick(**kwargs: Any) -> list[str]:
        settings.HELPLINE_PERIODIC_JOBS = turns.pop(0)
        if not turns:
            stop.set()
            JobSchedule.objects.update(next_run_at=timezone.now())  # due again
        return real_tick(**kwargs)

    monkeypatch.setattr(scheduler, "tick", tick)
    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)
    monkeypatch.setattr(scheduler.connection, "close", lambda: None)
    with caplog.at_level(logging.WARNING, logger=scheduler.__name__):
        scheduler.run_forever(stop, interval=0)

    logged = [(r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert logged == [
        (
            "Could not queue periodic job count; trying again next turn "
            "(one line a turn while it keeps failing)",
            True,
        ),
        (
            "Could not queue periodic job count, 2 turns in a row: "
            "ConnectionError: the broker is down",
            False,
        ),
        (
            "Could not queue periodic job count, 3 turns in a row: "
            "ConnectionError: the broker is down",
            False,
        ),
        ("Queued periodic job count again, after 3 failed turns", False),
        (
            "Could not queue periodic job count; trying again next turn "
            "(one line a turn while it keeps failing)",
            True,
        ),
    ]


def work_waits() -> bool:
    return bool(cache.get("work_waiting"))


def broken_question() -> bool:
    raise RuntimeError("no such table: search_pending")


@pytest.mark.django_db(transaction=True)
def test_a_job_with_nothing_to_do_is_not_even_claimed(settings) -> None:
    """A job's optional third item says whether there is work: without any, the
    tick queues nothing and writes no claim (search.index, every 5 seconds)."""
    settings.HELPLINE_PERIODIC_JOBS = {
        "count": (*JOB["count"], "helpline.worker.tests.test_scheduler.work_waits")
    }
    now = timezone.now()
    cache.set("work_waiting", False)
    assert scheduler.tick(now) == []
    assert not JobSchedule.objects.filter(name="count").exists()
    cache.set("work_waiting", True)
    assert scheduler.tick(now) == ["count"]


@pytest.mark.django_db(transaction=True)
def test_a_question_that_fails_queues_its_job_and_holds_up_no_other(settings, caplog) -> None:
    settings.HELPLINE_PERIODIC_JOBS = {
        "asks": (*JOB["count"], "helpline.worker.tests.test_scheduler.broken_question"),
        "after": JOB["count"],
    }
    with caplog.at_level(logging.WARNING, logger="helpline.worker.scheduler"):
        assert scheduler.tick(timezone.now()) == ["asks", "after"]
    assert "Could not ask whether periodic job asks has work (RuntimeError" in caplog.text


def test_the_search_index_job_asks_whether_a_ticket_waits(settings) -> None:
    job = {j.name: j for j in scheduler.configured_jobs()}["search.index"]
    assert (job.task_path, job.has_work) == (
        "helpline.search.tasks.index_pending",
        "helpline.search.indexer.has_pending",
    )


@pytest.mark.django_db
def test_has_pending_says_whether_a_ticket_waits() -> None:
    from helpline.search.indexer import has_pending
    from helpline.search.models import Pending

    assert not has_pending()
    Pending.objects.create(ticket_id=1, marked_at=timezone.now())
    assert has_pending()
