"""Query plans for tests that check a query reads an index (and in which order)."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction


def explain(sql: str, params: Any, *, sorts: bool = False, analyze: str = "") -> str:
    """The plan of one query, as text, on SQLite or PostgreSQL.

    On PostgreSQL the test tables are tiny, so the planner would rightly scan them
    and sort the few rows; forbidding scans (and sorts, unless `sorts`) shows what
    the indexes *can* do: a Sort left in the plan means no index serves the order.
    `analyze` names a table to gather fresh statistics for first (rows just written).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            if not sorts:
                cursor.execute("SET LOCAL enable_sort = off")
            if analyze:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(analyze)}")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
