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


def test_an_overhead_measured_without_the_row_fetches_is_not_called_met_or_unmet() -> None:
    """The committed SQLite run timed execute() alone (before 57c7348): its overhead
    is overstated, which the targets table says instead of a plain "no"; its
    PostgreSQL run's is whole (psycopg fetches inside execute())."""
    committed = merged([json.loads((ROOT / "bench" / "results.json").read_text())])
    rows = {line.split(" | ")[0]: line for line in tables(committed) if "Overhead:" in line}

    sqlite = rows["| Overhead: a page <= 5x its own SQL (sqlite, 1,000,000)"]
    assert "not a valid figure" in sqlite and sqlite.endswith("| - (not valid) |")
    postgresql = rows["| Overhead: a page <= 5x its own SQL (postgresql, 1,000,000)"]
    assert "not a valid figure" not in postgresql and postgresql.endswith("| **no** |")


def test_a_deep_page_at_different_depths_says_so() -> None:
    committed = json.loads((ROOT / "bench" / "results.json").read_text())
    text = "\n".join(tables(committed))
    assert '"Next" 324 times as admin, 221 times as agent at 10,000 tickets' in text
    assert "ratios compare pages at different depths" in text


def test_a_search_only_run_of_two_sizes_is_saved(tmp_path: Path) -> None:
    """`--only search --sizes 10000,1000000` times no desk pages: saving after the
    second size computed the pages' scaling and failed (KeyError 'pages'), and
    the million's search figures were lost with it."""
    from bench.run import save

    search_only = {"search_pages": {"admin: search common word": {"ms": {"median": 9.0}}}}
    results = {"helpline": {"sqlite": {"10000": search_only, "1000000": search_only}}}
    out = tmp_path / "r.json"
    save(results, out, started=0.0)
    assert json.loads(out.read_text())["helpline"]["sqlite"]["1000000"] == search_only
