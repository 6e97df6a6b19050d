"""AlterLabels: the state ends as its AlterField and AlterModelOptions operations
leave it one by one, the models are rendered once, and a change that reaches a
column is refused before any SQL."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, models
from django.db.migrations import AddField, AlterField, AlterModelOptions
from django.db.migrations.state import ModelState, ProjectState
from django.db.migrations.writer import OperationWriter

from helpline.lib.migration_ops import AlterLabels


def rendered_state() -> ProjectState:
    state = ProjectState()
    state.add_model(
        ModelState(
            "shop",
            "Shelf",
            [("id", models.BigAutoField(primary_key=True))],
        )
    )
    state.add_model(
        ModelState(
            "shop",
            "Item",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
                ("shelf", models.ForeignKey("shop.Shelf", models.CASCADE, null=True)),
            ],
        )
    )
    state.apps  # noqa: B018 (rendered, as `migrate` keeps it)
    return state


LABELS: list[AlterField | AlterModelOptions] = [
    AlterField("item", "name", models.CharField(max_length=10, verbose_name="name")),
    AlterField(
        "item",
        "shelf",
        models.ForeignKey("shop.Shelf", models.CASCADE, null=True, verbose_name="shelf"),
    ),
    AlterModelOptions("item", {"verbose_name": "item", "ordering": ["name"]}),
    AlterModelOptions("shelf", {"verbose_name": "shelf"}),
]


def test_it_leaves_the_state_as_the_operations_one_by_one() -> None:
    one_by_one = rendered_state()
    for operation in LABELS:
        operation.state_forwards("shop", one_by_one)
    together = rendered_state()

    AlterLabels(LABELS).state_forwards("shop", together)

    assert together == one_by_one
    item = together.apps.get_model("shop", "Item")
    assert item._meta.get_field("name").verbose_name == "name"
    assert item._meta.get_field("shelf").verbose_name == "shelf"
    assert (item._meta.verbose_name, item._meta.ordering) == ("item", ["name"])
    shelf = together.apps.get_model("shop", "Shelf")
    assert shelf._meta.verbose_name == "shelf"
    # The rendered models still point at each other (one registry, not two).
    assert item._meta.get_field("shelf").related_model is shelf


def test_it_renders_the_models_once() -> None:
    state = rendered_state()
    with mock.patch.object(ProjectState, "_reload", autospec=True) as reload:
        AlterLabels(LABELS).state_forwards("shop", state)
    assert reload.call_count == 1


def test_it_passes_changes_that_reach_no_column() -> None:
    before = rendered_state()
    after = before.clone()
    operation = AlterLabels(LABELS)
    operation.state_forwards("shop", after)
    editor = connection.SchemaEditorClass(connection, collect_sql=True)

    operation.database_forwards("shop", editor, before, after)
    operation.database_backwards("shop", editor, after, before)

    assert editor.collected_sql == []


def test_it_refuses_a_change_that_reaches_a_column() -> None:
    before = rendered_state()
    after = before.clone()
    operation = AlterLabels([AlterField("item", "name", models.CharField(max_length=20))])
    operation.state_forwards("shop", after)
    editor = connection.SchemaEditorClass(connection, collect_sql=True)

    with pytest.raises(ValueError, match=r"shop\.item\.name changes the database"):
        operation.database_forwards("shop", editor, before, after)
    assert editor.collected_sql == []


def test_it_takes_only_field_and_option_changes() -> None:
    with pytest.raises(TypeError):
        AlterLabels([AddField("item", "size", models.IntegerField(default=0))])  # type: ignore[list-item]


def test_a_migration_file_can_hold_it() -> None:
    operation = AlterLabels(LABELS)
    name, args, kwargs = operation.deconstruct()
    assert name == "AlterLabels"
    assert AlterLabels(*args, **kwargs).operations == LABELS
    text, imports = OperationWriter(operation).serialize()
    assert text.strip().startswith("helpline.lib.migration_ops.AlterLabels(")
    assert "import helpline.lib.migration_ops" in imports
    assert operation.describe() == "Alter the labels of 2 fields and the options of 2 models"
