"""The rollups of `helpline demo generate`'s history (`GeneratedFeed`): the reports
read from them equal the reports computed from the generated events, and they
equal a `rebuild` from those events.

Here rather than in helpline/tickets/tests/test_generate.py: they check the
reports' rollups (a higher app), with this app's test helpers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from helpline.reports import rollups
from helpline.reports.metrics import report
from helpline.reports.periods import Period
from helpline.reports.tests.test_rollups import same_row, snapshot
from helpline.tickets.generate import generate, run
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
SMALL = 300


@pytest.mark.parametrize("group", ["none", "department", "topic", "source"])
def test_the_reports_rollups_equal_a_recount_from_the_generated_events(group: str) -> None:
    """The report read from the rollups kept while generating is the one computed
    from the events. No generated ticket changes department, topic or source, so
    the groups at the time of an event and the ticket's current ones agree (its
    escalations do raise priorities, and it assigns agents and teams: those
    groupings would differ, as they should)."""
    generate(SMALL, seed=7, now=NOW)
    period = Period((NOW - timedelta(days=365)).date(), NOW.date(), settings.REPORTS_TIME_ZONE)

    rolled = report(period, group=group, from_rollups=True)
    exact = report(period, group=group, from_rollups=False)

    assert rolled.total.opened > SMALL // 2
    assert [r.key for r in rolled.rows] == [r.key for r in exact.rows]
    for mine, theirs in zip(rolled.rows, exact.rows, strict=True):
        same_row(mine, theirs)
    same_row(rolled.total, exact.total)
    assert rolled.backlog == exact.backlog
    assert rolled.daily == exact.daily


def test_the_rollups_kept_while_generating_equal_a_rebuild_from_the_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The generator replays each batch's events as its stories build them, in the
    child process that tells them; a rebuild reads the written events back. The
    same rows come out, histograms and every ticket's replay state included, over
    several batches and when appending to a desk."""
    monkeypatch.setattr(run, "BATCH", 70)
    generate(SMALL, seed=7, now=NOW)
    generate(120, seed=8, now=NOW, append=True)
    kept = snapshot()
    assert len(kept["RollupTicket"]) == Ticket.objects.count() == SMALL + 120
    assert any(any(row[-4:]) for row in kept["DailyRollup"])  # histograms

    rollups.rebuild()

    assert snapshot() == kept
