"""The squashed migrations (docs/decisions.md, "Squashed migrations") are twins of
the originals they replace: each leaves its app's models as its last original
does, field for field and in the same order, and its data steps are the
originals' code (the originals' own tests then cover them too)."""

from __future__ import annotations

import ast
import inspect
import textwrap
from importlib import import_module
from typing import Any

import pytest
from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

APPS = {"accounts", "api", "automation", "feedback", "intake", "notify", "sla", "tickets", "worker"}


def squashed() -> list[Any]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        (m for key, m in loader.disk_migrations.items() if key[0] in APPS and m.replaces),
        key=lambda m: (m.app_label, m.name),
    )


def app_models(state: ProjectState, app: str) -> dict[str, Any]:
    return {name: model for (label, name), model in state.models.items() if label == app}


def test_each_squashed_migration_leaves_its_app_as_its_originals_do() -> None:
    # No database: every squashed migration is used in one graph, none in the other.
    with_squashed = MigrationLoader(None, ignore_no_migrations=True)
    originals = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    assert squashed()
    for migration in squashed():
        app = migration.app_label
        ours = app_models(with_squashed.project_state((app, migration.name)), app)
        theirs = app_models(originals.project_state(tuple(migration.replaces[-1])), app)
        assert ours == theirs, migration.name
        # Made in the same order: a new install numbers the permissions of its
        # models in the order the migration state holds them.
        assert list(ours) == list(theirs), migration.name
        for name, model in ours.items():
            # ModelState equality sorts the fields; the columns' order matters too.
            assert list(model.fields) == list(theirs[name].fields), (migration.name, name)


def _code(function: Any) -> str:
    """The function's code without its name, docstring and annotations."""
    node = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    assert isinstance(node, ast.FunctionDef)
    node.name = "f"
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        node.body = body[1:]
    for inner in ast.walk(node):
        if isinstance(inner, ast.FunctionDef):
            inner.returns = None
            for arg in [*inner.args.args, *inner.args.kwonlyargs]:
                arg.annotation = None
    return ast.dump(node)


# (squashed migration, its name for it) -> (original migration, the original name)
COPIES = [
    (
        "tickets.0001_squashed_0004_collaborators_autorespond",
        "create",
        "tickets.0002_defaults",
        "create",
    ),
    (
        "tickets.0009_clock_for_existing_tickets_squashed_0011_due_dates_in_range",
        "clock_for_existing_tickets",
        "tickets.0009_clock_for_existing_tickets",
        "forwards",
    ),
    (
        "tickets.0009_clock_for_existing_tickets_squashed_0011_due_dates_in_range",
        "due_dates_in_range",
        "tickets.0011_due_dates_in_range",
        "forwards",
    ),
    ("notify.0001_squashed_0003_sla_alerts", "create", "notify.0002_default_templates", "create"),
    ("notify.0001_squashed_0003_sla_alerts", "create", "notify.0003_sla_alerts", "create"),
    (
        "notify.0004_account_mail_squashed_0006_translatable_labels",
        "create",
        "notify.0004_account_mail",
        "create",
    ),
    (
        "notify.0004_account_mail_squashed_0006_translatable_labels",
        "update",
        "notify.0005_translatable_templates",
        "update",
    ),
    (
        "notify.0004_account_mail_squashed_0006_translatable_labels",
        "_digest",
        "notify.0005_translatable_templates",
        "_digest",
    ),
    (
        "api.0001_squashed_0004_translatable_labels",
        "create_cache_tables",
        "api.0002_cache_tables",
        "create_cache_tables",
    ),
    (
        "worker.0001_squashed_0004_translatable_labels",
        "forwards",
        "worker.0003_moved_task_paths",
        "forwards",
    ),
    (
        "worker.0001_squashed_0004_translatable_labels",
        "backwards",
        "worker.0003_moved_task_paths",
        "backwards",
    ),
    (
        "worker.0001_squashed_0004_translatable_labels",
        "rename",
        "worker.0003_moved_task_paths",
        "rename",
    ),
]
# Module-level values the copied functions read.
CONSTANTS = [
    (
        "tickets.0009_clock_for_existing_tickets_squashed_0011_due_dates_in_range",
        "tickets.0011_due_dates_in_range",
        "LATEST",
    ),
    (
        "tickets.0009_clock_for_existing_tickets_squashed_0011_due_dates_in_range",
        "tickets.0011_due_dates_in_range",
        "FIELDS",
    ),
    (
        "notify.0004_account_mail_squashed_0006_translatable_labels",
        "notify.0005_translatable_templates",
        "OLD_DEFAULTS",
    ),
    ("worker.0001_squashed_0004_translatable_labels", "worker.0003_moved_task_paths", "MOVED"),
]


def module(name: str) -> Any:
    app, migration = name.split(".")
    return import_module(f"helpline.{app}.migrations.{migration}")


@pytest.mark.parametrize(("ours", "our_name", "theirs", "their_name"), COPIES)
def test_a_data_step_is_the_original_code(
    ours: str, our_name: str, theirs: str, their_name: str
) -> None:
    assert _code(getattr(module(ours), our_name)) == _code(getattr(module(theirs), their_name))


@pytest.mark.parametrize(("ours", "theirs", "name"), CONSTANTS)
def test_a_copied_value_is_the_original(ours: str, theirs: str, name: str) -> None:
    assert getattr(module(ours), name) == getattr(module(theirs), name)


def test_every_data_step_of_a_squashed_migration_is_checked_here() -> None:
    checked = {(ours, our_name) for ours, our_name, _, _ in COPIES}
    for migration in squashed():
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                key = f"{migration.app_label}.{migration.name}"
                name = getattr(operation.code, "__name__", "")
                assert (key, name) in checked, (key, name)
