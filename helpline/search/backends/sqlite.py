"""SQLite: FTS5 over the documents (migration search 0001), ranked by bm25."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from helpline.search.backends.base import (
    START,
    STOP,
    Backend,
    Passages,
    TextQuery,
    has_word,
    passages,
)

# bm25 weights of the columns: subject, people, public text, internal text, and
# the scope, which no search word ever matches.
WEIGHTS = (10.0, 4.0, 1.0, 1.0, 0.0)
# What the searcher's words may match: never the scope's tokens.
TEXT_COLUMNS = "{subject people public_text internal_text}"
PUBLIC_COLUMNS = "{subject people public_text}"
SUBJECT, PUBLIC, INTERNAL = 0, 2, 3  # column numbers, for snippet() and highlight()
SNIPPET_TOKENS = 24


def fts_string(term: str) -> str:
    """A term as an FTS5 string: whatever it holds is words, never syntax."""
    return '"' + term.replace('"', '""') + '"'


def fts_query(text: TextQuery) -> str:
    """The FTS5 query of `text`: every term a string, all of them required, the
    excluded ones after NOT, in the text columns (a customer's in the public
    ones), and one of the searcher's scope tokens required."""
    words = [w for w in text.words if has_word(w)]
    parts = [fts_string(w) for w in words]
    if text.prefix and words and words[-1] == text.words[-1]:
        parts[-1] += " *"
    parts += [fts_string(p) for p in text.phrases if has_word(p)]
    query = " AND ".join(parts) or '""'
    for excluded in text.excluded:
        if has_word(excluded):
            query = f"({query}) NOT {fts_string(excluded)}"
    query = f"{PUBLIC_COLUMNS if text.public_only else TEXT_COLUMNS} : ({query})"
    if text.scope is not None:
        tokens = " OR ".join(fts_string(token) for token in text.scope_tokens())
        query = f"({query}) AND scope : ({tokens})"
    return query


class SqliteBackend(Backend):
    table = "search_fts"
    id_column = "rowid"
    probes_unscoped = True

    def condition(self, text: TextQuery) -> tuple[str, list[Any]]:
        return "search_fts MATCH %s", [fts_query(text)]

    def id_set(self, ids: list[int]) -> RawSQL:
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])

    def score(self, text: TextQuery) -> tuple[str, list[Any]]:
        return "bm25(search_fts, {})".format(", ".join(map(str, WEIGHTS))), []

    def snippets(self, text: TextQuery, ids: list[int]) -> dict[int, Passages]:
        if not ids:
            return {}
        marks = f"'{START}', '{STOP}', '…', {SNIPPET_TOKENS}"
        placeholders = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT rowid, snippet(search_fts, {PUBLIC}, {marks}), "  # noqa: S608
            f"snippet(search_fts, {INTERNAL}, {marks}), "
            f"highlight(search_fts, {SUBJECT}, '{START}', '{STOP}') FROM search_fts "
            f"WHERE search_fts MATCH %s AND rowid IN ({placeholders})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [fts_query(text), *ids])
            rows = cursor.fetchall()
        return {pk: passages(public, note, subject, text) for pk, public, note, subject in rows}
