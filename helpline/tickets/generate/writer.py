"""Bulk rows for the generator: plain tuples written with `executemany` (SQLite)
or COPY (PostgreSQL), a batch per transaction, ids handed out here.

Why not `bulk_create`: at a million tickets the generator writes some fifteen
million rows, and a model instance costs more to build than the row costs to
insert (measured on this machine: 13 µs to build an Event instance, before
`bulk_create` prepares each of its values, against 4 µs for its adapted tuple).
Values are adapted as Django adapts them (`connection.ops.adapt_datetimefield_value`,
`adapt_json_value`; on SQLite the same conversions without their per-value checks),
so the rows read back the same as rows the ORM wrote.

Ids are given here, counting up from the table's highest id, because the rows
refer to each other (an event names its entry, a rating its event) before any of
them is written. PostgreSQL's sequences are moved past them at the end
(`reset_sequences`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models import Max


def _sqlite_datetime(value: datetime) -> str:
    """`adapt_datetimefield_value` on SQLite (naive UTC text), without its checks."""
    if value.tzinfo is not UTC:  # nearly all are UTC already
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ")


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"
    if isinstance(field, models.DateTimeField):
        return _sqlite_datetime if sqlite else ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder or DjangoJSONEncoder
        if sqlite:
            # What adapt_json_value does on SQLite (json.dumps with the field's
            # encoder), with one encoder instead of one per value.
            return encoder().encode
        return lambda value: ops.adapt_json_value(value, encoder)
    return None


class Table:
    """Rows of one model, as tuples in its columns' order, until `flush`.

    `add(**values)` takes attribute names (`ticket_id`, not `ticket`); a missing
    value takes the field's default (Django's defaults are not the database's, so
    a raw INSERT must name every column)."""

    def __init__(self, model: type[models.Model], *, with_id: bool = True) -> None:
        self.model = model
        fields = [
            f for f in model._meta.concrete_fields if with_id or not isinstance(f, models.AutoField)
        ]
        self.names = [f.attname for f in fields]
        self.defaults = {
            f.attname: (None if isinstance(f, models.AutoField) else f.get_default())
            for f in fields
        }
        # itemgetter of one name returns the value, of several a tuple.
        self.getter = (
            itemgetter(*self.names) if len(self.names) > 1 else lambda d: (d[self.names[0]],)
        )
        self.adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f)) is not None]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        table = quote(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - our names
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        self.rows: list[list[Any]] = []
        self.next_id = 1
        self.written = 0
        if with_id:
            self.next_id = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def take_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, **values: Any) -> None:
        row = list(self.getter({**self.defaults, **values}))
        for i, adapt in self.adapters:
            if row[i] is not None:
                row[i] = adapt(row[i])
        self.rows.append(row)

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: PostgreSQL's bulk path, several times faster than
                # executemany's INSERTs (psycopg adapts each value as for a query).
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.written += len(self.rows)
        self.rows = []


def reset_sequences(model_list: Iterable[type[models.Model]]) -> None:
    """Move PostgreSQL's id sequences past the ids given here (SQLite needs nothing:
    its next id is the highest plus one)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def analyze() -> None:
    """Fresh planner statistics for the new rows (SQLite's ANALYZE fills
    sqlite_stat1, which its planner reads; PostgreSQL's autovacuum would get there
    later, but the first benchmark would run on stale ones)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
