"""Every sort of every desk queue, its first page and a keyset page deep inside it
(forwards and backwards), for an administrator and for an agent who sees one
department, reads index ranges in order: no sort step over the queue, no scan of
the ticket table, no walk of a whole state testing the visibility OR (issue 11:
the priority and due sorts were 8-14x slower at a million tickets than at ten
thousand, deep pages 4-12x).

The databases plan as they would at scale: on SQLite with the statistics ANALYZE
leaves at a million tickets planted in sqlite_stat1 (as test_followups_index.py
does); on PostgreSQL with 30,000 generated tickets and ANALYZE, the planner left
free (no `enable_sort = off`). Generated rows are few for PostgreSQL's sake
only where a queue is rare: "Overdue" is a tenth of the open tickets, and the
planner, taking `is_overdue` and `state` for independent, expects a fiftieth; at
a million tickets that still means walking a few hundred entries of a range in
order, but at thirty thousand a department's open tickets are fewer than that,
and sorting them is rightly cheaper. Hence 200,000 rows there."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from django.db import connection, transaction

from helpline.accounts.models import Department
from helpline.conftest import World
from helpline.tickets import keyset
from helpline.tickets.models import Priority, Status, Ticket
from helpline.tickets.queues import QUEUES, SORTS, cursor_at, page_parts, select

pytestmark = pytest.mark.django_db

MILLION = 1_000_000
# Distinct values of each column at a million tickets, for the planted statistics.
DISTINCT = {
    "department_id": 10,
    "state": 3,
    "assignee_id": 40,
    "team_id": 10,
    "priority_id": 4,
    "status_id": 8,
    "topic_id": 30,
    "customer_id": 100_000,
    "sla_alarm_at": 200_000,
    "resolved_at": 800_000,
    "due_at": 500_000,
    "follows_id": 1,
}


def as_at_a_million_tickets() -> None:
    """sqlite_stat1 as ANALYZE leaves it at a million tickets: for each index of
    the ticket table, the rows per distinct prefix of its columns."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'tickets_ticket'")
        indexes = [row[0] for row in cursor.fetchall()]
        for index in indexes:
            if index is None or index == "ticket_followups":
                continue
            cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(index)})")
            columns = [row[2] for row in cursor.fetchall()]
            stat, distinct = [str(MILLION)], 1
            for column in columns:
                distinct *= DISTINCT.get(column, MILLION)
                stat.append(str(max(1, math.ceil(MILLION / distinct))))
            cursor.execute(
                "UPDATE sqlite_stat1 SET stat = %s WHERE tbl = 'tickets_ticket' AND idx = %s",
                [" ".join(stat), index],
            )
        cursor.execute(
            "UPDATE sqlite_stat1 SET stat = %s WHERE tbl = 'tickets_ticket' AND idx IS NULL",
            [str(MILLION)],
        )
        # A tenth as many customers, each their own; without them a table of two
        # customers would lead the page's join.
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'accounts_customer'")
        cursor.execute(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('accounts_customer', NULL, %s)",
            [str(MILLION // 10)],
        )
        cursor.execute("ANALYZE sqlite_schema")  # read the statistics again


def generate(world: World, count: int) -> None:
    """`count` tickets in one INSERT ... SELECT over a counter: ten departments, a
    fifth open, some assigned to the agent or their team, most with a due time,
    every priority, distinct numbers and times."""
    more = [Department.objects.create(name=f"Department {n}") for n in range(8)]
    departments = [world.support.pk, world.sales.pk, *(d.pk for d in more)]
    priorities = list(Priority.objects.values_list("pk", flat=True))
    open_status = Status.objects.filter(state="open").order_by("pk")[0].pk
    closed_status = Status.objects.filter(state="closed").order_by("pk")[0].pk

    def pick(values: list[int], step: str) -> str:
        cases = " ".join(f"WHEN {n} THEN {v}" for n, v in enumerate(values))
        return f"CASE ({step}) % {len(values)} {cases} END"

    if connection.vendor == "postgresql":

        def minutes_ago(expr: str) -> str:
            return f"now() - (({expr}) * interval '1 minute')"

    else:

        def minutes_ago(expr: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ({expr}) || ' minutes')"

    sql = f"""
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {count})
        INSERT INTO tickets_ticket (
            number, subject, customer_id, department_id, priority_id, status_id, state,
            assignee_id, team_id, source, sla_from, sla_paused_seconds,
            first_response_breached, due_is_manual, resolution_breached, is_overdue,
            escalation_level, extra, created_at, updated_at, due_at, reopen_count, version)
        SELECT
            'g' || g, 'Generated ' || g, {world.customer.pk}, {pick(departments, "g")},
            {pick(priorities, "g / 3")},
            CASE WHEN g % 5 = 0 THEN {open_status} ELSE {closed_status} END,
            CASE WHEN g % 5 = 0 THEN 'open' ELSE 'closed' END,
            CASE g % 20 WHEN 1 THEN {world.agent.pk} WHEN 3 THEN {world.admin.pk} END,
            CASE WHEN g % 20 = 2 THEN {world.team.pk} END,
            'web', '', 0, false, false,
            false, g % 10 = 0, 0, '{{}}',
            {minutes_ago("g * 7")}, {minutes_ago("g")},
            CASE WHEN g % 3 <> 0 THEN {minutes_ago("g % 997 - 500")} END, 0, 1
        FROM s
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sql = sql.replace("false", "0")
        cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tickets_ticket")
    if connection.vendor == "sqlite":
        as_at_a_million_tickets()


def explain(sql: str, params: Any) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


# PostgreSQL may sort a range it expects to hold a few pages (a deep page of
# "Overdue" in one department, the agent's own overdue tickets: a few dozen rows
# here): cheaper than reading it in order, and no sort of the queue. At a
# million tickets such a range is larger and read in order. Anything bigger is a
# sort of the queue (without the sort indexes: thousands of rows).
SMALL = 4 * 26


def problems(text: str) -> list[str]:
    """What in a plan reads more than the page: a sort, or a scan of the tickets."""
    found = []
    for line in text.splitlines():
        if connection.vendor == "postgresql":
            rows = re.search(r"rows=(\d+)", line)
            big = rows is None or int(rows.group(1)) > SMALL
            if "Seq Scan on tickets_ticket" in line:
                found.append(line)
            if big and ("Sort  (" in line or "Bitmap Heap Scan on tickets_ticket" in line):
                found.append(line)  # rows gathered out of order, then sorted
        else:
            if "TEMP B-TREE" in line or line.strip().startswith("SCAN tickets_ticket"):
                found.append(line)
            if "tickets_ticket" in line and "USING" not in line:
                found.append(line)
    return found


def plans(world: World, who: str) -> dict[str, list[str]]:
    """{page: what is wrong in its plan} for every queue, sort and page depth."""
    agent = getattr(world, who)
    wrong: dict[str, list[str]] = {}
    for queue in QUEUES:
        for sort in SORTS:
            selection = select(agent, queue, {"sort": sort})
            assert selection is not None
            everything = list(selection.tickets.select_related("priority"))
            pages: dict[str, dict[str, str]] = {"first": {}}
            if len(everything) > 2:
                middle = everything[len(everything) // 2]
                pages["deep"] = {"cursor": cursor_at(sort, middle, True)}
                pages["deep back"] = {"cursor": cursor_at(sort, middle, False)}
            for depth, extra in pages.items():
                planned = page_parts(agent, queue, {"sort": sort, **extra})
                assert planned is not None
                found = planned[-1]
                assert found, (queue, sort)
                if len(found) == 1:
                    query = found[0].tickets.select_related("customer", "priority", "team")
                    text = explain(*query.query.sql_with_params())
                else:
                    sql, params, _ranks = keyset.union_sql(found)
                    text = explain(sql, params)
                if bad := problems(text):
                    wrong[f"{queue} {sort} {depth} ({len(found)} parts)"] = [*bad, text]
    return wrong


ROWS = 60_000 if connection.vendor == "postgresql" else 2_000


def test_every_sort_and_page_reads_index_ranges_in_order(world: World) -> None:
    generate(world, ROWS)
    assert Ticket.objects.filter(state="open").count() > 300
    for who in ("admin", "agent"):
        wrong = plans(world, who)
        assert not wrong, "\n\n".join(
            [*wrong, *(f"{k}:\n" + "\n".join(v) for k, v in wrong.items())]
        )
    # It can fail: the whole queue in one ORDER BY (as OFFSET pages read it) sorts,
    # or walks a whole state testing the OR, at these statistics.
    selection = select(world.agent, "open", {"sort": "priority"})
    assert selection is not None
    text = explain(*selection.tickets[:26].query.sql_with_params())
    assert problems(text), text
