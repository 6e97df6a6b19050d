"""A merge in the reports: the merged ticket leaves the backlog (it is not counted
as closed) and its undo brings it back, in the rollups and in the figures worked
out from the events alike, and a rebuild of the rollups agrees."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.conftest import World
from helpline.reports import rollups
from helpline.reports.metrics import report
from helpline.reports.models import DailyRollup, RollupTicket
from helpline.reports.tests.test_metrics import PERIOD, THU, TUE, WED, at, utc
from helpline.reports.tests.test_rollups import snapshot
from helpline.tickets import lifecycle


@pytest.fixture(autouse=True)
def _berlin_days(settings: Any) -> None:
    settings.REPORTS_TIME_ZONE = "Europe/Berlin"


def test_a_merge_leaves_the_backlog_and_its_undo_returns_to_it(world: World) -> None:
    with at(utc(1, 9)):
        keep, dup = world.open("Printer on fire"), world.open("Printer still on fire")
    with at(utc(2, 9)):
        lifecycle.merge(dup, into=keep, actor=world.agent)
    with at(utc(3, 9)):
        lifecycle.unmerge(dup, actor=world.agent)

    for from_rollups in (True, False):
        figures = report(PERIOD, group="department", from_rollups=from_rollups)
        assert figures.backlog == [(TUE, 2), (WED, 1), (THU, 2)], from_rollups
        assert figures.total.closed == 0, from_rollups  # merged, not closed

    kept = snapshot()
    RollupTicket.objects.all().delete()
    DailyRollup.objects.all().delete()
    rollups.rebuild()
    assert snapshot() == kept
