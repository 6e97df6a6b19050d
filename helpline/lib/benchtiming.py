"""Bench-only: how much of each request was its own SQL (`make bench`, docs/performance.md).

The issue's overhead target compares a page's time with the time of its bare SQL.
With HELPLINE_BENCH_TIMING on (never in production: off unless the environment sets
it, and the middleware is not even in MIDDLEWARE otherwise), every response says

    X-Helpline-Time: <ms>       the request through every middleware and the view
    X-Helpline-SQL: <ms>;n=<N>  the time spent in SQL (executing statements and
                                fetching their rows), and how many statements
    X-Helpline-Pid: <pid>       the process that served it (the bench reads its RSS)

SQL time is `cursor.execute()` (Django's own hook, `connection.execute_wrapper`)
plus fetching the rows (`fetchone`, `fetchmany`, `fetchall`, timed by methods the
middleware adds to Django's CursorWrapper when it is built). Both are needed:
SQLite runs a SELECT only up to its first row in execute() and steps through the
rest as the rows are fetched, so execute() alone left most of a long read out of
the SQL and overstated the overhead; psycopg reads a client-side cursor's rows in
execute(). A streamed answer (CSV exports) is timed up to its first byte only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from contextvars import ContextVar
from typing import Any

from django.db import connections
from django.db.backends.utils import CursorWrapper
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


# The clock of the request being served (None outside one).
_current: ContextVar[_SqlClock | None] = ContextVar("bench_sql_clock", default=None)


def _timed_fetch(name: str) -> Callable[..., Any]:
    def fetch(self: CursorWrapper, *args: Any) -> Any:
        method = getattr(self.cursor, name)
        clock = _current.get()
        started = time.perf_counter()
        try:
            with self.db.wrap_database_errors:
                return method(*args)
        finally:
            if clock is not None:
                clock.seconds += time.perf_counter() - started

    fetch.__name__ = name
    return fetch


def _time_fetches() -> None:
    """Give CursorWrapper timed fetch methods (it has none of its own: it hands
    them over from the driver's cursor, wrapped for database errors, as these do)."""
    for name in ("fetchone", "fetchmany", "fetchall"):
        if name not in CursorWrapper.__dict__:
            setattr(CursorWrapper, name, _timed_fetch(name))


class BenchTimingMiddleware:
    """Adds the three headers above; first in MIDDLEWARE when the bench turns it on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        _time_fetches()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        clock = _SqlClock()
        started = time.perf_counter()
        token = _current.set(clock)
        with ExitStack() as stack:
            stack.callback(_current.reset, token)
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(clock))
            response = self.get_response(request)
        total = time.perf_counter() - started
        response["X-Helpline-Time"] = f"{total * 1000:.3f}"
        response["X-Helpline-SQL"] = f"{clock.seconds * 1000:.3f};n={clock.count}"
        response["X-Helpline-Pid"] = str(os.getpid())
        return response
