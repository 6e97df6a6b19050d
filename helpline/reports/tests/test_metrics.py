"""Every figure of the reports, checked against numbers worked out by hand from a
small history driven through the real lifecycle with a controlled clock.

The history (times UTC; Berlin is UTC+1 in December). The period is Tuesday
1 to Thursday 3 December 2026 in Europe/Berlin, so its bounds are
[Mon 30 Nov 23:00, Thu 3 Dec 23:00) UTC.

Support (topic Printers, plan "Office": Berlin Mon-Fri 09-17, first response
2 business hours, resolution 8), agent Alice:
  T0  opened Mon 30 Nov 10:00 (11:00 Berlin), before the period: the baseline.
      Tue 09:00 the sweep marks the first response missed (due Mon 13:00 Berlin);
      Tue 12:00 the resolution (due Tue 11:00 Berlin: 6 h Monday + 2 h Tuesday).
      Tue 14:00 Alice claims it. Wed 10:00 she resolves it: the first answer too.
      Clock 48 h; business Mon 11-17 + Tue 9-17 + Wed 9-11 = 16 h. Both missed.
  T1  opened Tue 08:00 (09:00 Berlin). On Hold 08:30-09:30 (1 h paused).
      Tue 10:00 Alice replies (claims it): 2 h - 1 h = 1 h, clock and business; met.
      Tue 14:00 resolved: 6 h - 1 h = 5 h both; met.
      Wed 09:00 the customer replies: reopened (the clock restarts, 10:00 Berlin).
      Wed 15:00 resolved again: 6 h both (10:00-16:00 Berlin); met.
      Thu 09:00 closed from Resolved (already out of the backlog).
  T2  opened Tue 16:00 (17:00 Berlin, closing time). Wed 11:00 Alice replies
      (claims it): clock 19 h, business 3 h (09-12), missed (no sweep ran, so no
      overdue event). Wed 12:00 the supervisor gives it to the team Level II
      (a team assignment: not counted as Assigned). Still open.
Sales (topic Pricing, the default plan "Standard": 24/7, resolution 8 h, no
first-response target), agent Bob:
  T3  opened Tue 12:00 by email. Tue 12:30 the admin assigns it to Bob.
      On Hold 13:00-15:00 (2 h paused). Resolved by Bob Tue 23:00 UTC, which is
      Wed 00:00 in Berlin: 11 h - 2 h = 9 h both, the first answer too; missed
      (due 22:00 with the pause).
  T4  opened Wed 08:00; Bob closes it straight from Open at 09:00 (spam).
  T6  opened Mon 30 Nov 23:30 UTC = Tue 00:30 Berlin: inside the period.
      Tue 09:00 the sweep marks its resolution missed (due Tue 07:30). Unassigned.
  T5  opened Thu 3 Dec 23:30 UTC = Fri 00:30 Berlin: after the period.
Ratings: T1's first resolution "okay" (Tue 15:00), T3's "good" (Wed 10:00),
T0's "bad" (Thu 10:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.reports.metrics import DEFINITIONS, GROUPS, Report, Row, Stats, as_json, report
from helpline.reports.metrics import sql as metrics_sql
from helpline.reports.periods import Period
from helpline.tests.plans import explain
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle.rating import rate
from helpline.tickets.models import Event, EventKind, Source, State, Ticket
from helpline.tickets.tests.test_timing import office

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 12, 1), date(2026, 12, 3), "Europe/Berlin")
TUE, WED, THU = PERIOD.days()


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11 if day == 30 else 12, day, hour, minute, tzinfo=UTC)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@dataclass
class History:
    world: World
    tickets: dict[str, Ticket]

    @property
    def alice(self) -> Agent:
        return self.world.agent

    @property
    def bob(self) -> Agent:
        return self.world.other_agent


def _resolution(ticket: Ticket) -> int:
    event = Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).order_by("-id").first()
    assert event is not None
    return event.pk


@pytest.fixture
def history(world: World) -> History:
    office(world)  # Printers (Support) runs on the Berlin office plan
    alice, bob, w = world.agent, world.other_agent, world
    on_hold, open_ = w.status("On Hold"), w.status("Open")

    def sales(subject: str, **kwargs: Any) -> Ticket:
        return w.open(subject, topic=w.sales_topic, **kwargs)

    with at(utc(30, 10)):
        t0 = w.open("T0")
    with at(utc(30, 23, 30)):
        t6 = sales("T6")
    with at(utc(1, 8)):
        t1 = w.open("T1")
    with at(utc(1, 8, 30)):
        t1 = lifecycle.change_status(t1, actor=alice, status=on_hold)
    with at(utc(1, 9)):
        t0 = lifecycle.sla_tick(t0)  # first response missed
        t6 = lifecycle.sla_tick(t6)  # resolution missed
    with at(utc(1, 9, 30)):
        t1 = lifecycle.change_status(t1, actor=alice, status=open_)
    with at(utc(1, 10)):
        t1 = lifecycle.reply(t1, actor=alice, body_html="<p>On it</p>")
    with at(utc(1, 12)):
        t0 = lifecycle.sla_tick(t0)  # resolution missed
        t3 = sales("T3", source=Source.EMAIL)
    with at(utc(1, 12, 30)):
        t3 = lifecycle.assign(t3, actor=w.admin, agent=bob)
    with at(utc(1, 13)):
        t3 = lifecycle.change_status(t3, actor=bob, status=on_hold)
    with at(utc(1, 14)):
        t0 = lifecycle.claim(t0, actor=alice)
        t1 = lifecycle.resolve(t1, actor=alice, explanation_html="<p>Fixed</p>")
    with at(utc(1, 15)):
        t3 = lifecycle.change_status(t3, actor=bob, status=open_)
        rate(t1, customer=w.customer, resolution_event_id=_resolution(t1), score="okay")
    with at(utc(1, 16)):
        t2 = w.open("T2")
    with at(utc(1, 23)):
        t3 = lifecycle.resolve(t3, actor=bob, explanation_html="<p>Price list</p>")
    with at(utc(2, 8)):
        t4 = sales("T4")
    with at(utc(2, 9)):
        t1 = lifecycle.customer_reply(t1, actor=w.customer, body_html="<p>Still burning</p>")
        t4 = lifecycle.close(t4, actor=bob, reason="Spam")
    with at(utc(2, 10)):
        t0 = lifecycle.resolve(t0, actor=alice, explanation_html="<p>Done</p>")
        rate(t3, customer=w.customer, resolution_event_id=_resolution(t3), score="good")
    with at(utc(2, 11)):
        t2 = lifecycle.reply(t2, actor=alice, body_html="<p>Morning</p>")
    with at(utc(2, 12)):
        t2 = lifecycle.assign(t2, actor=w.supervisor, team=w.team)
    with at(utc(2, 15)):
        t1 = lifecycle.resolve(t1, actor=alice, explanation_html="<p>Really fixed</p>")
    with at(utc(3, 9)):
        t1 = lifecycle.close(t1, actor=alice)
    with at(utc(3, 10)):
        rate(t0, customer=w.customer, resolution_event_id=_resolution(t0), score="bad")
    with at(utc(3, 23, 30)):
        t5 = sales("T5")
    return History(world, {"T0": t0, "T1": t1, "T2": t2, "T3": t3, "T4": t4, "T5": t5, "T6": t6})


def s(n: int, median: float | None, p90: float | None, mean: float | None) -> Stats:
    return Stats(n, median, p90, mean)


NO_STATS = s(0, None, None, None)


def sat(good: int, okay: int, bad: int) -> dict[str, Any]:
    total = good + okay + bad
    return {
        "good": good,
        "okay": okay,
        "bad": bad,
        "total": total,
        "score": round(good / total, 4) if total else None,
    }


def figures(row: Row) -> dict[str, Any]:
    out = dict(vars(row))
    del out["key"], out["label"]
    return out


# --- the whole period -------------------------------------------------------------

TOTAL = {
    "opened": 5,  # T1, T2, T3, T4, T6 (T0 before, T5 after the period)
    "assigned": 4,  # T0 claimed, T1 and T2 claimed by replying, T3 to Bob
    "overdue": 3,  # T0 first response and resolution, T6 resolution
    "resolved": 4,  # T0, T1 twice, T3
    "closed": 2,  # T4 from open, T1 from resolved
    "reopened": 1,  # T1
    # First answers: T1 1 h, T3 9 h, T2 19 h, T0 48 h (clock);
    # business: T1 1 h, T2 3 h, T3 9 h, T0 16 h. Median the 2nd of 4, p90 the 4th.
    # Means 277200 s / 4 = 19.25 h and 104400 s / 4 = 7.25 h.
    "first_response": s(4, 9.0, 48.0, 19.25),
    "first_response_business": s(4, 3.0, 16.0, 7.25),
    # Resolutions: T1 5 h, T1 6 h, T3 9 h, T0 48 h (clock; business 16 h for T0).
    # Means 244800 s / 4 = 17 h and 129600 s / 4 = 9 h.
    "resolution": s(4, 6.0, 48.0, 17.0),
    "resolution_business": s(4, 6.0, 16.0, 9.0),
    "first_response_met": 0.3333,  # T1 met; T0 and T2 missed; T3 had no target
    "resolution_met": 0.5,  # T1 twice met; T0 and T3 missed
    "first_response_breaches": 1,
    "resolution_breaches": 2,
    "reopen_rate": 0.25,  # 1 / 4
    "handled": 4,  # T0, T1, T2 (Alice), T3 (Bob)
    "satisfaction": sat(1, 1, 1),
    "backlog": 2,  # T2 and T6 at the end of Thursday
}
# Open at the end of each Berlin day: T0 before; Tuesday +T6 +T1 -T1 +T2 +T3;
# Wednesday -T3 (00:00 Berlin) +T1 (reopened) -T0 -T1 +T4 -T4 (closed while open);
# Thursday: T1 closed from Resolved changes nothing.
BACKLOG = [(TUE, 4), (WED, 2), (THU, 2)]

SUPPORT = {
    "opened": 2,  # T1, T2
    "assigned": 3,
    "overdue": 2,
    "resolved": 3,
    "closed": 1,
    "reopened": 1,
    # First answers 1, 19, 48 h (business 1, 3, 16): the 2nd and 3rd of 3;
    # means 244800 s / 3 = 22.67 h and 72000 s / 3 = 6.67 h.
    "first_response": s(3, 19.0, 48.0, 22.67),
    "first_response_business": s(3, 3.0, 16.0, 6.67),
    # Resolutions 5, 6, 48 h (business 5, 6, 16): 212400 / 3 = 19.67 h; 97200 / 3 = 9 h.
    "resolution": s(3, 6.0, 48.0, 19.67),
    "resolution_business": s(3, 6.0, 16.0, 9.0),
    "first_response_met": 0.3333,
    "resolution_met": 0.6667,
    "first_response_breaches": 1,
    "resolution_breaches": 1,
    "reopen_rate": 0.3333,
    "handled": 3,
    "satisfaction": sat(0, 1, 1),
    "backlog": 1,  # T2
}
SALES = {
    "opened": 3,  # T3, T4, T6
    "assigned": 1,
    "overdue": 1,
    "resolved": 1,
    "closed": 1,
    "reopened": 0,
    "first_response": s(1, 9.0, 9.0, 9.0),
    "first_response_business": s(1, 9.0, 9.0, 9.0),
    "resolution": s(1, 9.0, 9.0, 9.0),
    "resolution_business": s(1, 9.0, 9.0, 9.0),
    "first_response_met": None,  # the Standard plan has no first-response target
    "resolution_met": 0.0,
    "first_response_breaches": 0,
    "resolution_breaches": 1,
    "reopen_rate": 0.0,
    "handled": 1,
    "satisfaction": sat(1, 0, 0),
    "backlog": 1,  # T6
}


def test_the_total_row(history: History) -> None:
    result = report(PERIOD)
    assert figures(result.total) == TOTAL
    assert [(r.key, r.label) for r in result.rows] == [("all", "All")]
    assert figures(result.rows[0]) == TOTAL
    assert result.backlog == BACKLOG


def test_the_days_follow_the_viewers_time_zone(history: History) -> None:
    result = report(PERIOD)
    # T6 (Mon 23:30 UTC) opened on Tuesday; T3's resolution (Tue 23:00 UTC) is
    # Wednesday's; T5 (Thu 23:30 UTC) is Friday's, outside.
    assert result.daily == [
        {"day": TUE, "opened": 4, "resolved": 1},
        {"day": WED, "opened": 1, "resolved": 3},
        {"day": THU, "opened": 0, "resolved": 0},
    ]
    # Seen from UTC the same events fall on other days.
    utc_days = report(Period(TUE, THU, "UTC"))
    assert utc_days.daily == [
        {"day": TUE, "opened": 3, "resolved": 2},
        {"day": WED, "opened": 1, "resolved": 2},
        {"day": THU, "opened": 1, "resolved": 0},  # T5
    ]
    # UTC: T6 opened Monday, so the baseline is T0 and T6; Tuesday +T1 -T1 +T2 +T3
    # -T3 (3); Wednesday -T0 +T1 -T1 +T4 -T4 (2); Thursday +T5 (3).
    assert utc_days.backlog == [(TUE, 3), (WED, 2), (THU, 3)]


def test_by_department(history: History) -> None:
    result = report(PERIOD, group="department")
    w = history.world
    assert [(r.key, r.label) for r in result.rows] == [
        (str(w.sales.pk), "Sales"),
        (str(w.support.pk), "Support"),
    ]
    sales, support = result.rows
    assert figures(support) == SUPPORT
    assert figures(sales) == SALES
    assert figures(result.total) == TOTAL
    # Support: T0 before; Tuesday +T1 -T1 +T2; Wednesday -T0 +T1 -T1.
    # Sales: Tuesday +T6 +T3; Wednesday -T3 +T4 -T4.
    assert result.backlog_by_group == {
        str(w.support.pk): [(TUE, 2), (WED, 1), (THU, 1)],
        str(w.sales.pk): [(TUE, 2), (WED, 1), (THU, 1)],
    }
    assert result.backlog == BACKLOG


def test_by_help_topic_matches_the_departments_here(history: History) -> None:
    result = report(PERIOD, group="topic")
    assert [r.label for r in result.rows] == ["Pricing", "Printers"]
    assert figures(result.rows[0]) == SALES
    assert figures(result.rows[1]) == SUPPORT


def test_by_agent_each_figure_goes_to_the_agent_it_is_about(history: History) -> None:
    result = report(PERIOD, group="agent")
    alice, bob = history.alice, history.bob
    assert [(r.key, r.label) for r in result.rows] == [
        (str(alice.pk), "Alice Agent"),
        (str(bob.pk), "Bob Sales"),
        ("none", "No agent"),
    ]
    by = {r.label: figures(r) for r in result.rows}
    # Alice: her current tickets T1, T2 opened, T0's two missed targets; she
    # answered and resolved everything in Support, so its times are hers.
    assert by["Alice Agent"] == {**SUPPORT, "reopened": 0, "reopen_rate": 0.0}
    assert by["Bob Sales"] == {
        **SALES,
        "opened": 1,  # T3 (T4 and T6 are nobody's)
        "overdue": 0,
        "resolution_breaches": 0,
        "backlog": 0,
    }
    assert by["No agent"] == {
        "opened": 2,  # T4, T6 (unassigned)
        "assigned": 0,
        "overdue": 1,  # T6
        "resolved": 0,
        "closed": 0,
        "reopened": 1,  # the customer reopened T1
        "first_response": NO_STATS,
        "first_response_business": NO_STATS,
        "resolution": NO_STATS,
        "resolution_business": NO_STATS,
        "first_response_met": None,
        "resolution_met": None,
        "first_response_breaches": 0,
        "resolution_breaches": 1,
        "reopen_rate": None,  # nothing resolved
        "handled": 0,
        "satisfaction": sat(0, 0, 0),
        "backlog": 1,  # T6
    }
    # Alice holds T0, T1, T2 (as Support); Bob held T3 for one day; T6 and T4 nobody.
    assert result.backlog_by_group == {
        str(alice.pk): [(TUE, 2), (WED, 1), (THU, 1)],
        str(bob.pk): [(TUE, 1), (WED, 0), (THU, 0)],
        "none": [(TUE, 1), (WED, 1), (THU, 1)],
    }
    assert figures(result.total) == TOTAL


def test_by_team_source_and_priority(history: History) -> None:
    by_team = report(PERIOD, group="team")
    assert [r.label for r in by_team.rows] == ["Level II", "No team"]
    team = by_team.rows[0]
    # T2 only: opened, claimed by Alice's reply (19 h, 3 h business, missed), open.
    assert (team.opened, team.assigned, team.handled, team.backlog) == (1, 1, 1, 1)
    assert team.first_response == s(1, 19.0, 19.0, 19.0)
    assert team.first_response_business == s(1, 3.0, 3.0, 3.0)
    assert team.first_response_met == 0.0
    assert by_team.rows[1].opened == 4

    by_source = report(PERIOD, group="source")
    assert [(r.key, r.label, r.opened, r.resolved) for r in by_source.rows] == [
        ("web", "Web", 4, 3),
        ("email", "Email", 1, 1),  # T3
    ]
    email = by_source.rows[1]
    assert email.resolution == s(1, 9.0, 9.0, 9.0)
    assert email.satisfaction == sat(1, 0, 0)

    by_priority = report(PERIOD, group="priority")
    assert [r.label for r in by_priority.rows] == ["Normal"]
    assert figures(by_priority.rows[0]) == TOTAL


def test_an_agent_sees_only_their_own_figures(history: History) -> None:
    mine = report(PERIOD, agent=history.alice)
    assert figures(mine.total) == {**SUPPORT, "reopened": 0, "reopen_rate": 0.0}
    assert mine.backlog == [(TUE, 2), (WED, 1), (THU, 1)]
    assert mine.daily == [
        {"day": TUE, "opened": 2, "resolved": 1},
        {"day": WED, "opened": 0, "resolved": 2},
        {"day": THU, "opened": 0, "resolved": 0},
    ]
    bobs = report(PERIOD, group="department", agent=history.bob)
    assert [r.label for r in bobs.rows] == ["Sales"]
    assert bobs.total.resolved == 1 and bobs.total.closed == 1


def test_an_agent_sees_only_tickets_they_may_see(history: History) -> None:
    # Bob works in Sales only: T3, T4, T6.
    seen = report(PERIOD, group="department", visible_to=history.bob)
    assert [r.label for r in seen.rows] == ["Sales"]
    assert figures(seen.total) == SALES
    assert seen.backlog == [(TUE, 2), (WED, 1), (THU, 1)]
    everything = report(PERIOD, visible_to=history.world.admin)
    assert figures(everything.total) == TOTAL


def test_an_inactive_agent_sees_nothing(history: History) -> None:
    bob = history.bob
    bob.user.is_active = False
    bob.user.save()
    result = report(PERIOD, group="department", visible_to=bob)
    assert result.rows == [] and result.total.opened == 0
    assert result.total.resolution == NO_STATS
    assert result.backlog == [(TUE, 0), (WED, 0), (THU, 0)]


def test_a_period_before_anything_happened_is_empty(history: History) -> None:
    result = report(Period(date(2026, 11, 1), date(2026, 11, 2), "Europe/Berlin"), group="agent")
    assert result.rows == []
    assert result.total.opened == 0 and result.total.first_response == NO_STATS
    assert result.total.reopen_rate is None and result.total.first_response_met is None
    assert result.backlog == [(date(2026, 11, 1), 0), (date(2026, 11, 2), 0)]


def test_a_day_after_the_history_keeps_the_backlog(history: History) -> None:
    result = report(Period(date(2026, 12, 10), date(2026, 12, 10), "Europe/Berlin"))
    assert result.backlog == [(date(2026, 12, 10), 3)]  # T2, T6 and T5
    assert result.total.opened == 0


def test_as_json_is_plain_json(history: History) -> None:
    import json

    data = as_json(report(PERIOD, group="department"))
    json.dumps(data)  # nothing that JSON cannot carry
    assert data["period"] == {
        "start": "2026-12-01",
        "end": "2026-12-03",
        "tz": "Europe/Berlin",
        "label": "2026-12-01 to 2026-12-03",
    }
    assert data["group_label"] == "Department"
    assert data["backlog"][0] == {"day": "2026-12-01", "open": 4}
    assert data["daily"][1] == {"day": "2026-12-02", "opened": 1, "resolved": 3}
    support = data["rows"][1]
    assert support["label"] == "Support"
    assert support["first_response"] == {"n": 3, "median": 19.0, "p90": 48.0, "mean": 22.67}
    assert data["total"]["satisfaction"]["score"] == 0.3333


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown grouping"):
        report(PERIOD, group="weather")


# --- percentiles ---------------------------------------------------------------


def _resolutions(world: World, hours: list[int]) -> None:
    """RESOLVED events taking `hours`, written directly (only their data matters)."""
    with at(utc(1, 8)):
        ticket = world.open()
    Event.objects.bulk_create(
        Event(
            ticket=ticket,
            kind=EventKind.RESOLVED,
            agent=world.agent,
            actor_name="Alice",
            data={"seconds": h * 3600, "business_seconds": h * 1800},
            created_at=utc(2, 12),
        )
        for h in hours
    )


@pytest.mark.parametrize(
    ("hours", "median", "p90"),
    [
        ([7], 7.0, 7.0),
        ([2, 1], 1.0, 2.0),  # ⌈1⌉ = 1st, ⌈1.8⌉ = 2nd
        ([5, 1, 4, 2, 3], 3.0, 5.0),  # ⌈2.5⌉ = 3rd, ⌈4.5⌉ = 5th
        (list(range(10, 0, -1)), 5.0, 9.0),  # ⌈5⌉ = 5th, ⌈9⌉ = 9th
        (list(range(1, 21)), 10.0, 18.0),
        ([3, 3, 3, 1], 3.0, 3.0),  # ties
    ],
)
def test_percentiles_take_the_nearest_rank(
    world: World, hours: list[int], median: float, p90: float
) -> None:
    _resolutions(world, hours)
    stats = report(PERIOD, group="department").total.resolution
    assert (stats.n, stats.median, stats.p90) == (len(hours), median, p90)
    business = report(PERIOD).total.resolution_business
    assert (business.median, business.p90) == (median / 2, p90 / 2)


def test_the_nearest_rank_agrees_with_percentile_disc_for_every_count(world: World) -> None:
    """The SQLite ranks (⌈q·n⌉ in SQL) and PostgreSQL's percentile_disc pick the
    same value for every n up to 200: the rank the definition states."""
    import math

    _resolutions(world, list(range(1, 201)))
    events = metrics_sql.period_events(*PERIOD.bounds(), agent=None, visible_to=None)
    for n in (1, 2, 3, 9, 10, 11, 19, 20, 21, 99, 100, 101, 199, 200):
        subset = events.filter(data__seconds__lte=n * 3600)
        if metrics_sql.is_postgres():
            row = subset.aggregate(**metrics_sql.aggregates(True))
            got = (row["res_p50"], row["res_p90"])
        else:
            ranks = metrics_sql.sqlite_percentiles(subset, None)[("res", metrics_sql.TOTAL)]
            got = (ranks["p50"], ranks["p90"])
        assert got == (math.ceil(n * 0.5) * 3600, math.ceil(n * 0.9) * 3600), n


# --- cost -------------------------------------------------------------------------

# labels, grouped figures, total, [SQLite: percentiles], backlog, ratings
QUERIES = {"none": 5, "department": 7, "agent": 7, "source": 6}  # backlog: events + open now


@pytest.mark.parametrize("group", list(QUERIES))
def test_a_report_costs_a_fixed_number_of_queries(
    history: History, group: str, django_assert_num_queries: Any
) -> None:
    expected = QUERIES[group] - (1 if metrics_sql.is_postgres() else 0)
    with django_assert_num_queries(expected):
        report(PERIOD, group=group)
    # More tickets, groups and days cost no more queries.
    with at(utc(3, 12)):
        for _ in range(3):
            history.world.open(topic=history.world.sales_topic)
    with django_assert_num_queries(expected):
        report(Period(date(2026, 11, 1), date(2026, 12, 31), "Europe/Berlin"), group=group)


def test_visibility_costs_two_queries_once_per_agent(
    history: History, django_assert_num_queries: Any
) -> None:
    bob = Agent.objects.select_related("user").get(pk=history.bob.pk)
    expected = QUERIES["department"] - (1 if metrics_sql.is_postgres() else 0)
    with django_assert_num_queries(expected + 2):  # his departments and teams
        report(PERIOD, group="department", visible_to=bob)
    with django_assert_num_queries(expected):
        report(PERIOD, group="department", visible_to=bob)


def _busy_desk(history: History) -> None:
    """Many other events in the period (internal notes on one ticket), as on a real
    desk: on a table of a few dozen rows PostgreSQL's planner may walk any index of
    it, which says nothing about the period's read; with the notes, only the
    (kind, created_at) index reads the period's few counted events directly."""
    start, end = PERIOD.bounds()
    ticket = Ticket.objects.order_by("pk").first()
    step = (end - start) / 20_000
    Event.objects.bulk_create(
        Event(
            ticket=ticket,
            kind=EventKind.NOTE,
            actor_name="Filler",
            created_at=start + step * i,
        )
        for i in range(20_000)
    )


@pytest.mark.parametrize("group", ["department", "agent"])
def test_the_period_is_read_through_the_kind_and_time_index(history: History, group: str) -> None:
    _busy_desk(history)
    start, end = PERIOD.bounds()
    events = metrics_sql.period_events(start, end, agent=None, visible_to=None)
    queries = [
        metrics_sql.grouped(events, group),
        events.values("kind").annotate(**metrics_sql.aggregates(metrics_sql.is_postgres())),
    ]
    for qs in queries:
        text = explain(*qs.query.sql_with_params(), sorts=True, analyze="tickets_event")
        assert "event_kind_created" in text, text


@pytest.mark.parametrize("group", [None, "department"])
def test_the_tickets_open_now_are_counted_by_the_database_not_read(
    world: World, group: str | None
) -> None:
    """The backlog's starting point: one row in all (or one per group), whatever the
    number of open tickets, and no ticket's columns read."""
    for n in range(5):
        world.open(f"Open {n}", topic=world.sales_topic if n % 2 else world.topic)
    open_tickets = Ticket.objects.filter(state=State.OPEN)

    with CaptureQueriesContext(connection) as queries:
        counts = metrics_sql.open_counts(open_tickets, group)

    assert sorted(int(c["n"]) for c in counts) == ([5] if group is None else [2, 3])
    [query] = queries.captured_queries
    assert "subject" not in query["sql"]


# --- definitions ------------------------------------------------------------------


def test_every_figure_has_a_definition_written_in_the_docs() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "metrics.md").read_text()
    flat = " ".join(docs.split())
    for key, text in DEFINITIONS.items():
        assert str(text) in flat, key
    row_fields = set(Row.__dataclass_fields__) - {"key", "label"}
    assert row_fields <= set(DEFINITIONS)
    assert set(GROUPS) == {"none", "department", "topic", "agent", "team", "priority", "source"}


def test_report_type_is_what_the_pages_use() -> None:
    assert Report.__dataclass_fields__.keys() >= {
        "period",
        "group",
        "rows",
        "total",
        "backlog",
        "daily",
    }
