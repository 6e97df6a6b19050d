"""`bench.report.merged`: the runs behind a results file are never forgotten."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import merged, tables

ROOT = Path(__file__).resolve().parents[2]


def results(commit: str, database: str, started_at: str) -> dict[str, Any]:
    """A run's results as `make bench` writes them, cut to what `merged` reads."""
    return {
        "commit": commit,
        "started_at": started_at,
        "seconds": 10.0,
        "config": {"databases": [database]},
        "machine": {"load_average_at_start": [1.0, 1.0, 1.0]},
        "helpline": {database: {}},
        "helpdesk": {},
        "scaling": {},
        "page_errors": [],
    }


def test_a_merged_file_merged_again_keeps_its_runs() -> None:
    """`make bench-report` reads the committed, merged bench/results.json alone: its
    runs were rebuilt from its header, and the PostgreSQL run (another commit) was
    dropped from the document's "Figures from more than one run"."""
    committed = json.loads((ROOT / "bench" / "results.json").read_text())
    assert len(committed["runs"]) > 1

    again = merged([committed])

    assert again["runs"] == committed["runs"]
    assert any(line.startswith("Figures from more than one run") for line in tables(again))


def test_runs_are_merged_into_one_list_and_named_once() -> None:
    sqlite = results("aaaaaaa", "sqlite", "2026-12-01T10:00:00+00:00")
    postgresql = results("bbbbbbb", "postgresql", "2026-12-01T11:00:00+00:00")
    both = merged([sqlite, postgresql])
    assert [r["commit"] for r in both["runs"]] == ["aaaaaaa", "bbbbbbb"]

    third = results("ccccccc", "sqlite", "2026-12-02T10:00:00+00:00")
    assert [r["commit"] for r in merged([both, third])["runs"]] == [
        "aaaaaaa",
        "bbbbbbb",
        "ccccccc",
    ]
    assert merged([both, postgresql])["runs"] == both["runs"]  # the same run once
