"""The site's databases for the instances test: one prepared once (migrated, with
its agents and keys), then copied for each run, so each run starts from the same
state without migrating again (about 10 s on these machines).

- SQLite (the suite runs on SQLite): files in the test's temp folder, copied.
- PostgreSQL: databases on the suite's own server, named after the suite's test
  database (so parallel runs never share one), each run's made with the prepared
  one as its TEMPLATE, and all dropped at the end.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import TracebackType
from typing import Any


class SiteDatabases:
    def __init__(self, suite: dict[str, Any], folder: Path) -> None:
        self.postgres = "postgresql" in suite["ENGINE"]
        self.folder = folder
        self.base = f"{suite['NAME']}_instances"[:50]
        self.server: dict[str, Any] = {
            "host": suite.get("HOST") or "127.0.0.1",
            "port": suite.get("PORT") or 5432,
            "user": suite.get("USER") or "postgres",
            "password": suite.get("PASSWORD") or None,
        }
        self.made: list[str] = []

    def url(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.folder / f'{name}.sqlite3'}"
        user = self.server["user"]
        auth = f"{user}:{self.server['password']}@" if self.server["password"] else f"{user}@"
        return f"postgres://{auth}{self.server['host']}:{self.server['port']}/{self.base}_{name}"

    def create(self, name: str, template: str | None = None) -> str:
        """An empty database (or a copy of `template`); its URL."""
        if not self.postgres:
            if template is not None:
                for suffix in ("", "-wal", "-shm"):
                    source = self.folder / f"{template}.sqlite3{suffix}"
                    if source.exists():
                        shutil.copyfile(source, self.folder / f"{name}.sqlite3{suffix}")
            return self.url(name)
        from psycopg import sql

        make = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(f"{self.base}_{name}"))
        if template is not None:
            make += sql.SQL(" TEMPLATE {}").format(sql.Identifier(f"{self.base}_{template}"))
        self._drop(name)
        self._admin(make)
        self.made.append(name)
        return self.url(name)

    def _drop(self, name: str) -> None:
        from psycopg import sql

        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        self._admin(drop.format(sql.Identifier(f"{self.base}_{name}")))

    def _admin(self, statement: Any) -> None:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **self.server) as admin:
            admin.execute(statement)

    def __enter__(self) -> SiteDatabases:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.postgres:
            for name in reversed(self.made):
                self._drop(name)
