"""The bench-only timing headers (helpline.lib.benchtiming): off unless the bench
turns them on, and when on, the SQL they report is the request's own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from helpline.lib.benchtiming import BenchTimingMiddleware

ROOT = Path(__file__).resolve().parents[3]
MIDDLEWARE = "helpline.lib.benchtiming.BenchTimingMiddleware"


def test_it_is_not_installed_by_default(client: Client) -> None:
    assert MIDDLEWARE not in settings.MIDDLEWARE
    answer = client.get("/healthz")
    assert "X-Helpline-SQL" not in answer.headers
    assert "X-Helpline-Pid" not in answer.headers


def _middleware_of(env: dict[str, str]) -> list[str]:
    """settings.MIDDLEWARE as a fresh process with this environment loads it."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'helpline.settings';"
            "from django.conf import settings; print('\\n'.join(settings.MIDDLEWARE))",
        ],
        cwd=ROOT,
        env={k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_the_setting_puts_it_first_only_when_the_environment_says_so(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if k != "HELPLINE_BENCH_TIMING"}
    base["HELPLINE_VAR_DIR"] = str(tmp_path)
    assert MIDDLEWARE not in _middleware_of(base)
    assert _middleware_of({**base, "HELPLINE_BENCH_TIMING": "1"})[0] == MIDDLEWARE


@pytest.mark.django_db
def test_it_reports_the_requests_own_statements_and_process(rf: RequestFactory) -> None:
    from helpline.accounts.models import User

    def view(request: HttpRequest) -> HttpResponse:
        User.objects.count()
        User.objects.exists()
        return HttpResponse("ok")

    middleware = BenchTimingMiddleware(view)
    with CaptureQueriesContext(connection) as queries:
        answer = middleware(rf.get("/"))
    sql_ms, _, count = answer["X-Helpline-SQL"].partition(";n=")
    assert int(count) == len(queries) == 2
    assert 0 < float(sql_ms) <= float(answer["X-Helpline-Time"])
    assert answer["X-Helpline-Pid"] == str(os.getpid())


@pytest.mark.django_db
def test_the_sql_time_includes_fetching_the_rows(rf: RequestFactory) -> None:
    """SQLite steps through a SELECT's rows as they are fetched: each of these
    three rows takes 60 ms to make, and only the first is made in execute()."""
    if connection.vendor == "sqlite":

        def slow(x: int) -> int:
            time.sleep(0.06)
            return x

        connection.ensure_connection()
        connection.connection.create_function("slow", 1, slow)
        sql = "SELECT slow(x) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3)"
    else:
        sql = "SELECT pg_sleep(0.06), x FROM generate_series(1, 3) AS x"

    def view(request: HttpRequest) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            assert len(cursor.fetchall()) == 3
        return HttpResponse("ok")

    answer = BenchTimingMiddleware(view)(rf.get("/"))

    sql_ms, _, count = answer["X-Helpline-SQL"].partition(";n=")
    assert int(count) == 1
    assert 170 <= float(sql_ms) <= float(answer["X-Helpline-Time"])
