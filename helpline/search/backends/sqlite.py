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
    Score,
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
THREAD_COLUMNS = "{subject public_text}"  # a customer's (TextQuery.people)
SUBJECT, PUBLIC, INTERNAL = 0, 2, 3  # column numbers, for snippet() and highlight()
SNIPPET_TOKENS = 24
# Pages of the index merged in one transaction by `compact_step`: about a tenth
# of a second of the write lock (200 took 0.2 s at 100,000 tickets, the whole
# index 34 such steps).
MERGE_PAGES = 100
# FTS5's 'usermerge': the routine merge takes a level once it holds this many
# segments (FTS5's own automerge waits for 4).
USERMERGE = 2
# A search with a phrase ranks a match here before one only in the thread
# (`placed`).
HEAD_COLUMNS = "{subject people}"


def fts_string(term: str) -> str:
    """A term as an FTS5 string: whatever it holds is words, never syntax."""
    return '"' + term.replace('"', '""') + '"'


def fts_terms(text: TextQuery) -> list[str]:
    """The searcher's words and phrases as FTS5 strings (the last word a prefix
    when typing)."""
    words = [w for w in text.words if has_word(w)]
    parts = [fts_string(w) for w in words]
    if text.prefix and words and words[-1] == text.words[-1]:
        parts[-1] += " *"
    return parts + [fts_string(p) for p in text.phrases if has_word(p)]


def fts_query(text: TextQuery) -> str:
    """The FTS5 query of `text`: every term a string, all of them required, the
    excluded ones after NOT, in the text columns (a customer's in the public
    ones), and one of the searcher's scope tokens required."""
    query = " AND ".join(fts_terms(text)) or '""'
    for excluded in text.excluded:
        if has_word(excluded):
            query = f"({query}) NOT {fts_string(excluded)}"
    columns = TEXT_COLUMNS if not text.public_only else PUBLIC_COLUMNS
    if not text.people:
        columns = THREAD_COLUMNS
    query = f"{columns} : ({query})"
    if text.scope is not None:
        tokens = " OR ".join(fts_string(token) for token in text.scope_tokens())
        query = f"({query}) AND scope : ({tokens})"
    return query


class SqliteBackend(Backend):
    table = "search_fts"
    id_column = "rowid"
    probes_unscoped = True

    def compact_step(self, full: bool) -> bool:
        # FTS5 writes each transaction's documents as a new segment and merges
        # them only a few at a time, so an index written in batches is in many,
        # and a lookup by id seeks in each (snippets of 25 tickets: 23 ms in 10
        # segments at 100,000 tickets, 1 ms in one). MERGE_PAGES pages a step,
        # each step its own transaction, so the write lock is never held long.
        # Full: a negative 'merge', FTS5's 'optimize' in pieces (every segment into
        # one; new segments restart it, so callers cap it). Routine: a positive
        # one, the levels holding USERMERGE segments or more, which converges
        # while the desk writes. Nothing left to merge changes at most one row.
        with connection.cursor() as cursor:
            before = connection.connection.total_changes
            cursor.execute(
                "INSERT INTO search_fts(search_fts, rank) VALUES('merge', %s)",
                [-MERGE_PAGES if full else MERGE_PAGES],
            )
            return connection.connection.total_changes - before >= 2

    def prepare_compaction(self, full: bool) -> int | None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_fts(search_fts, rank) VALUES('usermerge', %s)", [USERMERGE]
            )
            if not full:
                return None
            cursor.execute("SELECT count(*) FROM search_fts_data")
            pages = int(cursor.fetchone()[0])
        # Twice the index's pages: it ends while the desk keeps writing.
        return 2 * pages // MERGE_PAGES + 10

    def fragments(self) -> int:
        # One index seek a segment (a plain count(DISTINCT) read the whole table).
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH RECURSIVE s(id) AS (SELECT min(segid) FROM search_fts_idx UNION ALL "
                "SELECT (SELECT min(segid) FROM search_fts_idx WHERE segid > s.id) "
                "FROM s WHERE s.id IS NOT NULL) SELECT count(id) FROM s"
            )
            return int(cursor.fetchone()[0])

    def condition(self, text: TextQuery) -> tuple[str, list[Any]]:
        return "search_fts MATCH %s", [fts_query(text)]

    def id_set(self, ids: list[int]) -> RawSQL:
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])

    def score(self, text: TextQuery) -> tuple[str, list[Any]]:
        return "bm25(search_fts, {})".format(", ".join(map(str, WEIGHTS))), []

    def newest_matches(
        self, text: TextQuery, *, before: int | None, limit: int, scored: bool, offset: int = 0
    ) -> list[tuple[int, Score]]:
        # bm25 weighs each phrase by how many documents hold it, and counts them
        # for every query: every document holding all of a phrase's words has its
        # positions read (13.6 ms at 100,000 tickets for "could you have a look",
        # 136 ms at a million, against 1.8 ms for its newest 2,000 matches). A
        # search with a phrase is therefore ranked by where it matched instead.
        if not (scored and text.phrases):
            return super().newest_matches(
                text, before=before, limit=limit, scored=scored, offset=offset
            )
        found = super().newest_matches(
            text, before=before, limit=limit, scored=False, offset=offset
        )
        return self.placed(text, [pk for pk, _score in found])

    def rescore(
        self, text: TextQuery, before: int | None, ids: list[int]
    ) -> list[tuple[int, Score]]:
        if text.phrases:
            return self.placed(text, ids)
        return super().rescore(text, before, ids)

    def placed(self, text: TextQuery, ids: list[int]) -> list[tuple[int, Score]]:
        """(id, score) of matches `ids` (newest first, as they came from the index)
        by where they matched: the phrases in the subject or the customer's name
        or address (0.0) before a match in the thread (1.0); the window puts the
        newest first among equals. One read: the matches between the lowest and
        the highest id are `ids` themselves (4 ms for 4,000 at 100,000 tickets)."""
        phrases = [fts_string(p) for p in text.phrases if has_word(p)]
        if not ids or not phrases:
            return [(pk, 1.0) for pk in ids]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM search_fts "
                "WHERE search_fts MATCH %s AND rowid BETWEEN %s AND %s",
                [
                    f"({fts_query(text)}) AND {HEAD_COLUMNS} : ({' AND '.join(phrases)})",
                    ids[-1],
                    ids[0],
                ],
            )
            head = {pk for (pk,) in cursor.fetchall()}
        return [(pk, 0.0 if pk in head else 1.0) for pk in ids]

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
