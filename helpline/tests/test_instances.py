"""Two instances on one database (issue 11, "beyond one machine"): two gunicorns and
two `helpline worker`s (each with its scheduler) share one database and take a
mixed load through both: tickets opened through the REST API and the osTicket
endpoint, replies, an agent signing in on one instance and using the desk on the
other, mail to a real SMTP server. Once on the database queue with the database
cache, once on the broker (RQ on Redis, which is stopped and started again, empty,
in the middle of the load) with caches and sessions on Redis. Each time:

- every request is answered as it should be, through either instance, the broker's
  outage included;
- no task runs twice, and both workers take tasks;
- every queued mail is sent, and the SMTP server receives it exactly once;
- the periodic scheduler queues one run per tick, though two schedulers run;
- a session made on one instance works on the other;
- throttles count across instances: failed API authentications, failed sign-ins
  for one account (the lockout) and from one address, sent to the two in turn,
  are refused once their sum reaches the limit.

The database is the suite's kind: a temp SQLite file on the SQLite run, a
database of its own on the suite's PostgreSQL server on the PostgreSQL run,
prepared once and copied for each run (databases.py). The figures of each run are
printed (pytest -s shows them); see harness.py.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from helpline.tests.instances import settings as site_settings
from helpline.tests.instances.databases import SiteDatabases
from helpline.tests.instances.harness import (
    API_FAILED_AUTH,
    LOGIN_FAILURES_PER_ADDRESS,
    Outcome,
    Run,
    site_env,
    site_script,
)

# Under xdist in the group of the other tests that load the machine (the fault
# run, the two-worker sweep): one after another, on one worker.
pytestmark = pytest.mark.xdist_group("heavy")


@pytest.fixture(scope="module")
def databases() -> Iterator[tuple[SiteDatabases, dict[str, Any]]]:
    """The site's database, prepared once for both runs (databases.py)."""
    folder = Path(tempfile.mkdtemp(prefix="helpline-instances-db-"))
    with SiteDatabases(connection.settings_dict, folder) as made:
        url = made.create("template")
        world = site_script(site_env(url, folder), "prepare")
        yield made, world
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=["database-queue", "broker"])
def outcome(
    request: pytest.FixtureRequest, databases: tuple[SiteDatabases, dict[str, Any]]
) -> Iterator[Outcome]:
    made, world = databases
    folder = Path(tempfile.mkdtemp(prefix="helpline-instances-"))
    failed = request.session.testsfailed
    url = made.create(request.param.replace("-", "_"), template="template")
    result = Run(folder, url, world, broker=request.param == "broker").run()
    print(figures(result))
    yield result
    if request.session.testsfailed > failed:
        print(f"The instances test's logs are kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def figures(o: Outcome) -> str:
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in o.timings.items())
    return (
        f"\n{'broker' if o.broker else 'database queue'} on {connection.vendor}: "
        f"{len(o.sent)} REST requests, {len(o.answers)} osTicket and desk requests; "
        f"{len(o.state.get('tickets', []))} tickets, {len(o.state.get('outbox', []))} mails, "
        f"{sum(o.received.values())} received; {sum(o.runs.values())} tasks "
        f"({o.per_worker} per worker), {len(o.state.get('tick_runs', []))} tick runs in "
        f"{o.schedulers_seconds:.1f}s; {o.outage or 'no outage'}; throttles {o.throttles}; "
        f"{timings}"
    )


def explain(o: Outcome) -> str:
    return f"{figures(o)}\n{o.logs}"


def test_every_request_through_either_instance_is_answered(outcome: Outcome) -> None:
    creates = [s for s in outcome.sent if s.kind == "create"]
    replies = [s for s in outcome.sent if s.kind == "reply"]
    assert len(creates) >= 10 and len(replies) >= 3, explain(outcome)
    assert [s for s in outcome.sent if not s.acked] == [], explain(outcome)
    opened = [a for a in outcome.answers if a.what == "osticket"]
    assert len(opened) >= 4 and {a.instance for a in opened} == {0, 1}, explain(outcome)
    assert [a for a in opened if a.status != 201] == [], explain(outcome)
    # Every ticket acknowledged is in the database, once.
    subjects = Counter(subject for _, subject in outcome.state["tickets"])
    acked = {s.marker for s in creates} | {f"instances-osticket-{n}" for n in range(len(opened))}
    assert set(subjects) == acked and max(subjects.values()) == 1, explain(outcome)


def test_a_session_made_on_one_instance_works_on_the_other(outcome: Outcome) -> None:
    desk = [a for a in outcome.answers if a.what in ("login", "dashboard", "ticket")]
    logins = [a for a in desk if a.what == "login"]
    assert len(logins) >= 2 and {a.instance for a in logins} == {0, 1}, explain(outcome)
    assert [a for a in desk if a.status != (302 if a.what == "login" else 200)] == [], explain(
        outcome
    )
    pages = [a for a in desk if a.what != "login"]
    assert {a.instance for a in pages} == {0, 1}, explain(outcome)
    assert any(a.what == "ticket" for a in pages), explain(outcome)


def test_no_task_runs_twice_and_both_workers_take_tasks(outcome: Outcome) -> None:
    assert sum(outcome.runs.values()) >= len(outcome.state["outbox"]) // 2, explain(outcome)
    twice = [t for t, n in outcome.runs.items() if n > 1 and t not in outcome.retried]
    assert twice == [], explain(outcome)
    assert [t for t, n in outcome.successes.items() if n > 1] == [], explain(outcome)
    assert len(outcome.per_worker) == 2 and min(outcome.per_worker) > 0, explain(outcome)


def test_both_workers_outlive_the_broker_going_away(outcome: Outcome) -> None:
    """With the broker, it was stopped and started again mid-load; each worker
    kept going and stopped cleanly (status 0) when told to."""
    assert bool(outcome.outage) == outcome.broker, explain(outcome)
    assert outcome.exits == [0, 0], explain(outcome)


def test_every_mail_is_sent_and_received_exactly_once(outcome: Outcome) -> None:
    outbox = {message_id: status for message_id, status, _ in outcome.state["outbox"]}
    assert len(outbox) >= len(outcome.state["tickets"]), explain(outcome)
    assert set(outbox.values()) == {"sent"}, explain(outcome)
    assert outcome.received == Counter(dict.fromkeys(outbox, 1)), explain(outcome)


def test_the_scheduler_queues_one_run_per_tick_with_two_workers(outcome: Outcome) -> None:
    """Both schedulers look four times a second at a job due every 2 seconds: each
    claimed tick is queued once, so there are at most as many runs as ticks in the
    time the workers ran (two schedulers queueing on their own would make about
    twice as many)."""
    runs = len(outcome.state["tick_runs"])
    ticks = outcome.schedulers_seconds / site_settings.TICK_SECONDS
    assert 2 <= runs <= ticks + 1, explain(outcome)
    assert outcome.paths["helpline.tests.instances.jobs.record_tick"] == runs, explain(outcome)


def test_throttles_count_requests_to_both_instances_together(outcome: Outcome) -> None:
    throttles = outcome.throttles
    # Failed API authentications from one address: the limit's worth, then refused.
    assert throttles["api"] == [401] * API_FAILED_AUTH + [429] * 2, explain(outcome)
    # Five failures for one account lock it (django-axes, in the database); the
    # right password then fails on either instance.
    assert throttles["lockout"][:4] == [400] * 4, explain(outcome)
    assert throttles["lockout"][-2:] == [429, 429], explain(outcome)
    # Failed sign-ins from one address across usernames: past the limit, even the
    # right password of another agent is refused, on both instances.
    assert throttles["spray"][:2] == [400, 400], explain(outcome)
    assert throttles["spray"][-2:] == [429, 429], explain(outcome)
    assert len(throttles["spray"]) == LOGIN_FAILURES_PER_ADDRESS + 2
