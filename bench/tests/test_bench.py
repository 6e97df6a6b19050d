"""The bench's smallest run, end to end, so the harness cannot rot unnoticed: real
gunicorn, `helpline worker`, the SMTP sink, every page and phase, tiny sizes.
It asserts that each figure was measured, never what it is (`make test` is no bench).
django-helpdesk is left to `make bench-quick` in CI: installing it is a download."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import BEGIN, END, rewrite_docs, tables

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("heavy")


def test_the_smallest_bench_measures_every_page_and_phase(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "BENCH_WORK": str(tmp_path / "work")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes=12",
            "--databases=sqlite",
            "--compare-sizes=",
            "--burst=1.5",
            "--rest-burst=1",
            "--repeats=1",
            "--search-repeats=1",
            "--deep=1",
            "--sweep=3",
            "--web-workers=2",
            "--clients=2",
            "--drain-timeout=60",
            "--mail-queues=5",
            f"--out={out}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    run = results["helpline"]["sqlite"]["12"]
    assert run["tickets"] >= 12

    pages = run["pages"]
    for role in ("admin", "agent"):
        for page in ("dashboard", "queue closed", "sort due", "deep page", "report 1 year"):
            assert f"{role}: {page}" in pages
    assert "api: REST list" in pages
    # Saved views (issue 14): each bench view's page, and its bounded count timed.
    for role in ("views admin", "views agent"):
        for view in ("counted", "bounded", "rare topic"):
            assert f"{role}: view {view}" in pages
    counted = run["view_counts"]
    # (the rare topic's view has no topic to filter when no open ticket has one)
    assert {"bench.views.admin: Bench bounded", "bench.views.agent: Bench bounded"} <= set(counted)
    assert all(c["ms"] > 0 for c in counted.values()), counted
    # The search (issue 12): each kind, for an administrator and a one-department
    # agent, after the fill's tickets were indexed.
    searches = run["search_pages"]
    for role in ("admin", "one"):
        for kind in ("common word", "rare word", "phrase", "partial number", "filters only"):
            assert searches[f"{role}: search {kind}"]["queries"] > 0, (role, kind)
    assert "api: search common word" in searches
    assert run["search_index"]["indexed"] >= 12 and run["search_index"]["size_mb"] > 0
    for name, page in pages.items():
        # The bench-only middleware answered: SQL time, statements, the process's RSS.
        assert page["ms"]["n"] == 1, name
        assert page["queries"] > 0, name
        assert page["sql_ms"]["median"] > 0, name
        assert page["rss_mb_max"] > 20, name

    for phase in ("open_osticket", "open_rest"):
        opened = run[phase]
        assert opened["tickets"] > 0, phase
        # Every ticket's 7 mails reached the SMTP sink through the worker, once each
        # (the burst's own mail, told apart by the marker in its subjects).
        assert opened["mails_sent"] == 7 * (opened["tickets"] + 1), phase
        assert opened["mails_duplicated"] == 0, phase
        assert opened["other_mails"] >= 0, phase
        assert opened["statements_per_ticket"] > 0, phase
        assert opened["drained_after_s"] is not None, phase
    assert run["sla_sweep"]["looked_at"] > 0
    assert run["sla_sweep"]["failed"] == 0
    # The worker's mail from the database queue and from RQ on Redis, all delivered.
    for queue in ("database", "rq"):
        sent = results["mail_queues"][queue]
        assert sent["mails_received"] == sent["mails_expected"] == 5 * 7, queue
        assert sent["worker_mails_per_s"] > 0, queue

    # The document's section is rewritten from these results, and only that section.
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Before\n\n{BEGIN}\nold\n{END}\n\nAfter.\n")
    rewrite_docs(results, doc)
    text = doc.read_text()
    assert text.startswith("# Before") and text.endswith("After.\n")
    assert "old" not in text and "| admin: dashboard |" in text
    assert any("osTicket API tickets/s" in line for line in tables(results))
    assert any(line.startswith("| rq | 5 |") for line in tables(results))
