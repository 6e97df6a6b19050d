"""A migration operation for the squashed migrations: label changes, applied at once.

`migrate` keeps the models of every app rendered while it runs, and each
AlterField or AlterModelOptions renders its model again, together with every
model related to it (for a ticket, nearly all of them): about 25 ms per
operation. The label migrations (`*_verbose_names`, `*_translatable_labels`)
held some 360 such operations, only for verbose names, help texts and choices;
they took two thirds of a `migrate` from nothing (8 of 12 s). A squashed
migration folds most of them into the CreateModel they change; the rest change
models made by an earlier migration of the app (the dependencies between
tickets, sla, notify and feedback split the first three into parts, see
docs/decisions.md, "Squashed migrations"). `AlterLabels` applies those
together: the state ends exactly as the AlterField and AlterModelOptions
operations it holds leave it, one by one, and the models are rendered once
instead of once per operation.

It only takes changes that reach no column (Django's own test: what
`schema_editor.alter_field` would skip); anything else raises, on `migrate`, before
any SQL runs, so a real schema change can never hide in it.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations import AlterField, AlterModelOptions
from django.db.migrations.operations.base import Operation, OperationCategory
from django.db.migrations.state import ProjectState


class AlterLabels(Operation):
    """AlterField and AlterModelOptions operations of one app that change no column,
    applied to the migration state with one rendering of the models."""

    category = OperationCategory.ALTERATION
    serialization_expand_args = ["operations"]

    def __init__(self, operations: list[AlterField | AlterModelOptions]) -> None:
        for operation in operations:
            if not isinstance(operation, AlterField | AlterModelOptions):
                raise TypeError(
                    f"AlterLabels takes AlterField and AlterModelOptions, not {operation!r}"
                )
        self.operations = operations

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__qualname__, [], {"operations": self.operations}

    def _model_names(self) -> set[str]:
        return {
            operation.model_name_lower
            if isinstance(operation, AlterField)
            else operation.name_lower
            for operation in self.operations
        }

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        # Each operation changes the model states as it would alone; the rendered
        # models ("apps", a cached property) are set aside meanwhile, so that none
        # of them re-renders, and re-rendered once at the end (with all their
        # related models, as AlterField does for a relation).
        rendered = state.__dict__.pop("apps", None)
        try:
            for operation in self.operations:
                operation.state_forwards(app_label, state)
        finally:
            if rendered is not None:
                state.__dict__["apps"] = rendered
        state.reload_models([(app_label, name) for name in self._model_names()], delay=False)

    def _check_no_column_changes(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for operation in self.operations:
            if not isinstance(operation, AlterField):
                continue  # model options never reach the database
            to_model = to_state.apps.get_model(app_label, operation.model_name)
            if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
                continue
            from_model = from_state.apps.get_model(app_label, operation.model_name)
            old = from_model._meta.get_field(operation.name)
            new = to_model._meta.get_field(operation.name)
            if schema_editor._field_should_be_altered(old, new):  # type: ignore[attr-defined]
                raise ValueError(
                    f"AlterLabels: {app_label}.{operation.model_name}.{operation.name} "
                    "changes the database; use AlterField for it."
                )

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._check_no_column_changes(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        # As AlterField does: the same comparison, from the later state to the earlier.
        self._check_no_column_changes(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        fields = sum(isinstance(operation, AlterField) for operation in self.operations)
        return (
            f"Alter the labels of {fields} fields and the options of "
            f"{len(self.operations) - fields} models"
        )

    @property
    def migration_name_fragment(self) -> str:
        return "alter_labels"
