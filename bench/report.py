"""The bench's figures as a table: printed after a run, and written into
docs/performance.md between its markers (`python -m bench.report [results.json]`
rewrites the document from a results file without running anything)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench:begin (written by bench/report.py from bench/results.json) -->"
END = "<!-- bench:end -->"


# What the SQL time of a run's pages counts (results' config "sql_time"): the
# statements and the fetching of their rows. Runs without it (before 57c7348) timed
# execute() alone: on SQLite, which steps through a SELECT's rows as they are
# fetched, that left most of a long read out and overstated the overhead; psycopg
# reads a client-side cursor's rows in execute(), so PostgreSQL's was whole anyway.
SQL_TIME = "execute+fetch"


def sql_time_whole(results: dict[str, Any], engine: str) -> bool:
    """Whether the SQL time of `engine`'s pages in `results` was whole."""
    if engine == "postgresql":
        return True
    runs = results.get("runs") or [results]
    for run in reversed(runs):  # a later run's figures replace an earlier one's (merged)
        config = run.get("config") or {}
        if engine in config.get("databases", []):
            return bool(config.get("sql_time") == SQL_TIME)
    return bool((results.get("config") or {}).get("sql_time") == SQL_TIME)


# Where a run's SQL time was not whole: its overhead figures are overstated.
OVERSTATED = "this run's SQL time left out fetching the rows (before 57c7348): see Limits"


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ms(stats: dict[str, Any] | None) -> str:
    if not stats or stats.get("median") is None:
        return "-"
    return f"{stats['median']:,.1f} ({stats['min']:,.1f}-{stats['max']:,.1f})"


def tables(results: dict[str, Any]) -> list[str]:
    """Markdown tables: pages per database and size, opening, sweep, django-helpdesk."""
    lines: list[str] = []
    machine = results["machine"]
    lines += [
        f"Measured at commit `{results['commit']}` on {results['started_at']}: "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}; load average at the "
        f"start {', '.join(str(x) for x in machine['load_average_at_start'])}. "
        f"The run took {results['seconds']:,.0f} s.",
        "",
        *(
            [
                "Figures from more than one run on this machine: "
                + "; ".join(
                    f"`{r['commit']}` from {r['started_at']} "
                    f"({', '.join(sorted(set(r['config']['databases'])))}, load average "
                    f"{r['load_average_at_start'][0]})"
                    for r in results["runs"]
                )
                + ".",
                "",
            ]
            if len(results.get("runs", [])) > 1
            else []
        ),
        *([f"**The run was broken:** {results['broken']}", ""] if results.get("broken") else []),
        "### The targets of issue 11",
        "",
        *targets(results),
    ]
    for engine, by_size in results["helpline"].items():
        if not by_size:
            continue
        sizes = sorted(by_size, key=int)
        fills = {by_size[s]["filled_by"] for s in sizes}
        depths = {s: by_size[s].get("deep_pages_followed") or {} for s in sizes}
        lines += [
            f"### Pages on {engine}",
            "",
            f"Filled by {', '.join(sorted(fills))}. Latency in ms as the client sees it, "
            "median (min-max); overhead is the page's server time over its own SQL time "
            + (
                "(medians)"
                if sql_time_whole(results, engine)
                else f"(medians; overstated, {OVERSTATED})"
            )
            + "; RSS is the largest a web process reached after that page."
            + _deep_note(depths),
            "",
        ]
        head = ["page"]
        for s in sizes:
            head += [f"{int(s):,}: ms", "overhead", "queries", "RSS MB"]
        if len(sizes) > 1:
            head.append(f"{int(sizes[-1]):,} / {int(sizes[0]):,}")
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        scaling = results.get("scaling", {}).get(engine, {})
        for name in by_size[sizes[0]]["pages"]:
            row = [name]
            for s in sizes:
                page = by_size[s]["pages"].get(name, {})
                row += [
                    _ms(page.get("ms")),
                    _f(page.get("overhead")),
                    _f(page.get("queries")),
                    _f(page.get("rss_mb_max")),
                ]
            if len(sizes) > 1:
                row.append(_f(scaling.get(name), 2))
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", f"### Opening tickets, the worker's mail, the SLA sweep on {engine}", ""]
        head = [
            "size",
            "osTicket API tickets/s",
            "REST tickets/s",
            "mail/s (worker)",
            "backlog at burst end (mails)",
            "drained after (s)",
            "burst mail sent twice",
            "other mail meanwhile",
            "tickets/s with mail delivered",
            "SLA sweep ms/ticket",
            "sweep of N due (s)",
        ]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for s in sizes:
            r = by_size[s]
            o, rest, sweep = r["open_osticket"], r["open_rest"], r["sla_sweep"]
            backlog = o["mails_expected"] - o["mails_during_burst"]
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{int(s):,}",
                        _f(o["per_s"]),
                        _f(rest["per_s"]),
                        _f(o.get("mail_per_s")),
                        f"{backlog:,} ({o['backlog_at_end']['tasks_waiting']:,} tasks)",
                        _f(o.get("drained_after_s")),
                        _f(o.get("mails_duplicated")),
                        _f(o.get("other_mails")),
                        _f(o.get("delivered_per_s"), 2),
                        _f(sweep.get("ms_per_ticket"), 2),
                        f"{_f(sweep.get('seconds'), 2)} (N={sweep['looked_at']:,})",
                    ]
                )
                + " |"
            )
        lines.append("")
    if results.get("helpdesk"):
        lines += [
            "### Helpline vs django-helpdesk 2.6.1 (both SQLite, same run, rounds interleaved)",
            "",
            "Ratio of medians, Helpline's advantage (higher is better for Helpline), with "
            "the worst and best pairing of single rounds.",
            "",
            "| tickets | opening (requests) | opening (mail delivered) | REST list "
            "| Helpline list ms | django-helpdesk list ms |",
            "|---|---|---|---|---|---|",
        ]
        for size, r in sorted(results["helpdesk"].items(), key=lambda kv: int(kv[0])):
            cells = [f"{int(size):,}"]
            for key in ("open", "open_delivered", "rest_list_ms"):
                c = r[key]
                cells.append(f"{c['ratio']}x ({c['min']}-{c['max']})" if c.get("ratio") else "-")
            cells += [
                _ms(r["rest_list_ms"].get("helpline")),
                _ms(r["rest_list_ms"].get("helpdesk")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += search_tables(results)
    if results.get("mail_queues"):
        lines += [
            "### The worker's mail on each queue (bench/mail_throughput.py, SQLite)",
            "",
            "Tickets opened with the worker stopped, then one `helpline worker` sends "
            "their mail (customer + six agents each) to an SMTP server; from its start.",
            "",
            "| queue | tickets | mails | mail/s | tickets/s | mail/s from the first mail "
            "| SMTP connections |",
            "|---|---|---|---|---|---|---|",
        ]
        for queue, r in results["mail_queues"].items():
            if "error" in r:
                lines.append(f"| {queue} | {r['error']} | | | | | |")
                continue
            cells = [
                queue,
                f"{r['tickets']:,}",
                f"{r['mails_received']:,}",
                _f(r["worker_mails_per_s"]),
                _f(r["worker_tickets_per_s"]),
                _f(r.get("steady_mails_per_s")),
                f"{r['smtp_connections']:,}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def search_tables(results: dict[str, Any]) -> list[str]:
    """The search (issue 12): p50 and p95 of each kind of search per database and
    size, then the index's build time and size."""
    lines: list[str] = []
    for engine, by_size in results["helpline"].items():
        sizes = sorted((s for s in by_size if by_size[s].get("search_pages")), key=int)
        if not sizes:
            continue
        lines += [
            f"### Search on {engine}",
            "",
            "Each search of the desk's results page (and the API's), ms as the client sees "
            "it: median and 95th percentile of the samples (p95 needs 20); `one` is an "
            "agent of the largest department (about half the tickets), `narrow` one of "
            "the department nearest a tenth of them.",
            "",
        ]
        head = ["search"] + [f"{int(s):,}: p50 / p95" for s in sizes] + ["queries"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        names = list(by_size[sizes[-1]]["search_pages"])
        for name in names:
            cells = [name]
            for size in sizes:
                page = by_size[size]["search_pages"].get(name, {})
                stats = page.get("ms", {})
                cells.append(f"{_f(stats.get('median'))} / {_f(stats.get('p95'))}")
            last = by_size[sizes[-1]]["search_pages"].get(name, {})
            cells.append(str(last.get("queries", "")))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        index = [(s, by_size[s].get("search_index")) for s in sizes]
        lines += [
            "| tickets | indexing s | documents/s | compacting s | index MB |",
            "|---|---|---|---|---|",
            *(
                f"| {int(s):,} | {_f(i['seconds'])} | {_f(i['per_s'])} "
                f"| {_f(i.get('compact_s'))} | {_f(i['size_mb'])} |"
                for s, i in index
                if i
            ),
            "",
        ]
    return lines


def _deep_note(depths: dict[str, dict[str, int]]) -> str:
    """Which page the deep page is, per size and role; a warning where the queue
    ended sooner at one size, so that its ratio compares different depths."""
    if not any(depths.values()):
        return ""
    note = ' The deep page: the closed queue after following "Next" ' + "; ".join(
        f"{', '.join(f'{n:,} times as {role}' for role, n in by_role.items())} "
        f"at {int(size):,} tickets"
        for size, by_role in depths.items()
        if by_role
    )
    roles = {role for by_role in depths.values() for role in by_role}
    differ = sorted(r for r in roles if len({d.get(r) for d in depths.values() if d}) > 1)
    if differ:
        who = " and ".join(f"the {role}'s" for role in differ)
        many = len(differ) > 1
        note += (
            f" (the queue ends sooner at the smaller size, so {who} deep-page "
            f"ratio{'s' if many else ''} compare{'' if many else 's'} pages at different "
            "depths, not the same page)"
        )
    return note + "."


def _largest(by_size: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    size = max(by_size, key=int)
    return size, by_size[size]


def _worst(values: dict[str, float | None]) -> tuple[str, float] | None:
    known = {k: v for k, v in values.items() if v is not None}
    if not known:
        return None
    name = max(known, key=lambda k: known[k])
    return name, known[name]


def targets(results: dict[str, Any]) -> list[str]:
    """Each target of issue 11 with its figure per database, and whether it is met."""
    rows: list[tuple[str, str, str]] = []  # target, figure, met

    def met(ok: bool | None) -> str:
        return "-" if ok is None else ("yes" if ok else "**no**")

    compared = results.get("helpdesk") or {}
    for size, r in sorted(compared.items(), key=lambda kv: int(kv[0])):
        o, d = r["open"], r["open_delivered"]
        rows.append(
            (
                f"Opening >= 5x django-helpdesk, mail going out ({int(size):,} tickets, SQLite)",
                f"{d.get('ratio')}x counting the worker's mail ({d.get('min')}-{d.get('max')}); "
                f"{o.get('ratio')}x by requests alone",
                met(d["ratio"] >= 5 if d.get("ratio") else None),
            )
        )
        lr = r["rest_list_ms"]
        rows.append(
            (
                f"REST list vs django-helpdesk at {int(size):,} tickets (>= 100x at 5,000)",
                f"{lr.get('ratio')}x ({lr.get('min')}-{lr.get('max')})",
                met(lr["ratio"] >= 100 if lr.get("ratio") and int(size) == 5000 else None),
            )
        )
    for engine, by_size in results["helpline"].items():
        if not by_size:
            continue
        size, big = _largest(by_size)
        at = f"{engine}, {int(size):,}"
        o = big["open_osticket"]
        mail_ok = o.get("mail_per_s") is not None and o["mail_per_s"] >= 7 * o["per_s"]
        rows.append(
            (
                f"Worker keeps up with a {o['seconds']:.0f} s burst, 7 recipients/ticket ({at})",
                f"{o['per_s']} tickets/s need {7 * o['per_s']:.0f} mails/s; the worker sent "
                f"{o.get('mail_per_s')}/s; {o['mails_expected'] - o['mails_during_burst']:,} "
                f"mails waiting at the end, sent {o.get('drained_after_s')} s later",
                met(mail_ok),
            )
        )
        if o.get("statements_per_ticket") is not None:
            rows.append(
                (
                    f"SQL statements per creation, aim 15 ({at})",
                    f"{o['statements_per_ticket']} (osTicket API), "
                    f"{big['open_rest'].get('statements_per_ticket')} (REST); "
                    "one ticket each, opened alone before the burst",
                    met(o["statements_per_ticket"] <= 15),
                )
            )
        scaling = results.get("scaling", {}).get(engine, {})
        if scaling:
            over = sorted((k for k, v in scaling.items() if v > 1.5), key=lambda k: -scaling[k])
            worst = _worst(scaling)
            small = min(by_size, key=int)
            rows.append(
                (
                    f"Every desk page and the REST list <= 1.5x, {int(size):,} vs "
                    f"{int(small):,} ({engine})",
                    (f"worst {worst[0]}: {worst[1]}x; " if worst else "")
                    + (f"over 1.5x: {', '.join(over)}" if over else "none over 1.5x"),
                    met(not over),
                )
            )
        overheads = {k: p.get("overhead") for k, p in big["pages"].items()}
        over = sorted((k for k, v in overheads.items() if v and v > 5))
        worst = _worst(overheads)
        whole = sql_time_whole(results, engine)
        rows.append(
            (
                f"Overhead: a page <= 5x its own SQL ({at})",
                (f"worst {worst[0]}: {worst[1]}x; " if worst else "")
                + f"{len(over)} of {len(overheads)} pages over 5x"
                + ("" if whole else f"; not a valid figure, {OVERSTATED}"),
                met(not over) if whole else "- (not valid)",
            )
        )
        sweep = big["sla_sweep"]
        rows.append(
            (
                f"SLA sweep <= 1 ms per due ticket; 10,000 due at once < 10 s ({at})",
                f"{sweep.get('ms_per_ticket')} ms/ticket; {sweep['looked_at']:,} due swept "
                f"in {sweep['seconds']} s"
                + (
                    f" (10,000 extrapolated: "
                    f"{sweep['seconds'] * 10_000 / sweep['looked_at']:.1f} s)"
                    if 0 < sweep["looked_at"] < 10_000
                    else ""
                ),
                met(
                    sweep.get("ms_per_ticket") is not None
                    and sweep["ms_per_ticket"] <= 1
                    and sweep["seconds"] * 10_000 / max(1, sweep["looked_at"]) < 10
                ),
            )
        )
        rss = {k: p.get("rss_mb_max") for k, p in big["pages"].items()}
        worst = _worst(rss)
        rows.append(
            (
                f"Memory: a web process < 150 MB after any page ({at})",
                f"largest {worst[1]} MB after {worst[0]}" if worst else "-",
                met(worst[1] < 150 if worst else None),
            )
        )
    queues = results.get("mail_queues") or {}
    if queues:
        rows.append(
            (
                "The worker's mail throughput on the database queue and on the broker (RQ)",
                "; ".join(
                    f"{q}: {r['worker_mails_per_s']} mails/s" if "error" not in r else f"{q}: -"
                    for q, r in queues.items()
                ),
                "-",
            )
        )
    lines = ["| target | figure | met |", "|---|---|---|"]
    lines += [f"| {t} | {f} | {m} |" for t, f, m in rows]
    return [*lines, ""]


def print_table(results: dict[str, Any]) -> None:
    print("\n".join(tables(results)))


def rewrite_docs(results: dict[str, Any], doc: Path = DOC) -> None:
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc} has no {BEGIN} ... {END} section to rewrite.")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(head + BEGIN + "\n\n" + "\n".join(tables(results)) + "\n" + END + tail)


def _runs_of(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs a results file holds figures of: those it names in `runs` (it was
    merged before), else the one its header describes."""
    if results.get("runs"):
        return [dict(run) for run in results["runs"]]
    return [
        {k: results.get(k) for k in ("commit", "started_at", "seconds", "config")}
        | {"load_average_at_start": results["machine"]["load_average_at_start"]}
    ]


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs' results as one (e.g. SQLite and PostgreSQL run apart): each
    database's and comparison's figures from the run that measured them; the first
    run's header, and every run named in `runs`. A file merged before keeps its
    `runs` (rebuilt from its header alone, the committed bench/results.json lost
    the record that its PostgreSQL figures came from another run and commit); a
    run named twice is named once."""
    out = json.loads(json.dumps(runs[0]))
    named: dict[tuple[Any, Any], dict[str, Any]] = {}
    for results in runs:
        for run in _runs_of(results):
            named.setdefault((run.get("commit"), run.get("started_at")), run)
    out["runs"] = list(named.values())
    for run in runs[1:]:
        out["helpline"].update(run["helpline"])
        out["helpdesk"].update(run.get("helpdesk") or {})
        if run.get("mail_queues"):
            out["mail_queues"] = run["mail_queues"]
        out.setdefault("scaling", {}).update(run.get("scaling") or {})
        out["page_errors"] = out.get("page_errors", []) + run.get("page_errors", [])
        out["seconds"] = max(out["seconds"], run["seconds"])
    return out


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or [ROOT / "bench" / "results.json"]
    rewrite_docs(merged([json.loads(p.read_text()) for p in paths]))
    print(f"{DOC.relative_to(ROOT)} rewritten from {', '.join(map(str, paths))}.")
