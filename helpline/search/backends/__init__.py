"""The two full-text backends behind one interface: SQLite FTS5 and PostgreSQL.

Each turns a `TextQuery` (the words, phrases and exclusions a person typed, as
`query.parse` read them) into its own query language without letting any of it
act as syntax (SQLite: every term a quoted FTS5 string; PostgreSQL: every term a
parameter of plainto_tsquery / phraseto_tsquery), and answers three questions
about a set of tickets (a queryset already limited to what the searcher may see
and to the qualifiers):

- `ranked`: a page of matching ticket ids, by relevance or newest first, after
  a cursor;
- `matching`: the SQL of the ids of the tickets that match (for counts);
- `snippets`: a highlighted passage of each ticket's text, from the parts the
  searcher may read.

The tickets queryset becomes a correlated EXISTS (one primary-key lookup per
candidate document), so the full-text index drives: a rare word reads few rows
whatever the filters.
"""

from __future__ import annotations

from django.db import connection

from helpline.search.backends.base import Backend, TextQuery


def backend() -> Backend:
    if connection.vendor == "postgresql":
        from helpline.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from helpline.search.backends.sqlite import SqliteBackend

    return SqliteBackend()


__all__ = ["Backend", "TextQuery", "backend"]
