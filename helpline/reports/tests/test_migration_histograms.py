"""Migration reports 0002: a site's histogram buckets (one row each) are folded
into their rollup rows' maps, not dropped (its medians and 90th percentiles for
the days before the upgrade stay)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0001_daily_rollups")]
AFTER = [("reports", "0002_histograms_in_the_row")]


@pytest.mark.django_db(transaction=True)
def test_the_buckets_are_folded_into_their_rows() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    key = {"dim": "none", "scope": 0, "day": date(2026, 12, 1), "key": ""}
    other = {**key, "dim": "department", "key": "3", "department_key": 3}
    old.get_model("reports", "DailyRollup").objects.create(**key, fr_n=3, res_n=1)
    old.get_model("reports", "DailyRollup").objects.create(**other, fr_n=1)
    Bucket = old.get_model("reports", "RollupBucket")
    Bucket.objects.create(**key, series="fr", bucket=10, n=2)
    Bucket.objects.create(**key, series="fr", bucket=40, n=1)
    Bucket.objects.create(**key, series="res", bucket=90, n=1)
    Bucket.objects.create(**other, series="fr", bucket=7, n=1)

    executor = MigrationExecutor(connection)  # a fresh graph, as `migrate` has
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    Rollup = new.get_model("reports", "DailyRollup")
    first = Rollup.objects.get(dim="none")
    assert (first.fr_hist, first.res_hist, first.frb_hist) == ({"10": 2, "40": 1}, {"90": 1}, {})
    assert Rollup.objects.get(dim="department").fr_hist == {"7": 1}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
