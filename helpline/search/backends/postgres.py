"""PostgreSQL: the documents' generated tsvector (migration search 0001), its GIN
index, ranked by ts_rank_cd."""

from __future__ import annotations

import re
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

CONFIG = "helpline_search"
# A scoped search walks at most this many of the newest document ids in id order
# before it reads the rest through the GIN indexes (newest_matches); about 50 ms
# at worst (0.5 us a document checked).
WALK = 100_000
# The parts the API channel may search: weights A (subject), B (people), C (public);
# a customer's: the subject and the public thread (TextQuery.people).
PUBLIC_WEIGHTS = "{a,b,c}"
THREAD_WEIGHTS = "{a,c}"
# ts_rank_cd normalization 1: divided by 1 + the log of the document's length, so a
# word in a short ticket outranks the same word once in a long thread.
NORMALIZATION = 1
# ts_headline reads the text it highlights: no more than this of each part. Its
# "<" are followed by a zero-width space, taken out again, or the parser would read
# "<script>" as a tag and hide the rest (the index puts a space there: 0001).
HEADLINE_CHARS = 100_000
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
SUBJECT_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
NOT_A_TAG = "\u200b"


# The start of an address or a host name, as typed: "ken@exa", "acme.co".
_ADDRESS_START = re.compile(r"\w[\w.+-]*[@.][\w.+@-]*")


def tsquery(text: TextQuery, *, positive_only: bool = False) -> tuple[str, list[Any]]:
    """The text query as a tsquery expression and its parameters: every term goes
    through plainto_ / phraseto_tsquery as a parameter, so none is syntax.
    `positive_only` leaves the exclusions out (what the GIN index can narrow by
    before the public parts are filtered)."""
    parts: list[str] = []
    params: list[Any] = []
    last = len(text.words) - 1
    for index, typed in enumerate(text.words):
        # "ken." or "ken@" as the start of a word is "ken": the parser splits there.
        word = typed.rstrip(".@+-") if text.prefix and index == last else typed
        if text.prefix and index == last and re.fullmatch(r"\w+", word):
            # to_tsquery reads syntax: the word, of letters and digits only, quoted.
            parts.append(f"to_tsquery('{CONFIG}', %s)")
            params.append(f"'{word}':*")
        elif text.prefix and index == last and _ADDRESS_START.fullmatch(word):
            # The parser keeps an address or a host whole ("ken@example.com"), and
            # splits the start of one ("ken@exa") into words that match nothing:
            # the start as one lexeme, lowercased as the index holds it. Of
            # address characters only, so quoting it is all the syntax it needs;
            # under PostgreSQL's 2,047 bytes a lexeme, as a search holds at most
            # query.MAX_CHARS (500) characters of 4 bytes at most.
            parts.append("CAST(%s AS tsquery)")
            params.append(f"'{word.lower()}':*")
        else:
            parts.append(f"plainto_tsquery('{CONFIG}', %s)")
            params.append(typed)
    for phrase in text.phrases:
        parts.append(f"phraseto_tsquery('{CONFIG}', %s)")
        params.append(phrase)
    for excluded in () if positive_only else text.excluded:
        if has_word(excluded):
            parts.append(f"!!phraseto_tsquery('{CONFIG}', %s)")
            params.append(excluded)
    return "(" + " && ".join(parts or ["''::tsquery"]) + ")", params


class PostgresBackend(Backend):
    table = "search_document"
    id_column = "ticket_id"

    def _vector(self, text: TextQuery) -> str:
        if not text.people:
            return f"ts_filter(vec, '{THREAD_WEIGHTS}')"
        return f"ts_filter(vec, '{PUBLIC_WEIGHTS}')" if text.public_only else "vec"

    def newest_matches(
        self, text: TextQuery, *, before: int | None, limit: int, scored: bool, offset: int = 0
    ) -> list[tuple[int, Score]]:
        """A scoped search's newest matches in two reads. The planner takes a page
        of matches by walking the documents newest first and checking each, right
        when the searcher's scope holds many of the words' matches; when it holds
        few or none (a Sales agent's "laptop"), that walk read every document: 485
        ms at a million for nothing. So the walk covers the newest `WALK` ids below
        where it starts, and what it did not find there is read through the words'
        and the scope's GIN indexes (a bitmap of both) and sorted: 18-35 ms for a
        word in 5% of the documents and none of the scope's."""
        if text.scope is None:
            return self._newest(text, before=before, limit=limit, scored=scored, offset=offset)
        top = before if before is not None else self._top()
        floor = max(0, top - WALK)
        near = self._newest(
            text, before=top, limit=limit, scored=scored, offset=offset, floor=floor
        )
        if len(near) == limit or floor == 0:
            return near
        # How many matches the walk's ids hold, to skip the rest of `offset` below.
        held = offset + len(near) if near or not offset else self._count(text, floor, top)
        rest = self._newest(
            text,
            before=floor,
            limit=limit - len(near),
            scored=scored,
            offset=max(0, offset - held),
            sorted_after=True,
        )
        return near + rest

    def _top(self) -> int:
        """One past the newest document's id (the primary key's last entry)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({self.id_column}) FROM {self.table}")  # noqa: S608
            newest = cursor.fetchone()[0]
        return int(newest or 0) + 1

    def _count(self, text: TextQuery, floor: int, top: int) -> int:
        where, params = self.condition(text)
        own = f"{self.table}.{self.id_column}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {self.table} WHERE {where} "  # noqa: S608
                f"AND {own} >= %s AND {own} < %s",
                [*params, floor, top],
            )
            return int(cursor.fetchone()[0])

    def prepare_compaction(self, full: bool) -> int | None:
        # Nothing to merge (GIN's pending list is autovacuum's), but after a bulk
        # index the planner's statistics: without them it took a word in 90% of
        # the documents for one in 2% and read every match for a page (1.7 s at
        # a million tickets, 6 ms once analysed). Autovacuum would get there, in
        # its own time.
        if full:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE search_document")
        return None

    def condition(self, text: TextQuery) -> tuple[str, list[Any]]:
        where, params = self._text_condition(text)
        if text.scope is not None:
            # The scope's own GIN index (migration 0003); its tokens are ours, a
            # letter and digits (documents.scope_of), never typed by the searcher.
            where += " AND scope_vec @@ to_tsquery('simple', %s)"
            params = [*params, " | ".join(text.scope_tokens())]
        return where, params

    def _text_condition(self, text: TextQuery) -> tuple[str, list[Any]]:
        query, params = tsquery(text)
        if text.public_only or not text.people:
            # The index narrows by the words sought; the exclusions are checked on
            # the public parts only (ts_filter, which no index serves): against the
            # whole vector, a word in a note would hide the ticket from a customer
            # and so give the note away.
            positive, positive_params = tsquery(text, positive_only=True)
            return (
                f"vec @@ {positive} AND {self._vector(text)} @@ {query}",
                positive_params + params,
            )
        return f"vec @@ {query}", params

    def id_set(self, ids: list[int]) -> RawSQL:
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])

    def score(self, text: TextQuery) -> tuple[str, list[Any]]:
        query, params = tsquery(text)
        return f"(-ts_rank_cd({self._vector(text)}, {query}, {NORMALIZATION}))", params

    def snippets(self, text: TextQuery, ids: list[int]) -> dict[int, Passages]:
        if not ids:
            return {}
        query, params = tsquery(text)
        headline = (
            f"ts_headline('{CONFIG}', "
            f"replace(left({{part}}, {HEADLINE_CHARS}), '<', '<{NOT_A_TAG}'), "
            f"{query}, %s)"
        )
        internal = "''" if text.public_only else headline.format(part="internal_text")
        internal_params = [] if text.public_only else [*params, HEADLINE_OPTIONS]
        # The whole subject, every hit in it marked.
        subject = headline.format(part="subject")
        sql = (
            f"SELECT ticket_id, {headline.format(part='public_text')}, {internal}, "  # noqa: S608
            f"{subject} FROM search_document WHERE ticket_id = ANY(%s)"
        )
        args = [*params, HEADLINE_OPTIONS, *internal_params, *params, SUBJECT_OPTIONS, ids]
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        return {
            pk: passages(_shown(public), _shown(note), _shown(title), text)
            for pk, public, note, title in rows
        }


def _shown(headline: str) -> str:
    return headline.replace(NOT_A_TAG, "")
