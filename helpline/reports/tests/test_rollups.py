"""The daily rollups: kept by the lifecycle's signal, equal to a recount from the
events (the report's event queries, and `rebuild`), read by the reports with the
viewer's visibility, at a cost that does not depend on the events.

The history is test_metrics.py's (1-3 December 2026, Europe/Berlin); here the
desk keeps its rollups in Berlin days, so the same period reads them.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.accounts.models import Agent, Role
from helpline.conftest import World, make_agent
from helpline.reports import rollups
from helpline.reports.metrics import Report, Row, Stats, report
from helpline.reports.metrics import from_rollups as reading
from helpline.reports.models import HISTOGRAMS, KEY_FIELDS, DailyRollup, RollupTicket, Scope
from helpline.reports.periods import Period
from helpline.reports.rollups import store
from helpline.reports.tests import test_metrics
from helpline.reports.tests.test_metrics import PERIOD, History, at, utc
from helpline.tests.plans import explain
from helpline.tickets import lifecycle
from helpline.tickets.models import Priority, State, Ticket

pytestmark = pytest.mark.django_db

history = test_metrics.history


@pytest.fixture(autouse=True)
def _berlin_days(settings: Any) -> None:
    """The desk's report zone is Berlin's: before any ticket is opened."""
    settings.REPORTS_TIME_ZONE = "Europe/Berlin"


def close_to(rolled: float | None, exact: float | None) -> bool:
    """A percentile from the histogram: within 5 % (and the hours' rounding)."""
    if rolled is None or exact is None:
        return rolled is exact
    return abs(rolled - exact) <= 0.05 * exact + 0.01


def same_stats(rolled: Stats, exact: Stats) -> None:
    assert (rolled.n, rolled.mean) == (exact.n, exact.mean)
    assert close_to(rolled.median, exact.median), (rolled, exact)
    assert close_to(rolled.p90, exact.p90), (rolled, exact)


TIMES = ("first_response", "first_response_business", "resolution", "resolution_business")


def same_row(rolled: Row, exact: Row, *, handled: bool = False) -> None:
    """Every figure equal, percentiles within 5 %; Handled only when asked (the
    rollups count a ticket once a day, the events once a period)."""
    a, b = dict(vars(rolled)), dict(vars(exact))
    for name in (*TIMES, *(() if handled else ("handled",))):
        del a[name], b[name]
    assert a == b
    for name in TIMES:
        same_stats(getattr(rolled, name), getattr(exact, name))


def both(group: str, **kwargs: Any) -> tuple[Report, Report]:
    return (
        report(PERIOD, group=group, from_rollups=True, **kwargs),
        report(PERIOD, group=group, from_rollups=False, **kwargs),
    )


# --- the reports read them --------------------------------------------------------


def test_a_report_in_the_desks_zone_reads_the_rollups(history: History) -> None:
    with CaptureQueriesContext(connection) as queries:
        report(PERIOD, group="department")
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "reports_dailyrollup" in read and "tickets_event" not in read
    assert "tickets_rating" not in read  # the ratings are counted in the rollups


def test_a_report_in_another_zone_is_computed_from_the_events(history: History) -> None:
    with CaptureQueriesContext(connection) as queries:
        report(Period(PERIOD.start, PERIOD.end, "Asia/Tokyo"), group="department")
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "tickets_event" in read and "reports_dailyrollup" not in read


@pytest.mark.parametrize("group", ["none", "department", "topic", "priority", "source"])
def test_the_rollups_give_the_event_figures(history: History, group: str) -> None:
    """No ticket of the history moved between these groups, so the time of the
    event and the ticket's current value agree: every figure is the same."""
    rolled, exact = both(group)
    assert [r.key for r in rolled.rows] == [r.key for r in exact.rows]
    for mine, theirs in zip(rolled.rows, exact.rows, strict=True):
        same_row(mine, theirs)
    same_row(rolled.total, exact.total)
    assert rolled.backlog == exact.backlog
    assert rolled.daily == exact.daily
    assert rolled.backlog_by_group == exact.backlog_by_group


def test_handled_counts_a_ticket_once_a_day(history: History) -> None:
    """T1 on Tuesday (reply and resolution: once) and again on Wednesday; T3 at
    Wednesday 00:00 in Berlin; T0 and T2 on Wednesday: 5 ticket-days (4 tickets)."""
    rolled, exact = both("agent")
    assert (rolled.total.handled, exact.total.handled) == (5, 4)
    alice = {r.key: r.handled for r in rolled.rows}[str(history.alice.pk)]
    assert alice == 4  # T1 twice, T0, T2


def test_by_agent_opened_and_overdue_go_to_the_assignee_of_the_moment(history: History) -> None:
    """Every ticket opened unassigned; T0 and T6 were unassigned when their targets
    were missed (Alice claimed T0 later): all under “No agent”."""
    rolled, _exact = both("agent")
    rows = {r.key: r for r in rolled.rows}
    assert (rows["none"].opened, rows["none"].overdue) == (5, 3)
    alice, bob = rows[str(history.alice.pk)], rows[str(history.bob.pk)]
    assert (alice.assigned, alice.resolved, bob.assigned, bob.resolved) == (3, 3, 1, 1)
    assert alice.backlog == 1 and bob.backlog == 0  # T2 is still Alice's


def test_a_team_assignment_moves_the_backlog_not_the_past(history: History) -> None:
    """T2 went to Level II on Wednesday 12:00: what happened before stays under
    “No team”; from Wednesday it is Level II's open ticket."""
    rolled, exact = both("team")
    rows = {r.key: r for r in rolled.rows}
    team = rows[str(history.world.team.pk)]
    assert (team.opened, team.first_response.n, team.backlog) == (0, 0, 1)
    tue, wed, thu = PERIOD.days()
    assert rolled.backlog_by_group[team.key] == [(tue, 0), (wed, 1), (thu, 1)]
    assert {r.key: r.opened for r in exact.rows}[team.key] == 1  # the events: current team


def test_an_agent_sees_only_their_own_figures(history: History) -> None:
    rolled, exact = both("department", agent=history.bob)
    assert [r.key for r in rolled.rows] == [r.key for r in exact.rows]
    mine = {r.key: r for r in rolled.rows}[str(history.world.sales.pk)]
    # Bob: assigned T3, resolved T3 (the first answer too), closed T4.
    assert (mine.assigned, mine.resolved, mine.closed, mine.opened) == (1, 1, 1, 0)
    assert (mine.first_response.n, mine.handled) == (1, 1)
    # T3 opened unassigned: the events give it to Bob, who holds it now.
    assert (rolled.total.opened, exact.total.opened) == (0, 1)
    rolled.total.opened = exact.total.opened
    same_row(rolled.total, exact.total, handled=True)


def test_a_supervisor_sees_their_departments_and_their_tickets_beyond(
    history: History,
) -> None:
    """Sam supervises Support; Sales' T4, once given to his team, is his to see
    too, from then on: as visibility_filter lets him (department, assignee, team)."""
    sam = history.world.supervisor
    rolled, exact = both("department", visible_to=sam)
    assert [r.key for r in rolled.rows] == [str(history.world.support.pk)]
    for mine, theirs in zip(rolled.rows, exact.rows, strict=True):
        same_row(mine, theirs)
    with at(utc(3, 11)):
        t4 = lifecycle.reopen(history.tickets["T4"], actor=history.bob, reason="Not spam")
        lifecycle.assign(t4, actor=history.world.admin, team=history.world.team)
    seen = report(PERIOD, group="department", visible_to=Agent.objects.get(pk=sam.pk))
    sales = {r.key: r for r in seen.rows}[str(history.world.sales.pk)]
    # Only what happened while it was his team's: not its opening, closing, reopening.
    assert (sales.opened, sales.closed, sales.reopened) == (0, 0, 0)
    assert sales.backlog == 1


def test_an_outsider_to_every_department_sees_nothing(world: World) -> None:
    with at(utc(1, 10)):
        world.open("Nobody's")
    lone = make_agent("lone.wolf", Role.SUPERVISOR)
    seen = report(PERIOD, group="department", visible_to=lone)
    assert seen.rows == [] and seen.total.opened == 0
    lone.user.is_active = False
    lone.user.save()
    gone = Agent.objects.select_related("user").get(pk=lone.pk)
    assert report(PERIOD, visible_to=gone).total.opened == 0


# --- kept in step, and equal to a recount -----------------------------------------


def snapshot() -> dict[str, Any]:
    """Every rollup row, but those that add up to nothing: a backlog move and its
    return on the same day, in two changes, leave a row of zeros that a rebuild,
    adding both up before it writes, does not write."""

    def rows(model: Any) -> list[tuple[Any, ...]]:
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        counted = [f for f in fields if f not in (*KEY_FIELDS, *HISTOGRAMS, "state")]
        found = model.objects.values_list(*fields)
        if counted:
            found = found.exclude(**{name: 0 for name in counted})
        return sorted(tuple(r) for r in found)

    return {m.__name__: rows(m) for m in (DailyRollup, RollupTicket)}


def busy_week(history: History) -> None:
    """A mix of what moves tickets between groups, after the history."""
    w = history.world
    t = history.tickets
    urgent = Priority.objects.exclude(pk=t["T2"].priority_id).first()
    with at(utc(3, 12)):
        t2 = lifecycle.transfer(t["T2"], actor=w.admin, department=w.sales, reason="Sales")
        lifecycle.assign(t2, actor=w.admin, agent=history.bob)
    with at(utc(3, 13)):
        t6 = lifecycle.claim(t["T6"], actor=history.bob)
        if urgent is not None:
            t6 = lifecycle.change_priority(t6, actor=history.bob, priority=urgent)
        lifecycle.reply(t6, actor=history.bob, body_html="<p>Looking</p>")
    with at(utc(4, 9)):
        t0 = lifecycle.reopen(t["T0"], actor=history.alice, reason="Again")
        lifecycle.release(t0, actor=history.alice)
    with at(utc(4, 10)):
        for n in range(3):
            w.open(f"More {n}", topic=w.sales_topic if n % 2 else w.topic)


def test_rebuild_recounts_the_same_rollups_from_the_events(history: History) -> None:
    busy_week(history)
    kept = snapshot()
    assert kept["DailyRollup"]
    assert any(row[-len(HISTOGRAMS) :] != ({},) * len(HISTOGRAMS) for row in kept["DailyRollup"])
    RollupTicket.objects.all().delete()
    DailyRollup.objects.update(opened=99)

    assert rollups.rebuild() == Ticket.objects.count()

    assert snapshot() == kept


def test_rebuild_of_some_days_leaves_the_others(history: History) -> None:
    busy_week(history)
    kept = snapshot()
    wed = date(2026, 12, 2)
    DailyRollup.objects.filter(day=wed).update(fr_hist={"7": 7})
    DailyRollup.objects.filter(day=wed, opened__gt=0).delete()
    DailyRollup.objects.filter(day=date(2026, 12, 3)).update(opened=42)  # left alone

    rollups.rebuild(wed, wed)

    again = snapshot()
    changed = [r for r in again["DailyRollup"] if r not in kept["DailyRollup"]]
    assert changed and all(r[0] == date(2026, 12, 3) for r in changed)


def test_the_backlog_adds_up_to_the_open_tickets_by_their_current_groups(
    history: History,
) -> None:
    busy_week(history)
    fields = {
        "department": "department_id",
        "topic": "topic_id",
        "team": "team_id",
        "priority": "priority_id",
        "source": "source",
        "agent": "assignee_id",
    }
    for dim, column in fields.items():
        moved = (
            DailyRollup.objects.filter(dim=dim, scope=Scope.DEPARTMENT)
            .values("key")
            .annotate(n=Count("pk"))
        )
        summed: dict[str, int] = {}
        for row in DailyRollup.objects.filter(dim=dim, scope=Scope.DEPARTMENT).values(
            "key", "backlog"
        ):
            summed[row["key"]] = summed.get(row["key"], 0) + row["backlog"]
        open_now = Ticket.objects.filter(state=State.OPEN).values(column).annotate(n=Count("pk"))
        expected = {str(r[column] or ""): r["n"] for r in open_now}
        assert {k: v for k, v in summed.items() if v} == expected, (dim, list(moved))


def test_the_events_after_a_rebuild_are_added_to_it(history: History) -> None:
    """A ticket the rollups never saw (opened before them): its state is replayed
    from its events the first time it changes."""
    RollupTicket.objects.filter(ticket_id=history.tickets["T2"].pk).delete()
    before = snapshot()
    with at(utc(3, 12)):
        lifecycle.release(history.tickets["T2"], actor=history.alice)
    rolled = report(Period(date(2026, 12, 3), date(2026, 12, 3), "Europe/Berlin"), group="agent")
    assert {r.key: r.backlog for r in rolled.rows}.get(str(history.alice.pk), 0) == 0
    assert snapshot() != before


def test_a_change_that_rolls_back_takes_its_figures_with_it(history: History) -> None:
    before = snapshot()
    with pytest.raises(lifecycle.LifecycleError), at(utc(3, 12)):
        lifecycle.reply(history.tickets["T2"], actor=history.world.outsider, body_html="<p>x</p>")
    assert snapshot() == before


def test_the_rebuild_command(history: History) -> None:
    DailyRollup.objects.all().delete()
    out = StringIO()
    call_command("reports", "rebuild-rollups", stdout=out)
    assert "7 tickets" in out.getvalue()
    assert report(PERIOD).total.opened == 5
    call_command("reports", "rebuild-rollups", "--start", "2026-12-02", "--end", "2026-12-02")
    assert report(PERIOD).total.opened == 5


def test_the_rebuild_command_refuses_bad_dates() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reports", "rebuild-rollups", "--start", "yesterday")
    with pytest.raises(CommandError, match="before"):
        call_command("reports", "rebuild-rollups", "--start", "2026-12-02", "--end", "2026-12-01")


# --- the histogram -----------------------------------------------------------------


def test_a_bucket_holds_values_within_five_percent_of_its_middle() -> None:
    for seconds in [1, 1.5, 59, 60, 3599, 3600, 86_400 * 3 + 17, 3e8]:
        middle = rollups.bucket_value(rollups.bucket_of(seconds))
        assert abs(middle - seconds) <= 0.049 * seconds
    assert rollups.bucket_value(rollups.bucket_of(0.4)) == 0.0


def test_the_percentile_is_the_bucket_of_the_nearest_rank() -> None:
    # 10 values: 9 of one second, 1 of an hour: the median is the 5th, p90 the 9th.
    counts = [(rollups.bucket_of(1), 9), (rollups.bucket_of(3600), 1)]
    found = reading._percentiles("fr", counts)
    assert close_to(found["fr_p50"], 1) and close_to(found["fr_p90"], 1)
    counts = [(rollups.bucket_of(1), 8), (rollups.bucket_of(3600), 2)]
    assert close_to(reading._percentiles("fr", counts)["fr_p90"], 3600)


# --- cost ---------------------------------------------------------------------------

# rollup figures (with the ratings), buckets, backlog, [labels]
QUERIES = {"none": 3, "department": 4, "agent": 4, "source": 3}


@pytest.mark.parametrize("group", list(QUERIES))
def test_a_report_costs_a_fixed_number_of_queries(
    history: History, group: str, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(QUERIES[group]):
        report(PERIOD, group=group)
    with at(utc(3, 12)):
        for _ in range(3):
            history.world.open(topic=history.world.sales_topic)
    with django_assert_num_queries(QUERIES[group]):
        report(Period(date(2025, 12, 31), date(2026, 12, 31), "Europe/Berlin"), group=group)


def test_a_change_adds_a_few_statements_for_the_rollups(
    history: History, django_assert_max_num_queries: Any
) -> None:
    """The receiver's share of a reply: the ticket's state, the rows (with the
    first response's histogram) and the state again."""
    with CaptureQueriesContext(connection) as queries, at(utc(3, 12)):
        lifecycle.reply(history.tickets["T6"], actor=history.bob, body_html="<p>Hi</p>")
    mine = [q["sql"] for q in queries.captured_queries if "reports_" in q["sql"]]
    assert len(mine) == 3, mine


def _busy_rollups() -> None:
    """Many other days and groups, as on a real desk, so the planner has a reason
    to pick an index on a table it would otherwise scan."""
    day = date(2020, 1, 1)
    keys = [
        {
            "day": day + timedelta(days=i // 20),
            "dim": dim,
            "key": str(i % 20),
            "scope": Scope.DEPARTMENT,
            "department_key": i % 5,
        }
        for i in range(4000)
        for dim in ("none", "department", "topic")
    ]
    DailyRollup.objects.bulk_create(
        DailyRollup(**k, opened=1, fr_n=1, fr_sum=8000, fr_hist={"90": 1}) for k in keys
    )


KEY_INDEXES = ("rollup_key", "sqlite_autoindex_reports_dailyrollup_1")


@pytest.mark.parametrize("group", ["department", "topic"])
def test_the_period_is_read_through_the_rollups_index(history: History, group: str) -> None:
    _busy_rollups()
    with CaptureQueriesContext(connection) as queries:
        report(PERIOD, group=group)
    reads = [q["sql"] for q in queries.captured_queries if "reports_" in q["sql"]]
    assert len(reads) == 3
    for sql in reads:
        assert "tickets_event" not in sql
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        text = explain(sql, None)
        # SQLite names the unique constraint's index after the table.
        assert any(name in text for name in KEY_INDEXES), text
        assert "SCAN reports" not in text and "Seq Scan" not in text, text


def test_the_reports_page_costs_the_same_queries_with_more_events(
    history: History, client: Any
) -> None:
    """The whole page (session, agent, report, labels), as the administrator and
    as a supervisor: the same statements after more tickets and events, and none
    of them reads the events."""
    page = {"preset": "custom", "start": "2026-12-01", "end": "2026-12-03", "group": "topic"}
    for who in (history.world.admin, history.world.supervisor):
        client.force_login(who.user)

        def load() -> list[str]:
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/desk/reports/", page).status_code == 200
            return [q["sql"] for q in queries.captured_queries]

        before = load()
        with at(utc(2, 12)):
            for n in range(4):
                t = history.world.open(f"More {n}")
                lifecycle.reply(t, actor=history.alice, body_html="<p>On it</p>")
        after = load()
        assert len(after) == len(before)
        assert not [sql for sql in after if "tickets_event" in sql]


def test_a_change_takes_its_rollup_rows_in_key_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each row is locked as it is upserted: two changes taking the same rows in
    opposite orders (a transfer from Sales to Support beside one the other way,
    or a sweep batch beside a transfer) deadlocked on PostgreSQL."""
    ticket = world.open("Wrong desk", topic=world.sales_topic)
    assert world.sales.pk > world.support.pk  # the move goes down the key order
    taken: list[list[list[object]]] = []
    real = store._upsert

    def upsert(table: str, columns: Any, updates: Any, rows: list[list[object]]) -> None:
        taken.append(rows)
        real(table, columns, updates, rows)

    monkeypatch.setattr(store, "_upsert", upsert)

    lifecycle.transfer(ticket, actor=world.admin, department=world.support)

    departments = [row[KEY_FIELDS.index("department_key")] for row in taken[0]]
    assert world.sales.pk in departments and world.support.pk in departments
    for rows in taken:
        assert rows == sorted(rows, key=lambda row: tuple(row[: len(KEY_FIELDS)]))


def test_the_upsert_adds_histograms_bucket_by_bucket() -> None:
    """Merged in SQL (json_each on SQLite, jsonb_each_text on PostgreSQL): the same
    bucket adds up, others join, a side with no values leaves the other as it is,
    and several rows go in one statement."""
    day = date(2026, 12, 1)
    one = ("none", Scope.DEPARTMENT, day, "", 0, 0, 0, 0)
    two = ("department", Scope.DEPARTMENT, day, "7", 7, 0, 0, 0)

    store.write({one: {"fr_n": 2, "fr_sum": 10.0}}, {(one, "fr", 3): 1, (one, "fr", 5): 1})
    store.write(
        {one: {"fr_n": 3, "res_n": 1}, two: {"opened": 1}},
        {(one, "fr", 3): 2, (one, "fr", 90): 1, (one, "res", 4): 1},
    )
    store.write({one: {"opened": 1}, two: {"fr_n": 1}}, {(two, "fr", 12): 1})

    first = DailyRollup.objects.get(dim="none", day=day)
    assert first.fr_hist == {"3": 3, "5": 1, "90": 1}
    assert first.res_hist == {"4": 1}
    assert first.frb_hist == first.resb_hist == {}
    assert (first.fr_n, first.res_n, first.opened, first.fr_sum) == (5, 1, 1, 10.0)
    second = DailyRollup.objects.get(dim="department", day=day)
    assert second.fr_hist == {"12": 1} and second.opened == 1


@pytest.mark.parametrize("clock", ["now", "23:30 UTC"])
def test_a_rating_counts_for_the_agent_whose_resolution_it_rates(world: World, clock: str) -> None:
    """Rating.agent: the agent of the rated resolution, not whoever resolved last or
    holds the ticket when the customer rates (an older resolution can be rated
    after the ticket was reopened and resolved again).

    The period ends on the report zone's today, not UTC's: at 23:30 UTC it is
    already tomorrow in Berlin, where the rollups put these events (date.today()
    missed them for that hour)."""
    if clock == "now":
        _rate_the_first_answer(world)
        return
    late = timezone.now().replace(hour=23, minute=30, second=0, microsecond=0)
    with time_machine.travel(late, tick=True):
        _rate_the_first_answer(world)


def _rate_the_first_answer(world: World) -> None:
    ticket = world.open("Rate the first answer")
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>One.</p>")
    first = ticket.events.filter(kind="resolved").latest("id")
    ticket = lifecycle.reopen(ticket, actor=world.admin, reason="Not quite")
    ticket = lifecycle.resolve(ticket, actor=world.supervisor, explanation_html="<p>Two.</p>")
    lifecycle.rate(ticket, customer=world.customer, resolution_event_id=first.pk, score="bad")
    today = timezone.localdate(timezone=ZoneInfo(settings.REPORTS_TIME_ZONE))
    period = Period(today - timedelta(days=1), today, settings.REPORTS_TIME_ZONE)

    rolled = report(period, group="agent", from_rollups=True)
    exact = report(period, group="agent", from_rollups=False)

    def bad(rows: list[Row]) -> dict[str, int]:
        return {row.key: n for row in rows if (n := (row.satisfaction or {}).get("bad", 0))}

    assert bad(rolled.rows) == bad(exact.rows) == {str(world.agent.pk): 1}
    assert rolled.total.satisfaction == exact.total.satisfaction
    mine = report(period, group="none", agent=world.agent, from_rollups=True)
    assert (mine.total.satisfaction or {}).get("bad") == 1
    theirs = report(period, group="none", agent=world.supervisor, from_rollups=True)
    assert (theirs.total.satisfaction or {}).get("total") == 0
