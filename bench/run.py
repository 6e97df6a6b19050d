"""The bench run: `python -m bench` (make bench, make bench-quick). See bench/__init__.py.

For each database and size: a fresh database from the migrated template, filled by
`helpline demo generate`, then gunicorn and `helpline worker` started against it
with mail going to a real SMTP sink; desk pages, the REST list, opening tickets
(the burst), then the SLA sweep. Then, at the comparison sizes, Helpline (SQLite)
and django-helpdesk 2.6.1 (SQLite) side by side, their rounds interleaved.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import helpdesk
from bench.measure import (
    Load,
    check,
    deep_url,
    desk_login,
    ratio_summary,
    time_pages,
)
from bench.report import SQL_TIME, print_table, search_tables
from bench.servers import ROOT, WORK, BenchBroken, Helpline
from bench.sink import Sink, burst_marker

MAILS_PER_TICKET = 7  # the autoresponse and six alerts (bench/helpline_side.py)


@dataclass
class Config:
    sizes: list[int]
    databases: list[str]
    compare_sizes: list[int]
    burst: float  # seconds of the opening burst (the issue's: 60)
    rest_burst: float
    repeats: int  # timed requests per page
    search_repeats: int  # timed requests per search (p95 needs 20)
    only: str  # "" (everything) or "search": fill, index and time the searches only
    rounds: int  # interleaved rounds against django-helpdesk
    round_seconds: float
    deep: int  # "Next" links followed for the deep page
    sweep: int  # tickets falling due at once
    clients: int
    web_workers: int
    drain_timeout: float
    mail_queues: int  # tickets for the worker's mail on each queue (0: not measured)
    out: Path
    docs: bool
    keep: bool
    reuse: bool = False  # time again on the databases a --keep run left


# --- filling ---------------------------------------------------------------------------


def fill_helpline(h: Helpline, tickets: int) -> dict[str, Any]:
    """Fill a fresh database with `tickets` tickets: `helpline demo generate`.

    Until that command is merged, a thin stand-in (bench/helpline_side.py stub-fill)
    so the harness runs; results.json records which one filled the data.
    """
    started = time.monotonic()
    done = h.side("fill", str(tickets))
    how = (
        "stub (lifecycle, open tickets only; demo generate not merged yet)"
        if done["stub"]
        else "helpline demo generate"
        + (f" (run from {src})" if (src := os.environ.get("BENCH_FILL_SRC")) else "")
    )
    out = {"filled_by": how, "fill_seconds": round(time.monotonic() - started, 1)}
    if done.get("sequences_behind"):
        out["fill_bug_sequences_behind"] = done["sequences_behind"]
        print(f"    WARNING: the filler left id sequences behind: {done['sequences_behind']}")
    return out


# --- one Helpline at one size -----------------------------------------------------------


def desk_pages(h: Helpline, info: dict[str, Any], cfg: Config) -> tuple[list, dict]:
    today = datetime.date.today()
    long_start = today - datetime.timedelta(days=365)
    token = {"Authorization": f"Bearer {info['admin_token']}"}
    pages: list = []
    depth: dict[str, int] = {}
    for role in ("admin", "agent"):
        client = desk_login(h.url, info[role]["username"], info[role]["password"])
        urls = {
            "dashboard": "/desk/",
            **{f"queue {q}": f"/desk/queues/{q}/" for q in ("open", "mine", "unassigned")},
            **{f"queue {q}": f"/desk/queues/{q}/" for q in ("overdue", "closed")},
            "sort priority": "/desk/queues/open/?sort=priority",
            "sort due": "/desk/queues/open/?sort=due",
        }
        deep, followed = deep_url(client, "/desk/queues/closed/", cfg.deep)
        urls["deep page"] = deep
        depth[role] = followed
        if info.get("ticket"):
            urls["ticket page"] = f"/desk/tickets/{info['ticket']}/"
        urls["report 7 days"] = "/desk/reports/?preset=7d&group=department"
        urls["report 1 year"] = (
            f"/desk/reports/?start={long_start.isoformat()}&end={today.isoformat()}"
            "&group=department"
        )
        pages += [(f"{role}: {name}", client, url, {}) for name, url in urls.items()]
    # Saved views (issue 14): each view's page, whose sidebar counts all three.
    for role, views in info.get("views", {}).items():
        client = desk_login(h.url, info[role]["username"], info[role]["password"])
        pages += [
            (f"{role}: view {name}", client, f"/desk/views/{pk}/", {}) for name, pk in views.items()
        ]
    api = httpx.Client(base_url=h.url, timeout=120)
    pages.append(("api: REST list", api, "/api/v1/tickets?limit=25", token))
    return pages, depth


def search_pages(h: Helpline, info: dict[str, Any]) -> list:
    """The desk's search (issue 12) for the administrator, an agent of the largest
    department (half the tickets) and one of a department of about a tenth, each
    kind of search the issue names, the suggestions as they type and the new-ticket
    form's customer lookup; and the API's."""
    pages: list = []
    for role in ("admin", "one", "narrow"):
        if role not in info:
            continue  # a database prepared before the narrow agent existed
        client = desk_login(h.url, info[role]["username"], info[role]["password"])
        terms = info["narrow_search"] if role == "narrow" else info["search"]
        for kind, typed in terms.items():
            url = "/desk/search/?" + urlencode({"q": typed})
            pages.append((f"{role}: search {kind}", client, url, {}))
        for kind, typed in (("word start", "lap"), ("surname start", terms["rare word"][:4])):
            url = "/desk/search/suggest/?" + urlencode({"q": typed})
            pages.append((f"{role}: suggest {kind}", client, url, {}))
        url = "/desk/search/customers/?" + urlencode({"lookup": terms["rare word"][:4]})
        pages.append((f"{role}: customer lookup", client, url, {}))
    api = httpx.Client(base_url=h.url, timeout=120)
    token = {"Authorization": f"Bearer {info['admin_token']}"}
    common = urlencode({"q": info["search"]["common word"]})
    pages.append(("api: search common word", api, f"/api/v1/search?{common}", token))
    return pages


def expect_page(name: str, body: str) -> None:
    """The warm-up answer is the page asked for, not a login form."""
    if name.startswith("api:"):
        if '"items"' not in body:
            raise BenchBroken(f"{name}: not a ticket list: {body[:200]}")
    elif 'name="password"' in body:
        raise BenchBroken(f"{name}: answered the login form")


def drain(sink: Sink, burst: str, expected: int, timeout: float) -> float | None:
    """Wait until the sink has `expected` recipients of the burst `burst`'s mail
    (each subject and recipient once: a mail sent twice does not make up for one
    not sent, and other mail, such as the SLA alerts of the generated tickets, is
    not the burst's); the monotonic time of the last one, or None if the worker
    stalls or times out."""
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = sink.snapshot(burst)
        if now.unique >= expected:
            return now.last_at
        if now.recipients != last_count:
            last_count, last_change = now.recipients, time.monotonic()
        elif time.monotonic() - last_change > 60:
            return None
        time.sleep(0.5)
    return None


def open_burst(
    h: Helpline, info: dict[str, Any], sink: Sink, cfg: Config, endpoint: str, seconds: float
) -> dict[str, Any]:
    """Open tickets for `seconds` with cfg.clients clients; then what the worker made
    of the mail: the backlog when the burst ended, and when the last mail went."""
    key = info["api_key"]
    burst = f"{endpoint}-{secrets.token_hex(4)}"
    marker = burst_marker(burst)  # in the subjects, so in the mails' (bench/sink.py)

    def osticket(client: httpx.Client, n: int) -> httpx.Response:
        return client.post(
            "/api/tickets.json",
            headers={"X-API-Key": key},
            json={
                "name": f"Load {n % 500}",
                "email": f"load{n % 500}@customers.example",
                "subject": f"Outage report {n} {marker}",
                "message": "The order system is down again; nothing works since 9:00.",
                "topicId": info["topic_id"],
            },
        )

    def rest(client: httpx.Client, n: int) -> httpx.Response:
        return client.post(
            "/api/v1/tickets",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "email": f"Load {n % 500} <load{n % 500}@customers.example>",
                "subject": f"Outage report {n} {marker}",
                "message": "The order system is down again; nothing works since 9:00.",
                "topic_id": info["topic_id"],
            },
        )

    request = osticket if endpoint == "osticket" else rest
    before = sink.snapshot()
    # One ticket first, alone: how many SQL statements a creation runs.
    with httpx.Client(base_url=h.url, timeout=120) as client:
        first = check(request(client, 10**8), 201)
    statements = first.headers.get("X-Helpline-SQL", "").partition(";n=")[2]
    started = time.monotonic()
    result = Load(cfg.clients, seconds).run(h.url, request)
    result["statements_per_ticket"] = int(statements) if statements else None
    ended = sink.snapshot(burst)
    result["backlog_at_end"] = h.side("backlog")
    expected = (result["tickets"] + 1) * MAILS_PER_TICKET  # the first one's too
    result["mails_expected"] = expected
    result["mails_during_burst"] = ended.unique
    last = drain(sink, burst, expected, cfg.drain_timeout)
    after, sent = sink.snapshot(), sink.snapshot(burst)
    # The burst's mail (each subject and recipient once), what it sent twice, and
    # the other mail the sink got meanwhile (SLA alerts of the generated tickets).
    result["mails_sent"] = sent.unique
    result["mails_duplicated"] = sent.duplicates
    result["other_mails"] = (after.recipients - before.recipients) - sent.recipients
    if last is not None:
        span = last - started
        result["drained_after_s"] = round(last - (started + result["seconds"]), 1)
        result["mail_per_s"] = round(result["mails_sent"] / span, 1)
        # Tickets whose mail has all gone, per second: the issue's "counting the time
        # the worker needs to send it".
        result["delivered_per_s"] = round(result["tickets"] / span, 2)
    else:
        result["drained_after_s"] = None
        result["mail_per_s"] = round(result["mails_sent"] / (time.monotonic() - started), 1)
    return result


def bench_helpline(
    engine: str, size: int, cfg: Config, template: Helpline, sink: Sink
) -> dict[str, Any]:
    h = Helpline(engine, str(size), web_workers=cfg.web_workers)
    print(f"--- Helpline on {engine}, {size:,} tickets", flush=True)
    if cfg.reuse:
        # A --keep run's database as it left it (migrated again by `prepare`'s
        # caller if the code moved on): its fill and index figures are that run's.
        h.side("template")
        result: dict[str, Any] = {"reused": True}
    else:
        h.create_from(template)
        result = fill_helpline(h, size)
    print("    search index", flush=True)
    result["search_index"] = h.side("search-index")
    info = h.side("prepare")
    result["tickets"] = info["tickets"]
    # Which department the `narrow` agent works in, and its share of the tickets.
    result["narrow_department"] = [info.get("narrow_department"), info.get("narrow_share")]
    result["ticket_page_entries"] = info["ticket_entries"]
    if cfg.only == "search":
        with h.serving(sink.port):
            print("    search", flush=True)
            result["search_pages"] = time_pages(
                search_pages(h, info), cfg.search_repeats, expect_page
            )
        if not cfg.keep:
            h.drop()
        return result
    with h.serving(sink.port):
        pages, depth = desk_pages(h, info, cfg)
        result["deep_pages_followed"] = depth
        print("    pages", flush=True)
        result["pages"] = time_pages(pages, cfg.repeats, expect_page)
        print("    search", flush=True)
        result["search_pages"] = time_pages(search_pages(h, info), cfg.search_repeats, expect_page)
        result["rss_mb_after_pages"] = {
            str(pid): rss for pid in h.web_pids() if (rss := _rss(pid)) is not None
        }
        print("    opening (osTicket endpoint)", flush=True)
        result["open_osticket"] = open_burst(h, info, sink, cfg, "osticket", cfg.burst)
        print("    opening (REST)", flush=True)
        result["open_rest"] = open_burst(h, info, sink, cfg, "rest", cfg.rest_burst)
    print("    saved views' counts", flush=True)
    result["view_counts"] = h.side("view-counts", str(cfg.repeats))
    print("    SLA sweep", flush=True)
    result["sla_sweep"] = h.side("sweep", str(cfg.sweep))
    if not cfg.keep:
        h.drop()
    return result


def _rss(pid: int) -> float | None:
    from bench.servers import rss_mb

    value = rss_mb(pid)
    return round(value, 1) if value is not None else None


# --- side by side with django-helpdesk ---------------------------------------------------


def compare(size: int, cfg: Config, template: Helpline, sink: Sink) -> dict[str, Any]:
    """Helpline (SQLite) and django-helpdesk (SQLite) with the same number of tickets,
    the same load, rounds interleaved: opening tickets, the REST list."""
    print(f"--- Helpline vs django-helpdesk 2.6.1, {size:,} tickets", flush=True)
    h = Helpline("sqlite", f"compare-{size}", web_workers=cfg.web_workers)
    h.create_from(template)
    filled = fill_helpline(h, size)
    info = h.side("prepare")
    d = helpdesk.Helpdesk(f"{size}", web_workers=cfg.web_workers)
    d_info = d.prepare(size)
    ours_open: list[float] = []
    theirs_open: list[float] = []
    ours_delivered: list[float] = []
    ours_list: list[float] = []
    theirs_list: list[float] = []
    list_repeats = max(1, cfg.repeats // 2)
    with h.serving(sink.port), d.serving(sink.port):
        api = httpx.Client(base_url=h.url, timeout=300)
        token = {"Authorization": f"Bearer {info['admin_token']}"}
        d_api = httpx.Client(base_url=d.url, timeout=300)
        d_token = {"Authorization": f"Token {d_info['token']}"}
        check(api.get("/api/v1/tickets?limit=25", headers=token))
        check(d_api.get("/api/tickets/", headers=d_token))
        for round_ in range(cfg.rounds):
            print(f"    round {round_ + 1}/{cfg.rounds}", flush=True)
            ours = open_burst(h, info, sink, cfg, "osticket", cfg.round_seconds)
            ours_open.append(ours["per_s"])
            if ours.get("delivered_per_s"):
                ours_delivered.append(ours["delivered_per_s"])
            theirs_open.append(d.open_load(sink, cfg.clients, cfg.round_seconds, d_info)["per_s"])
            for _ in range(list_repeats):
                ours_list.append(_timed(api, "/api/v1/tickets?limit=25", token))
                theirs_list.append(_timed(d_api, "/api/tickets/", d_token))
    if not cfg.keep:
        h.drop()
        d.drop()
    return {
        **filled,
        "helpdesk_fill_seconds": d_info["fill_seconds"],
        "open": ratio_summary(ours_open, theirs_open, higher_is_better=True),
        "open_delivered": ratio_summary(ours_delivered, theirs_open, higher_is_better=True),
        "rest_list_ms": ratio_summary(ours_list, theirs_list, higher_is_better=False),
    }


# --- the worker's mail on each queue ----------------------------------------------------


def mail_queues(tickets: int) -> dict[str, Any]:
    """One worker sending `tickets` tickets' mail (7 recipients each) from the
    database queue, then from RQ on Redis: bench/mail_throughput.py, on SQLite, in a
    fresh folder each. Redis is a private `redis-server` on a free port (the tests'
    helpline.tests.instances.redis), or `BENCH_REDIS` (a database of its own: it is
    emptied first)."""
    from helpline.tests.instances.redis import RedisServer

    out: dict[str, Any] = {"database": _mail_queue(tickets, None)}
    if url := os.environ.get("BENCH_REDIS"):
        import redis

        redis.Redis.from_url(url).flushdb()
        out["rq"] = _mail_queue(tickets, url)
    else:
        with RedisServer() as server:
            out["rq"] = _mail_queue(tickets, server.url(0))
    return out


def _mail_queue(tickets: int, broker: str | None) -> dict[str, Any]:
    queue = "rq" if broker else "database"
    print(f"--- the worker's mail, {queue} queue, {tickets:,} tickets", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.pop("HELPLINE_TASK_BROKER_URL", None)
    if broker:
        env["HELPLINE_TASK_BROKER_URL"] = broker
    # Our own interpreter and script, no shell.
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mail_throughput.py"), "--tickets", str(tickets)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise BenchBroken(f"mail throughput on the {queue} queue: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{") :])
    if figures["mails_received"] < figures["mails_expected"]:
        raise BenchBroken(f"mail throughput on the {queue} queue: mail never arrived")
    figures["queue"] = queue
    return figures


def _timed(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    check(client.get(url, headers=headers))
    return (time.perf_counter() - started) * 1000


# --- the run ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    load = os.getloadavg()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 2**20, 1),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "load_average_at_start": [round(x, 2) for x in load],
    }


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Largest size over smallest, per database and page: medians' ratio."""
    out: dict[str, Any] = {}
    for engine, by_size in results["helpline"].items():
        sizes = sorted(by_size, key=int)
        if len(sizes) < 2:
            continue
        small, large = by_size[sizes[0]], by_size[sizes[-1]]
        if "pages" not in small or "pages" not in large:
            continue  # a run of the search only (--only search) times no desk pages
        out[engine] = {
            name: round(large["pages"][name]["ms"]["median"] / page["ms"]["median"], 2)
            for name, page in small["pages"].items()
            if name in large["pages"]
            and page["ms"]["median"]
            and large["pages"][name]["ms"]["median"]
        }
    return out


def save(results: dict[str, Any], out: Path, started: float) -> None:
    """What is measured so far, written after each step (a long run interrupted
    keeps its figures)."""
    results["scaling"] = ratios(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(results, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)

    def ints(text: str) -> list[int]:
        return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]

    parser.add_argument("--sizes", type=ints, default=[10_000, 1_000_000])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--compare-sizes", type=ints, default=[5_000, 50_000])
    parser.add_argument("--burst", type=float, default=60)
    parser.add_argument("--rest-burst", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--search-repeats", type=int, default=20, help="Samples of each search (p95 from 20)."
    )
    parser.add_argument(
        "--only",
        choices=["", "search"],
        default="",
        help="search: per database and size only fill, index and time the searches "
        "(no django-helpdesk, no opening, no sweep, no mail queues).",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round-seconds", type=float, default=10)
    parser.add_argument("--deep", type=int, default=1000)
    parser.add_argument("--sweep", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument(
        "--mail-queues",
        type=int,
        default=1000,
        help="Tickets whose mail one worker sends from each queue: the database's and "
        "RQ on Redis (bench/mail_throughput.py; 0 to skip).",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--docs", action="store_true", help="Rewrite docs/performance.md's table from --out."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the databases afterwards.")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Time again on the databases an earlier --keep run left (same sizes and "
        "databases; they are migrated to this code first, and indexed and compacted "
        "for whatever is pending); implies --keep.",
    )
    args = parser.parse_args(argv)
    cfg = Config(
        sizes=args.sizes,
        databases=[d for d in args.databases.split(",") if d],
        compare_sizes=args.compare_sizes,
        burst=args.burst,
        rest_burst=args.rest_burst,
        repeats=args.repeats,
        search_repeats=args.search_repeats,
        only=args.only,
        rounds=args.rounds,
        round_seconds=args.round_seconds,
        deep=args.deep,
        sweep=args.sweep,
        clients=args.clients,
        web_workers=args.web_workers,
        drain_timeout=args.drain_timeout,
        mail_queues=args.mail_queues,
        out=args.out,
        docs=args.docs,
        keep=args.keep or args.reuse,
        reuse=args.reuse,
    )
    for engine in cfg.databases:
        if engine not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {engine!r}: sqlite or postgresql")
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "commit": git_commit(),
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            **{
                k: (str(v) if isinstance(v, Path) else v)
                for k, v in vars(cfg).items()
                if k not in ("out", "docs", "keep")
            },
            # What X-Helpline-SQL counts (helpline/lib/benchtiming.py); runs before
            # 57c7348 timed execute() alone, which on SQLite overstated the overhead.
            "sql_time": SQL_TIME,
        },
        "helpline": {},
        "helpdesk": {},
    }
    try:
        with Sink() as sink:
            for engine in cfg.databases:
                template = Helpline(engine, "template")
                if not cfg.reuse:
                    print(f"--- migrating a template database ({engine})", flush=True)
                    template.make_template()
                by_size: dict[str, Any] = results["helpline"].setdefault(engine, {})
                for size in cfg.sizes:
                    by_size[str(size)] = bench_helpline(engine, size, cfg, template, sink)
                    save(results, cfg.out, started)
                if engine == "sqlite" and not cfg.only:
                    for size in cfg.compare_sizes:
                        results["helpdesk"][str(size)] = compare(size, cfg, template, sink)
                        save(results, cfg.out, started)
                if not cfg.keep:
                    template.drop()
        if cfg.mail_queues and not cfg.only:
            results["mail_queues"] = mail_queues(cfg.mail_queues)
            save(results, cfg.out, started)
    except BenchBroken as broken:
        # What was measured is kept, and the run fails: a broken benchmark.
        results["broken"] = str(broken)
        results["seconds"] = round(time.monotonic() - started, 1)
        cfg.out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nThe benchmark is broken: {broken}", file=sys.stderr)
        return 1
    results["seconds"] = round(time.monotonic() - started, 1)
    if cfg.only == "search":
        cfg.out.write_text(json.dumps(results, indent=2) + "\n")
        print("\n".join(search_tables(results)))
        print(f"\nResults: {cfg.out}")
        return 0
    results["scaling"] = ratios(results)
    failed = [
        f"{engine} {size}: {name}: {error}"
        for engine, by_size in results["helpline"].items()
        for size, run in by_size.items()
        for name, page in run["pages"].items()
        for error in page.get("errors", [])
    ]
    if failed:
        results["page_errors"] = failed
    cfg.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nResults: {cfg.out}")
    if cfg.docs:
        from bench.report import rewrite_docs

        rewrite_docs(results)
        print("docs/performance.md: the figures' section rewritten.")
    if failed:
        print("\nPages that failed (figures, not a broken bench):\n  " + "\n  ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
