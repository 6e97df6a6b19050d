"""Bench-only: how much of each request was its own SQL (`make bench`, docs/performance.md).

The issue's overhead target compares a page's time with the time of its bare SQL.
With HELPLINE_BENCH_TIMING on (never in production: off unless the environment sets
it, and the middleware is not even in MIDDLEWARE otherwise), every response says

    X-Helpline-Time: <ms>       the request through every middleware and the view
    X-Helpline-SQL: <ms>;n=<N>  the time spent in cursor.execute(), and how many
    X-Helpline-Pid: <pid>       the process that served it (the bench reads its RSS)

SQL time is measured with Django's own hook, `connection.execute_wrapper`, around
the database calls only; fetching rows from an open cursor is counted as Python
time, which for Django's chunked reads is small. A streamed answer (CSV exports)
is timed up to its first byte only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponseBase


class _SqlClock:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class BenchTimingMiddleware:
    """Adds the three headers above; first in MIDDLEWARE when the bench turns it on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        clock = _SqlClock()
        started = time.perf_counter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(clock))
            response = self.get_response(request)
        total = time.perf_counter() - started
        response["X-Helpline-Time"] = f"{total * 1000:.3f}"
        response["X-Helpline-SQL"] = f"{clock.seconds * 1000:.3f};n={clock.count}"
        response["X-Helpline-Pid"] = str(os.getpid())
        return response
