"""The two full-text backends behind one interface: SQLite FTS5 and PostgreSQL.

Each turns a `TextQuery` (the words, phrases and exclusions a person typed, as
`query.parse` read them) into its own query language without letting any of it
act as syntax (SQLite: every term a quoted FTS5 string; PostgreSQL: every term a
parameter of plainto_tsquery / phraseto_tsquery), and answers three questions
about the documents that match:

- `newest_matches`: their ids, newest first (below an id, after an offset), with
  their scores for best match; the index alone answers, no ticket is read (the
  searcher's visibility and qualifiers are applied by helpline.search.window);
- `absent`: a condition on tickets, that their document does not match ("-word"
  alone);
- `snippets`: a highlighted passage of each ticket's text, from the parts the
  searcher may read;
- `id_set`: ticket ids as one parameter, for the window's reads.
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
