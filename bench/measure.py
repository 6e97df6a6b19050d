"""What the bench does to a running server: log in, read pages, open tickets.

Every answer is checked (status and, for pages, that it is the page asked for): a
page that fails is a broken benchmark, never a fast figure.
"""

from __future__ import annotations

import html
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.servers import BenchBroken, rss_mb

NEXT_LINK = re.compile(r'href="([^"]+)"[^>]*>\s*Next\b')


def summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    out: dict[str, float | int | None] = {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }
    if len(values) >= 20:  # fewer samples say nothing about the 95th percentile
        out["p95"] = round(statistics.quantiles(values, n=20, method="inclusive")[-1], 3)
    return out


def check(response: httpx.Response, *ok: int) -> httpx.Response:
    if response.status_code not in (ok or (200,)):
        raise BenchBroken(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response


def desk_login(base: str, username: str, password: str) -> httpx.Client:
    """A client signed in to the desk through its login form (CSRF and all)."""
    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    check(client.get("/desk/login/"))
    token = client.cookies.get("csrftoken", "")
    answer = client.post(
        "/desk/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/desk/login/"},
    )
    check(answer, 302)
    return client


def deep_url(client: httpx.Client, start: str, pages: int) -> tuple[str, int]:
    """Follow the page's "Next" link up to `pages` times, as a person paging would;
    the last page's URL and how many links were followed (fewer where the queue
    ends first)."""
    url, followed = start, 0
    while followed < pages:
        body = check(client.get(url)).text
        found = NEXT_LINK.search(body)
        if not found:
            break
        url = html.unescape(found.group(1))
        followed += 1
    return url, followed


@dataclass
class Sample:
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def add(self, response: httpx.Response, elapsed: float) -> None:
        self.client_ms.append(elapsed * 1000)
        if "X-Helpline-Time" in response.headers:
            self.server_ms.append(float(response.headers["X-Helpline-Time"]))
            sql, _, n = response.headers["X-Helpline-SQL"].partition(";n=")
            self.sql_ms.append(float(sql))
            self.queries.append(int(n))
            if (rss := rss_mb(int(response.headers["X-Helpline-Pid"]))) is not None:
                self.rss_mb.append(rss)

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ms": summary(self.client_ms)}
        if self.server_ms:
            out["server_ms"] = summary(self.server_ms)
            out["sql_ms"] = summary(self.sql_ms)
            out["queries"] = max(self.queries)
            server, sql = statistics.median(self.server_ms), statistics.median(self.sql_ms)
            out["overhead"] = round(server / sql, 2) if sql > 0 else None
            out["rss_mb_max"] = round(max(self.rss_mb), 1) if self.rss_mb else None
        return out


Page = tuple[str, httpx.Client, str, dict[str, str]]  # name, client, url, headers


def time_pages(pages: list[Page], repeats: int, expect: Callable[[str, str], None]) -> dict:
    """Each page `repeats` times, interleaved (page 1, 2, ... then again), after one
    warm-up round; per page the latency and what the server said about it."""
    samples = {name: Sample() for name, *_ in pages}
    failures: dict[str, list[str]] = {}
    for round_ in range(repeats + 1):
        for name, client, url, headers in pages:
            if len(failures.get(name, [])) >= 2:
                continue  # twice is enough: a page past gunicorn's timeout costs 30 s
            started = time.perf_counter()
            try:
                response = client.get(url, headers=headers)
            except httpx.HTTPError as exc:  # gunicorn killed the worker (its timeout)
                failures.setdefault(name, []).append(f"{url}: {exc!r} (round {round_})")
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                # A figure too (a page too slow for gunicorn's timeout answers 500 or
                # nothing): kept with the page, the other pages still measured.
                failures.setdefault(name, []).append(
                    f"{url} answered {response.status_code} after {elapsed:.1f} s (round {round_})"
                )
                continue
            if round_ == 0:
                expect(name, response.text)
                continue
            samples[name].add(response, elapsed)
    out = {name: sample.result() for name, sample in samples.items()}
    for name, errors in failures.items():
        out[name]["errors"] = errors
    return out


@dataclass
class Load:
    """`clients` threads, each with its own connection, sending `request` for
    `seconds`; every answer must be a success."""

    clients: int
    seconds: float
    ok: tuple[int, ...] = (200, 201)
    done: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, base: str, request: Callable[[httpx.Client, int], httpx.Response]) -> dict:
        stop_at = time.monotonic() + self.seconds
        counter = iter(range(10**9))

        def client_loop() -> None:
            with httpx.Client(base_url=base, timeout=120) as client:
                while time.monotonic() < stop_at and not self.errors:
                    with self.lock:
                        n = next(counter)
                    started = time.perf_counter()
                    try:
                        response = request(client, n)
                    except httpx.HTTPError as exc:
                        self.errors.append(repr(exc))
                        return
                    elapsed = time.perf_counter() - started
                    if response.status_code not in self.ok:
                        self.errors.append(f"{response.status_code}: {response.text[:300]}")
                        return
                    with self.lock:
                        self.done += 1
                        self.latencies.append(elapsed * 1000)

        started = time.monotonic()
        threads = [threading.Thread(target=client_loop) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        if self.errors:
            raise BenchBroken(f"opening tickets failed: {self.errors[0]}")
        return {
            "tickets": self.done,
            "seconds": round(wall, 2),
            "per_s": round(self.done / wall, 2),
            "ms": summary(self.latencies),
        }


def ratio_summary(ours: list[float], theirs: list[float], *, higher_is_better: bool) -> dict:
    """Ratio of medians of interleaved runs ("how many times better is Helpline"),
    with the ratios of single rounds' worst and best pairing as min and max."""
    if not ours or not theirs:
        return {"ratio": None}
    mo, mt = statistics.median(ours), statistics.median(theirs)
    if higher_is_better:
        ratio = mo / mt if mt else None
        low, high = min(ours) / max(theirs), max(ours) / min(theirs)
    else:
        ratio = mt / mo if mo else None
        low, high = min(theirs) / max(ours), max(theirs) / min(ours)
    return {
        "ratio": round(ratio, 2) if ratio else None,
        "min": round(low, 2),
        "max": round(high, 2),
        "helpline": summary(ours),
        "helpdesk": summary(theirs),
    }
