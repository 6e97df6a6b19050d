"""Quick looks into the site's database from the test process, in plain SQL: which
mail is being sent right now, how much is still waiting. The test process's Django
holds pytest-django's database, so these go through the driver directly, and
retry while the database is away (PostgreSQL being restarted)."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import psycopg


class Peek:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:")

    def rows(self, sql: str, timeout: float = 30) -> list[tuple[Any, ...]]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._rows(sql)
            except (sqlite3.OperationalError, psycopg.OperationalError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite:
            path = urlparse(self.url).path
            db = sqlite3.connect(path, timeout=20)
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()
        with psycopg.connect(self.url, connect_timeout=5) as pg:
            return pg.execute(sql).fetchall()

    def claimed_since(self, since: datetime, lease: timedelta) -> set[str]:
        """Message-IDs of the mail claimed since `since` and not yet marked: a claim
        sets `next_attempt_at` to the end of the sender's lease."""
        sql = (
            "SELECT message_id, next_attempt_at FROM notify_outboundmessage"
            " WHERE status = 'sending'"
        )
        return {mid for mid, until in self.rows(sql) if _aware(until) - lease >= since}

    def outbox(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        sql = "SELECT status, COUNT(*) FROM notify_outboundmessage GROUP BY status"
        return {status: n for status, n in self.rows(sql)}


def _aware(value: datetime | str) -> datetime:
    """A time as PostgreSQL gives it, or as Django stores it in SQLite (UTC text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
