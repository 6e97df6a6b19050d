"""What both backends share: the ranked page around a backend's own SQL."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from helpline.tickets.models import Ticket

# The markers a backend puts around a hit in a snippet: control characters, which
# sanitized text never holds, so the snippet can be escaped whole and the markers
# then turned into <mark>.
START, STOP = "\x02", "\x03"
Score = float
NO_SCOPE = "x0"
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class TextQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    # The last word is the start of a word (search as you type).
    prefix: bool = False
    # Only the subject, the people and the public thread (customers, the API
    # channel): never notes.
    public_only: bool = False
    # The people part (names and addresses of the customer, the followers, the
    # organization). Not for customers: a follower would learn the owner's address
    # (and a prefix search spells it out letter by letter), which the portal shows
    # them only as a name.
    people: bool = True
    # The scope tokens the searcher may see (documents.scope_of), any of which a
    # document must hold; None: every document (administrators, the API channel).
    scope: tuple[str, ...] | None = None

    def scope_tokens(self) -> tuple[str, ...]:
        # A token no document holds when the searcher may see none.
        return self.scope or (NO_SCOPE,)

    @property
    def positive(self) -> bool:
        return bool(self.words or self.phrases)


class Backend:
    # The matching documents' table in FROM, its ticket id column, and the score
    # of a match (lower is better for both: PostgreSQL's is negated).
    table = ""
    id_column = ""
    # Whether a scoped search tries without its scope first (helpline.search
    # .window): on SQLite, FTS5 walks the whole of a large OR of scope tokens for
    # a rare word (173 ms for nine departments of ten at a million documents,
    # against 0.2 ms for the word alone), and bm25 walks each token's whole list
    # for its weight; a searcher who sees most of the matches reads fewer rows
    # without it. PostgreSQL's planner makes that choice itself.
    probes_unscoped = False

    def compact_step(self, full: bool) -> bool:
        """One bounded step of putting the index back into its fastest form for
        reading, in its own short transaction: `full` into one piece (after a
        bulk index), else the routine merge; whether there was work to do."""
        return False

    def prepare_compaction(self, full: bool) -> int | None:
        """Before compacting: the most steps a full compaction may take (None: no
        bound, for an index that has nothing to merge)."""
        return None

    def fragments(self) -> int:
        """How many pieces the index is in (1 when compact)."""
        return 1

    def rescore(
        self, text: TextQuery, before: int | None, ids: list[int]
    ) -> list[tuple[int, Score]]:
        """(id, score) of matches `ids`, the newest matches below `before` as an
        unscored read gave them (helpline.search.window._probe)."""
        return self.newest_matches(text, before=before, limit=len(ids), scored=True)

    def condition(self, text: TextQuery) -> tuple[str, list[Any]]:
        """The WHERE condition of the documents matching `text` (which has words
        or phrases), and its parameters."""
        raise NotImplementedError

    def score(self, text: TextQuery) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def snippets(self, text: TextQuery, ids: list[int]) -> dict[int, Passages]:
        """{ticket id: what its hit shows (Passages)}."""
        raise NotImplementedError

    def absent(self, text: TextQuery) -> RawSQL:
        """A condition on the tickets table: its document does not match `text`.
        Correlated, one index probe per ticket read, so "-word" alone reads the
        newest tickets until a page is full instead of every match of the word."""
        where, params = self.condition(text)
        own = f"{self.table}.{self.id_column}"
        table = Ticket._meta.db_table
        return RawSQL(  # noqa: S611
            f'NOT EXISTS (SELECT 1 FROM {self.table} WHERE {where} AND {own} = "{table}"."id")',  # noqa: S608
            params,
            output_field=BooleanField(),
        )

    def id_set(self, ids: list[int]) -> RawSQL:
        """The ids as one parameter, for `pk__in`: thousands of placeholders took
        two to three times as long to send and plan (measured at 8,000)."""
        raise NotImplementedError

    def newest_matches(
        self, text: TextQuery, *, before: int | None, limit: int, scored: bool, offset: int = 0
    ) -> list[tuple[int, Score]]:
        """Up to `limit` (ticket id, score) of the documents that match, newest
        (highest id) first, below `before` if given, after skipping `offset`; the
        score 0.0 unless `scored`. The index alone answers: no ticket is read."""
        return self._newest(text, before=before, limit=limit, scored=scored, offset=offset)

    def _newest(
        self,
        text: TextQuery,
        *,
        before: int | None,
        limit: int,
        scored: bool,
        offset: int = 0,
        floor: int | None = None,
        sorted_after: bool = False,
    ) -> list[tuple[int, Score]]:
        """`newest_matches`, from `floor` (an id, included) up only if given;
        `sorted_after`: the matches found first, then sorted (an ORDER BY that no
        index serves), never a walk of the documents in id order."""
        where, params = self.condition(text)
        own = f"{self.table}.{self.id_column}"
        if scored:
            score, score_params = self.score(text)
            # A double: PostgreSQL's rank is a real, which psycopg reads through
            # its shortest text; the cursor compares it with a Python float.
            columns = f"{own}, CAST({score} AS DOUBLE PRECISION)"
        else:
            columns, score_params = f"{own}, 0.0", []
        sql = f"SELECT {columns} FROM {self.table} WHERE {where}"  # noqa: S608
        args = [*score_params, *params]
        if before is not None:
            sql += f" AND {own} < %s"
            args.append(before)
        if floor is not None:
            sql += f" AND {own} >= %s"
            args.append(floor)
        order = f"{own} + 0" if sorted_after else own
        sql += f" ORDER BY {order} DESC LIMIT %s OFFSET %s"
        args += [limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return [(int(pk), float(value)) for pk, value in cursor.fetchall()]


def marked(passage: str) -> SafeString:
    """A backend's passage, escaped, its hits in <mark>."""
    escaped = html.escape(passage.replace("\x00", ""), quote=False)
    return mark_safe(  # noqa: S308  (escaped above; only our markers become tags)
        escaped.replace(START, "<mark>").replace(STOP, "</mark>")
    )


def has_hit(passage: str) -> bool:
    return START in passage


@dataclass(frozen=True)
class Passages:
    """What a hit shows of its document: a passage of the thread with the hits
    marked (None when only the subject or the people matched: a passage without
    a hit would say nothing), whether it is from a note, and the subject as the
    index holds it, its hits between START and STOP (None when it has none;
    `marked_subject` shows it)."""

    snippet: SafeString | None = None
    in_note: bool = False
    subject: str | None = None


def passages(public: str, note: str, subject: str, text: TextQuery) -> Passages:
    """The thread's passage to show: the public thread's unless only a note holds
    a hit (and the searcher may read notes). `subject` is the document's, the
    number first (documents.build), which the row shows apart; a hit that spans
    both ("123456 laptop" as a phrase) is opened again after the number."""
    number, _space, title = subject.partition(" ")
    if number.count(START) > number.count(STOP):
        title = START + title
    shown_subject = title if has_hit(title) else None
    if has_hit(public):
        return Passages(marked(public), False, shown_subject)
    if not text.public_only and has_hit(note):
        return Passages(marked(note), True, shown_subject)
    return Passages(None, False, shown_subject)


def marked_subject(indexed: str | None, current: str) -> SafeString | None:
    """The subject with its hits marked, if the index's copy is the ticket's
    subject now (an edit not indexed yet shows the plain subject instead)."""
    if indexed is None or indexed.replace(START, "").replace(STOP, "") != current:
        return None
    return marked(indexed)


def has_word(term: str) -> bool:
    """Whether a term holds a letter or digit: one of punctuation only is no
    word to either database (FTS5 finds nothing by it, PostgreSQL warns)."""
    return _WORDLIKE.search(term) is not None
