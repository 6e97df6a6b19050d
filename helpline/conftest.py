"""Test fixtures shared by every app: a small world of people and reference data.

`world` has a customer, an administrator, two agents in different departments (a
supervisor in Support, an agent in Sales), an outsider customer, and a help topic
per department, so permission tests read as sentences.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import TransactionTestCase
from django.utils import translation
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from helpline.accounts.models import Agent, Customer, Department, DepartmentAccess, Role, Team, User
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.defaults import ensure_defaults
from helpline.tickets.models import HelpTopic, Priority, Status, Ticket

# Debian's headless shell (Chromium's "old headless", the one Playwright itself runs
# headless): no browser UI layers, about 40 % less CPU per page load than the full
# browser in headless mode, and the suite is CPU-bound. `--headed` (watching a
# test) needs the full browser.
CHROMIUM = os.environ.get("HELPLINE_CHROMIUM", "/usr/bin/chromium-headless-shell")
CHROMIUM_HEADED = os.environ.get("HELPLINE_CHROMIUM_HEADED", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[1]
SQLITE_NAME = "helpline.sqlite3"  # the file settings.py keeps in HELPLINE_VAR_DIR
_MIGRATED = pytest.StashKey[Path]()


@dataclass
class World:
    customer: Customer
    outsider: Customer
    admin: Agent
    supervisor: Agent  # supervisor in Support
    agent: Agent  # agent in Support
    other_agent: Agent  # agent in Sales only
    support: Department
    sales: Department
    team: Team
    topic: HelpTopic  # public, Support
    sales_topic: HelpTopic  # public, Sales
    sla: SLAPlan

    def open(self, subject: str = "Printer on fire", **kwargs: object) -> Ticket:
        """Open a ticket; `actor` (the customer unless given) and every field of
        `lifecycle.NewTicket` are keyword arguments."""
        actor = kwargs.pop("actor", self.customer)
        kwargs.setdefault("customer", self.customer)
        kwargs.setdefault("topic", self.topic)
        kwargs.setdefault("body_html", "<p>It is really on fire.</p>")
        new = lifecycle.NewTicket(subject=subject, **kwargs)  # type: ignore[arg-type]
        return lifecycle.open_ticket(new, actor=actor)  # type: ignore[arg-type]

    def status(self, name: str) -> Status:
        return Status.objects.get(name=name)


def make_agent(username: str, role: Role, *departments: Department) -> Agent:
    first, _, last = username.partition(".")
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        first_name=first.title(),
        last_name=last.title(),
    )
    agent = Agent.objects.create(user=user, role=role)
    for department in departments:
        DepartmentAccess.objects.create(agent=agent, department=department)
    return agent


def make_customer(name: str, email: str, *, login: bool = False) -> Customer:
    customer = Customer.objects.create(name=name, email=email)
    if login:
        customer.user = User.objects.create_user(username=email, email=email, password=PASSWORD)
        customer.save()
    return customer


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts and ends in the site's language: LocaleMiddleware
    activates a request's language for the rest of its thread, so a German request
    in one test would otherwise make the next test's messages German."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Rate-limit counters (in the "limits" cache) and everything else cached start
    from zero in every test."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture
def world(db: None) -> World:
    # Transactional tests (browser, threads) empty every table, migration data too.
    ensure_defaults()
    sla = SLAPlan.objects.create(name="Standard", resolution_hours=8, is_default=True)
    support = Department.objects.create(name="Support")
    sales = Department.objects.create(name="Sales")
    admin = make_agent("ada.admin", Role.ADMIN)
    supervisor = make_agent("sam.super", Role.SUPERVISOR, support)
    agent = make_agent("alice.agent", Role.AGENT, support)
    other = make_agent("bob.sales", Role.AGENT, sales)
    team = Team.objects.create(name="Level II", lead=supervisor)
    team.members.add(supervisor, agent)
    normal = Priority.objects.get(name="Normal")
    return World(
        customer=make_customer("Ken Adams", "ken@example.com", login=True),
        outsider=make_customer("Olive Outsider", "olive@example.org", login=True),
        admin=admin,
        supervisor=supervisor,
        agent=agent,
        other_agent=other,
        support=support,
        sales=sales,
        team=team,
        topic=HelpTopic.objects.create(name="Printers", department=support, priority=normal),
        sales_topic=HelpTopic.objects.create(name="Pricing", department=sales, priority=normal),
        sla=sla,
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """The system Chromium (Playwright cannot download its own browser here).

    A missing Chromium makes browser tests fail, never skip: `make test` installs it
    (scripts/ensure-test-tools).
    """
    headed = browser_type_launch_args.get("headless") is False
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM_HEADED if headed else CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            # Hermetic: no name but localhost resolves (the live server's), so a
            # remote address in a page or a payload fails at once, never waits
            # on a lookup, and no test depends on the internet. A live server
            # under another host name (--liveserver) needs it added here.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
        ],
    }


# --- emptying the database after a transactional test ---------------------------------
# Transactional tests (browser, threads, child processes) end with Django's flush,
# which on PostgreSQL is one TRUNCATE of every table: 200 to 400 ms here, since it
# makes new files for each of 60-odd tables and their indexes, against 3 to 10 ms
# for a DELETE of the few rows a test leaves (measured on the local PostgreSQL).
# Django's foreign keys on PostgreSQL are DEFERRABLE INITIALLY DEFERRED, so the
# DELETEs may run in any order inside flush's transaction. Sequences are left as
# TRUNCATE without RESTART IDENTITY leaves them; a test that asks for
# `reset_sequences` gets Django's own statement. SQLite's flush already deletes.


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete_on_postgresql() -> Iterator[None]:
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def delete(
        self: DatabaseOperations,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if not tables or reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED;"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(t))};"
            for t in tables
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", delete)
        patch.setattr(TransactionTestCase, "_fixture_teardown", _flush_again_if_raced)
        yield


# A browser test's page may still be talking to the live server (which outlives the
# test) when the test ends: a draft saved as the page is left, a presence beat. A
# row such a request commits while the flush is under way can point at a row the
# flush has already deleted; the flush then fails at commit (the deferred foreign
# key), rolls back whole, and the next test finds the last one's rows. Once the
# request is done a second flush empties everything, that row too.
_flush_once = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]


def _flush_again_if_raced(self: TransactionTestCase) -> None:
    for attempt in range(4):
        try:
            _flush_once(self)
            return
        except CommandError:
            if attempt == 3:
                raise
            time.sleep(0.2 * (attempt + 1))


# --- a migrated database to copy -------------------------------------------------------
# Migrating a database from nothing takes seconds of CPU; pytest-django does it once
# per process (per xdist worker). Tests that need a database of their own for a child
# process (`helpline` on the command line) start from a copy of one already migrated
# instead of migrating again.


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, request: pytest.FixtureRequest, tmp_path_factory: Any
) -> None:
    """pytest-django's test database; on SQLite, also a copy of it as the
    migrations left it, before any test wrote to it (see `migrated_sqlite`)."""
    from django.db import connection

    test_name = connection.settings_dict["TEST"].get("NAME")
    # Set up (pytest-django sets up no database when no selected test needs one).
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"] == test_name:
        copy = tmp_path_factory.mktemp("migrated") / SQLITE_NAME
        _copy_sqlite(Path(test_name), copy)
        request.config.stash[_MIGRATED] = copy


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (what is still in the WAL too)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture(scope="session")
def migrated_sqlite(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Path:
    """A migrated SQLite database file (no rows but what migrations add), to copy.

    On the SQLite run it is the copy `django_db_setup` made of the test database.
    Where there is none (the PostgreSQL run, or no selected test uses the database)
    one is migrated here, once, by `helpline migrate` as an operator would."""
    request.getfixturevalue("django_db_setup")
    if _MIGRATED in request.config.stash:
        return request.config.stash[_MIGRATED]
    folder = tmp_path_factory.mktemp("migrated")
    ours = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update(HELPLINE_VAR_DIR=str(folder), SECRET_KEY="migrated-sqlite-template-key")
    subprocess.run(
        [sys.executable, "-m", "helpline.cli", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder / SQLITE_NAME


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks into the ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup` (make test), all browser tests of a module go to one
    xdist worker, so the module starts one Playwright and one Chromium, not one on
    each worker that happens to get some of its tests."""
    # In an xdist worker `dist` reads "no" (xdist resets it there); `loadgroup` is
    # what the worker is told instead, and the workers are where collection runs.
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        module = getattr(item, "module", None)
        if item.get_closest_marker("browser") and module is not None:
            item.add_marker(pytest.mark.xdist_group(module.__name__))


# --- Playwright: one per test module --------------------------------------------------
# pytest-playwright starts Playwright once per session. Its sync API keeps an asyncio
# event loop running in the test thread from then on, and Django refuses ORM calls
# from such a thread unless DJANGO_ALLOW_ASYNC_UNSAFE is set: so the flag had to be
# set for the whole run, every test and every child process. Here Playwright (and
# Chromium) live as long as a browser test module: the flag is set while they run
# and removed when they stop, and every other test runs with Django's check in force.
# The fixtures below are pytest-playwright's, with the scope narrowed to the module.


@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Playwright]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        started = sync_playwright().start()
        if _pw_api_request_contexts:
            _pw_api_request_contexts.instrument(started)
        try:
            yield started
        finally:
            started.stop()


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    started = launch_browser()
    yield started
    started.close()


@pytest.fixture(scope="module")
def browser_context_args(
    pytestconfig: pytest.Config,
    playwright: Playwright,
    device: str | None,
    base_url: str | None,
    _pw_artifacts_folder: Any,
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if device:
        args.update(playwright.devices[device])
    if base_url:
        args["base_url"] = base_url
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    return args
