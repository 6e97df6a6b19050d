"""Bulk jobs: made, run ticket by ticket through the lifecycle, each outcome kept."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Agent
from helpline.bulk import runner
from helpline.bulk.actions import BadBulkInput, check, summary
from helpline.bulk.models import BulkItem, BulkJob, JobState, Outcome
from helpline.bulk.selection import Target, parse_picks, picked
from helpline.conftest import World
from helpline.notify.tests.helpers import run_worker
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, EntryKind, Event, EventKind, State, Ticket
from helpline.tickets.tests.helpers import assert_counters_true


def targets(*tickets: Ticket, seen: dict[int, int] | None = None) -> list[Target]:
    """The tickets as the agent saw them (at their current version, or `seen`)."""
    seen = seen or {}
    return [Target(t.pk, t.number, seen.get(t.pk, t.version)) for t in tickets]


def closed_events(ticket: Ticket) -> int:
    return Event.objects.filter(ticket=ticket, kind=EventKind.CLOSED).count()


def outcomes(job: BulkJob) -> list[tuple[str, str, str]]:
    return list(job.items.order_by("position").values_list("number", "outcome", "message"))


def test_a_bulk_close_closes_each_ticket_through_the_lifecycle(world: World) -> None:
    tickets = [world.open(f"Printer {i}") for i in range(3)]

    job = runner.start(world.supervisor, "close", {"reason": "Duplicates"}, targets(*tickets))

    assert job.state == JobState.DONE  # three: run in the request
    assert (job.done, job.refused, job.total) == (3, 0, 3)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.state == State.CLOSED
        event = Event.objects.get(ticket=ticket, kind=EventKind.CLOSED)
        assert event.agent == world.supervisor
        assert event.reason == "Duplicates"
    assert summary(job.action, job.done, job.refused) == "3 closed"
    assert_counters_true()


def test_one_refusal_does_not_stop_the_rest_and_each_says_why(world: World) -> None:
    fine, done_already, changed = (world.open(f"Printer {i}") for i in range(3))
    done_already = lifecycle.close(done_already, actor=world.supervisor)
    seen = {changed.pk: changed.version}
    lifecycle.add_note(changed, actor=world.agent, body_html="<p>Looked at it</p>")
    job = runner.start(
        world.supervisor,
        "close",
        {"reason": ""},
        targets(fine, done_already, changed, seen=seen),
    )

    found = outcomes(job)
    assert found[0] == (fine.number, Outcome.DONE, "")
    assert found[1][:2] == (done_already.number, Outcome.REFUSED)
    assert "closed" in found[1][2]
    assert found[2] == (changed.number, Outcome.REFUSED, "It changed meanwhile.")
    assert Ticket.objects.get(pk=changed.pk).state == State.OPEN
    assert summary(job.action, job.done, job.refused) == "1 closed; 2 refused"


def test_a_change_the_agents_role_does_not_allow_is_refused_on_every_ticket(
    world: World,
) -> None:
    tickets = [world.open(f"Printer {i}") for i in range(2)]

    params = {"department": world.sales.pk, "reason": ""}

    job = runner.start(world.agent, "transfer", params, targets(*tickets))

    assert job.refused == 2
    assert "may not" in outcomes(job)[0][2] or "not allowed" in outcomes(job)[0][2]
    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("department", flat=True)
    ) == {world.support.pk}


def test_a_ticket_the_agent_can_no_longer_see_is_refused_saying_only_that(
    world: World, settings: Any
) -> None:
    settings.HELPLINE_BULK_INLINE = 0  # queued: the ticket moves before it runs
    mine, moved = world.open("Mine"), world.open("Moved")
    job = runner.start(world.agent, "close", {"reason": ""}, targets(mine, moved))
    assert job.state == JobState.PENDING
    lifecycle.transfer(moved, actor=world.admin, department=world.sales)

    assert runner.run(job.pk, seconds=None) == runner.Ran.DONE

    assert outcomes(job)[1] == (moved.number, Outcome.REFUSED, "You can no longer see this ticket.")
    assert Ticket.objects.get(pk=moved.pk).state == State.OPEN


def test_a_selection_leaves_out_tickets_the_agent_cannot_see_without_naming_them(
    world: World,
) -> None:
    support = world.open("Support's")
    sales = world.open("Sales'", topic=world.sales_topic)

    found, left_out = picked(world.agent, parse_picks([f"{sales.pk}:1", f"{support.pk}:1"]))

    assert found == [Target(support.pk, support.number, 1)]
    assert left_out == 1


@pytest.mark.parametrize("raw", ["x", "1:y", "-3", "1:", "99999999999999999999", "\uff11"])
def test_a_selection_that_is_no_ticket_id_is_refused(raw: str) -> None:
    with pytest.raises(BadBulkInput, match="could not be read"):
        parse_picks([raw])


def test_a_selection_over_the_limit_is_refused(settings: Any) -> None:
    settings.HELPLINE_BULK_MAX = 3
    with pytest.raises(BadBulkInput, match="At most 3 tickets"):
        parse_picks(["1", "2", "3", "4"])


def test_a_large_job_runs_in_slices_each_ticket_once(world: World, settings: Any) -> None:
    settings.HELPLINE_BULK_INLINE = 2
    tickets = [world.open(f"Printer {i}") for i in range(4)]
    job = runner.start(world.supervisor, "close", {"reason": ""}, targets(*tickets))
    assert job.state == JobState.PENDING

    ran = [runner.run(job.pk, seconds=0) for _ in range(4)]  # one ticket a run

    assert ran == [runner.Ran.MORE] * 4
    job.refresh_from_db()
    assert (job.state, job.done) == (JobState.RUNNING, 4)
    assert runner.run(job.pk, seconds=0) == runner.Ran.DONE
    assert all(closed_events(t) == 1 for t in tickets)


def test_a_job_a_live_runner_holds_is_left_to_it(world: World, settings: Any) -> None:
    settings.HELPLINE_BULK_INLINE = 0
    ticket = world.open()
    job = runner.start(world.supervisor, "close", {"reason": ""}, targets(ticket))
    BulkJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, lease_until=timezone.now() + timedelta(minutes=1)
    )

    assert runner.run(job.pk) == runner.Ran.BUSY
    assert Ticket.objects.get(pk=ticket.pk).state == State.OPEN


def test_a_runner_that_dies_mid_way_leaves_no_ticket_changed_twice_or_lost(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HELPLINE_BULK_INLINE = 0
    first, second, third = (world.open(f"Printer {i}") for i in range(3))
    job = runner.start(world.supervisor, "close", {"reason": ""}, targets(first, second, third))
    real_update = BulkItem.objects.filter(pk=0).update.__func__  # type: ignore[attr-defined]
    calls = {"n": 0}

    def dies_on_the_second(self: Any, **kwargs: Any) -> int:
        if self.model is BulkItem and "outcome" in kwargs:
            calls["n"] += 1
            if calls["n"] == 2:
                raise DatabaseError("the disk went away")
        return int(real_update(self, **kwargs))

    monkeypatch.setattr(type(BulkItem.objects.filter(pk=0)), "update", dies_on_the_second)
    with pytest.raises(DatabaseError):
        runner.run(job.pk, seconds=None)
    monkeypatch.undo()
    # The second ticket's close went with its outcome: neither is there.
    assert Ticket.objects.get(pk=second.pk).state == State.OPEN
    assert [o for _n, o, _m in outcomes(job)] == [Outcome.DONE, Outcome.PENDING, Outcome.PENDING]

    BulkJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert runner.run(job.pk, seconds=None) == runner.Ran.DONE

    assert [closed_events(t) for t in (first, second, third)] == [1, 1, 1]
    job.refresh_from_db()
    assert (job.done, job.refused, job.state) == (3, 0, JobState.DONE)


def test_a_note_for_many_is_sanitized_once_when_the_job_is_made(world: World) -> None:
    tickets = [world.open(f"Printer {i}") for i in range(2)]
    params = check("note", {"text": "<script>alert(1)</script> Checked <b>all</b>"}, world.agent)

    assert "<script>" not in params["html"]
    job = runner.start(world.agent, "note", params, targets(*tickets))

    assert job.done == 2
    bodies = Entry.objects.filter(kind=EntryKind.NOTE).values_list("body", flat=True)
    assert len(bodies) == 2
    assert all("&lt;script&gt;" in body and "<script>" not in body for body in bodies)


@pytest.mark.parametrize(
    ("action", "values", "field", "words"),
    [
        ("explode", {}, "action", "Choose what to do"),
        ("assign", {}, "agent", "Choose an agent, a team, or both"),
        ("assign", {"agent": "abc"}, "agent", "not one of the choices"),
        ("assign", {"agent": "999999"}, "agent", "not one of the choices"),
        ("status", {}, "status", "Choose a status"),
        ("transfer", {"department": "0"}, "department", "not one of the choices"),
        ("close", {"reason": "x" * 501}, "reason", "At most 500 characters"),
        ("note", {"text": "   "}, "text", "Write the note"),
        ("resolve", {"text": ""}, "text", "Explain the resolution"),
        ("merge", {"into": "123"}, "into", "a ticket you can see"),
    ],
)
def test_input_an_action_cannot_use_is_refused_with_its_field(
    world: World, action: str, values: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(BadBulkInput, match=words) as info:
        check(action, values, world.supervisor)
    assert info.value.field == field


def test_a_closed_status_is_no_status_to_change_to(world: World) -> None:
    closed = world.status("Closed")
    with pytest.raises(BadBulkInput, match="not one of the choices"):
        check("status", {"status": str(closed.pk)}, world.supervisor)


def test_an_agent_with_three_unfinished_jobs_is_told_to_wait(world: World, settings: Any) -> None:
    settings.HELPLINE_BULK_INLINE = 0
    ticket = world.open()
    for _ in range(3):
        runner.start(world.agent, "close", {"reason": ""}, targets(ticket))

    with pytest.raises(runner.TooMany, match="3 bulk actions still running"):
        runner.start(world.agent, "close", {"reason": ""}, targets(ticket))


def test_jobs_whose_runner_died_are_queued_again(world: World, settings: Any) -> None:
    settings.HELPLINE_BULK_INLINE = 0
    job = runner.start(world.supervisor, "close", {"reason": ""}, targets(world.open()))
    BulkJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, lease_until=timezone.now() - timedelta(seconds=1)
    )
    before = DBTaskResult.objects.count()

    assert runner.has_work()
    assert runner.resume_stale() == 1
    assert DBTaskResult.objects.count() == before + 1


def test_finished_jobs_are_forgotten_after_a_month(world: World) -> None:
    job = runner.start(world.supervisor, "close", {"reason": ""}, targets(world.open()))
    BulkJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=31))

    assert runner.forget_old() == 2  # the job and its item
    assert not BulkJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_large_job_is_run_by_the_worker(world: World, settings: Any) -> None:
    settings.HELPLINE_BULK_INLINE = 1
    tickets = [world.open(f"Printer {i}") for i in range(3)]
    supervisor = Agent.objects.select_related("user").get(pk=world.supervisor.pk)
    job = runner.start(supervisor, "close", {"reason": ""}, targets(*tickets))
    assert job.state == JobState.PENDING

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.done) == (JobState.DONE, 3)
    assert job.started_at is not None and job.finished_at is not None


def test_merge_into_one_merges_each_other_ticket_and_skips_the_survivor(world: World) -> None:
    survivor, first, second = (world.open(f"Printer {i}") for i in range(3))
    params = check("merge", {"into": f"#{survivor.number}"}, world.supervisor)

    job = runner.start(world.supervisor, "merge", params, targets(survivor, first, second))

    found = outcomes(job)
    assert found[0] == (
        survivor.number,
        Outcome.REFUSED,
        "It is the ticket the others were merged into.",
    )
    assert [o for _n, o, _m in found[1:]] == [Outcome.DONE, Outcome.DONE]
    merged = Ticket.objects.filter(pk__in=[first.pk, second.pk])
    assert set(merged.values_list("merged_into", flat=True)) == {survivor.pk}


def test_a_runner_that_outlived_its_lease_changes_nothing_the_next_one_did(
    world: World, settings: Any
) -> None:
    settings.HELPLINE_BULK_INLINE = 0
    ticket = world.open()
    job = runner.start(
        world.supervisor, "note", check("note", {"text": "Seen"}, world.agent), targets(ticket)
    )
    stalled = runner._claim(job.pk)  # the first runner, then it stalls
    assert stalled is not None
    BulkJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert runner.run(job.pk, seconds=None) == runner.Ran.DONE  # the next one does it all

    item = BulkItem.objects.select_related("ticket").get(job=job)
    item.outcome = Outcome.PENDING  # as the stalled runner read it, long ago
    with pytest.raises(runner.LeaseLost):
        runner._one(
            BulkJob.objects.filter(pk=job.pk, runner=stalled),
            item,
            world.supervisor,
            runner.load(job.params),
            runner.ACTIONS["note"].run,
            None,
            True,
        )

    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).count() == 1
    job.refresh_from_db()
    assert (job.done, job.state) == (1, JobState.DONE)


def test_a_ticket_that_breaks_the_change_is_refused_alone_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken, fine = world.open("Broken"), world.open("Fine")
    real = runner.ACTIONS["close"].run

    def close_or_break(t: Ticket, a: Agent, p: Any, v: int | None) -> Ticket:
        if t.pk == broken.pk:
            raise ValueError("a bug")
        return real(t, a, p, v)

    monkeypatch.setitem(
        runner.ACTIONS, "close", dataclasses.replace(runner.ACTIONS["close"], run=close_or_break)
    )
    job = runner.start(world.supervisor, "close", {"reason": ""}, targets(broken, fine))

    assert outcomes(job)[0][:2] == (broken.number, Outcome.REFUSED)
    assert "error was logged" in outcomes(job)[0][2]
    assert outcomes(job)[1][1] == Outcome.DONE
    assert job.state == JobState.DONE
    assert "could not be changed" in caplog.text
