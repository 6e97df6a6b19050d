"""Every module of the project imports.

mypy runs with `ignore_missing_imports` (for third-party packages without types),
which also hides an import of one of our own modules that was moved or deleted:
a test module or a lazily imported one would only fail when it runs. Modules are
moved between layers often enough (issue 10) that this is checked once, here."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

HELPLINE = Path(__file__).resolve().parent.parent


def module_names() -> list[str]:
    names = []
    for path in sorted(HELPLINE.rglob("*.py")):
        parts = path.relative_to(HELPLINE.parent).with_suffix("").parts
        if "migrations" in parts:
            continue  # run by `migrate`, which the test database setup does
        if "tests" in parts and parts[-1].endswith("settings"):
            continue  # settings of the child processes tests start, read from their env
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_of_the_project_imports(django_db_blocker: Any) -> None:
    # api/tests/test_schema.py loads the OpenAPI schema through the WSGI handler
    # when imported; the request's start checks a database connection left open
    # by an earlier test in this process (close_old_connections), which
    # pytest-django would refuse outside a database test.
    failures = {}
    with django_db_blocker.unblock():
        for name in module_names():
            try:
                importlib.import_module(name)
            except ImportError as error:
                failures[name] = str(error)
    assert failures == {}


def test_the_walk_finds_modules_in_every_app() -> None:
    names = module_names()
    assert "helpline.tickets.lifecycle.opening" in names
    assert "helpline.web.passwords" in names
    assert not any(".migrations." in name for name in names)
