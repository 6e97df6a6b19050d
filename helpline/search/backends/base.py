"""What both backends share: the ranked page around a backend's own SQL."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from helpline.tickets.models import Ticket

# The markers a backend puts around a hit in a snippet: control characters, which
# sanitized text never holds, so the snippet can be escaped whole and the markers
# then turned into <mark>.
START, STOP = "\x02", "\x03"
Score = float
Cursor = tuple[float, int] | None  # (score, id) by relevance; (0, id) newest first


@dataclass(frozen=True)
class TextQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    # The last word is the start of a word (search as you type).
    prefix: bool = False
    # Only the subject, the people and the public thread (customers): never notes.
    public_only: bool = False

    @property
    def positive(self) -> bool:
        return bool(self.words or self.phrases)


class Backend:
    # The matching documents' table in FROM, its ticket id column, and the score
    # of a match (lower is better for both: PostgreSQL's is negated).
    table = ""
    id_column = ""

    def condition(self, text: TextQuery) -> tuple[str, list[Any]]:
        """The WHERE condition of the documents matching `text` (which has words
        or phrases), and its parameters."""
        raise NotImplementedError

    def score(self, text: TextQuery) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def snippets(self, text: TextQuery, ids: list[int]) -> dict[int, tuple[SafeString, bool]]:
        """{ticket id: (highlighted passage, whether it is from a note)}."""
        raise NotImplementedError

    def matching(self, text: TextQuery) -> RawSQL:
        """The ids of the tickets whose documents match `text`, for `pk__in`."""
        where, params = self.condition(text)
        # Our own table and column names, the condition's values as parameters.
        return RawSQL(  # noqa: S611
            f"SELECT {self.id_column} FROM {self.table} WHERE {where}",  # noqa: S608
            params,
        )

    def ranked(
        self,
        text: TextQuery,
        tickets: QuerySet[Ticket],
        *,
        newest: bool,
        after: Cursor,
        limit: int,
    ) -> list[tuple[int, Score]]:
        """Up to `limit` (ticket id, score) of the matching `tickets`, best (or
        newest) first, after the cursor."""
        where, params = self.condition(text)
        score, score_params = self.score(text)
        # A double on both sides of the cursor's comparison: PostgreSQL's rank is a
        # real, which psycopg reads through its shortest text (not the same
        # double), and a float parameter goes as a numeric, to which PostgreSQL
        # turns a real with six digits.
        score = f"CAST({score} AS DOUBLE PRECISION)"
        own = f"{self.table}.{self.id_column}"
        exists_sql, exists_params = (
            tickets.filter(pk=RawSQL(own, ())).values("pk").query.sql_with_params()  # noqa: S611
        )
        sql = [
            f"SELECT {own}, {score} AS hit_score FROM {self.table}",  # noqa: S608
            f"WHERE {where} AND EXISTS ({exists_sql})",
        ]
        args = [*score_params, *params, *exists_params]
        if newest:
            if after is not None:
                sql.append(f"AND {own} < %s")
                args.append(after[1])
            sql.append(f"ORDER BY {own} DESC")
        else:
            if after is not None:
                mark = "CAST(%s AS DOUBLE PRECISION)"
                sql.append(f"AND ({score} > {mark} OR ({score} = {mark} AND {own} > %s))")
                args += [*score_params, after[0], *score_params, after[0], after[1]]
            sql.append(f"ORDER BY hit_score, {own}")
        sql.append("LIMIT %s")
        args.append(limit)
        with connection.cursor() as cursor:
            cursor.execute(" ".join(sql), args)
            return [(int(pk), float(value)) for pk, value in cursor.fetchall()]


def marked(passage: str) -> SafeString:
    """A backend's passage, escaped, its hits in <mark>."""
    escaped = html.escape(passage.replace("\x00", ""), quote=False)
    return mark_safe(  # noqa: S308  (escaped above; only our markers become tags)
        escaped.replace(START, "<mark>").replace(STOP, "</mark>")
    )


def has_hit(passage: str) -> bool:
    return START in passage
