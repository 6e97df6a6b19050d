"""A page of a text search, read from a bounded window of the index.

The full-text index answers fast which documents match and in which order of
id (a doclist walk: the newest 20,000 matches of a word that every ticket holds
in 5 ms at 100,000 tickets on SQLite, and their scores in 22 ms). It answers
only for the searcher: each document holds the tokens of who may find it (its
scope: department, assignee, team, customer; documents.scope_of), and the
index takes the searcher's tokens with the words. What costs is the ticket row
behind each match: the searcher's visibility (checked again, the scope may be
one indexing turn behind a transfer) and the qualifiers are columns of the
ticket, about 2 microseconds a row. A page therefore:

1. takes the newest matches from the index, twice what the page needs first,
   then four times more each time up to `EXAMINE` (with their scores for best
   match), below the cursor for newest first;
2. reads the ticket rows behind them, newest first, in growing chunks, only
   until it has what the page needs: a page and one more (newest first), or the
   newest `RANK_WINDOW` (best match), and `COUNT_CAP` + 1 for the counts; it
   takes more matches until it has, or none are left, or `EXAMINE_MAX` were
   looked at;
3. ranks, pages and counts those in Python.

On SQLite a scoped search first reads the newest `PROBE_ROWS` matches without
its scope (Backend.probes_unscoped): a searcher who sees most of the matches
(an agent of most departments) fills the page from them, or they are all there
is, where FTS5 would walk every scope token's whole list; otherwise the page is
read with the scope.

So a page of a common word reads about a thousand ticket rows, a search whose
qualifiers pass one match in ten about ten thousand, and no page more than
EXAMINE_MAX. The price is said on the page: counts past COUNT_CAP are "more
than", best match ranks the newest RANK_WINDOW matches the searcher may see, and
when EXAMINE_MAX matches held too few that pass the qualifiers, newest first
goes on below them ("continue") and the counts are "at least"
(`Window.capped`).

What a page says depends on the tickets the searcher may read, never on others:
the matches it counts and ranks are in the searcher's scope (read with it, or
read without it and kept only when they need nothing more), and the cursor holds
the id of a hit shown and a number of windows, not the id of a match.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from django.db.models import QuerySet

from helpline.search.backends import Backend, TextQuery
from helpline.tickets.models import Ticket

EXAMINE = 20_000  # matches taken from the index at a time
EXAMINE_MAX = 200_000  # and at most, for one page
# Best match ranks the newest this many visible matches. 1,000 since 1M on
# PostgreSQL (docs/performance.md): reading the newest matches walks the documents
# newest first, and a word in 3.5% of a million documents, for an agent who sees
# half of them, took 106 ms of SQL for 2,251 matches and 40-69 ms for 1,126.
RANK_WINDOW = 1_000
COUNT_CAP = 1_000
FIRST_CHUNK, LAST_CHUNK = 1_000, 16_000
# The newest matches read without the scope before the scope is taken
# (Backend.probes_unscoped): a searcher who sees fewer than a page's needs (1,001)
# of this many sees too few of the matches for reading past the others
# to pay. At about 2 us a ticket row, the most a probe wastes is some 10 ms.
PROBE_ROWS = 4_000


@dataclass
class Window:
    ids: list[int] = field(default_factory=list)  # the page, in order
    next_at: dict[str, float | int | None] | None = None  # the cursor's position
    counts: dict[str, int] = field(default_factory=dict)
    capped: bool = False  # the counts are a lower bound
    ranked_newest: bool = False  # best match ranked the newest RANK_WINDOW only


def text_page(
    engine: Backend,
    text: TextQuery,
    tickets: QuerySet[Ticket],
    *,
    newest: bool,
    after: dict[str, float | int | None] | None,
    limit: int,
    filtered: bool = True,
    counted: bool = True,
) -> Window:
    """A page of the text search `text` within `tickets`. `filtered`: `tickets`
    is narrower than the searcher's scope (qualifiers, the API list's filters),
    so fewer of the index's matches are expected to pass. `counted`: the page
    shows the counts per state (suggestions do not: newest first, they read a
    page and one more)."""
    # Newest first goes on below the last hit shown (`i`), past `w` matches
    # already looked at there. Both come from what the searcher saw: `i` is a
    # ticket they may read, `w` a whole number of windows. Never the id of a match
    # they may not read, which a cursor would give away (it is signed, not secret).
    anchor = after.get("i") if newest and after is not None else None
    skip = int(after.get("w") or 0) if newest and after is not None else 0
    need = max(COUNT_CAP + 1 if counted else 0, limit + 1 if newest else RANK_WINDOW + 1)
    before = int(anchor) if anchor is not None else None
    found = None
    if text.scope is not None and len(text.scope) > 1 and engine.probes_unscoped and skip == 0:
        # Without the scope first (SQLite: see Backend.probes_unscoped), if the
        # searcher sees enough of the newest matches to fill the page. Not for one
        # token (a customer's own tickets): FTS5 reads that alone quickly, and a
        # customer's page then never depends on how many other tickets match.
        found = _probe(engine, replace(text, scope=None), tickets, before, need, not newest)
    if found is None:
        found = _collect(engine, text, tickets, before, skip, need, not newest, filtered)
    visible, scores, examined, exhausted = found
    # Stopped by the bound on work before finding what the page needs: more may
    # match further down. (Only matches in the searcher's scope were counted: a
    # read without the scope is kept only when it found what the page needs or
    # every match.)
    stopped = not exhausted and len(visible) < need
    window = Window()
    window.counts = dict(Counter(state for _pk, state in visible[: COUNT_CAP + 1]))
    window.capped = len(visible) > COUNT_CAP or stopped
    if newest:
        page = [pk for pk, _state in visible[: limit + 1]]
        window.ids = page[:limit]
        if len(page) > limit:
            window.next_at = {"s": 0.0, "i": page[limit - 1], "w": 0}
        elif stopped:
            # Every visible match looked at is on this page: go on below them
            # (in the scope's matches: a cursor past 0 is read with the scope).
            window.next_at = {"s": 0.0, "i": anchor, "w": skip + examined}
        return window
    candidates = [pk for pk, _state in visible[:RANK_WINDOW]]
    window.ranked_newest = len(visible) > RANK_WINDOW or stopped
    # Best first, and the newer of two equals first (a phrase on SQLite is scored
    # by where it matched, so most are equal: backends.sqlite).
    ordered = sorted(candidates, key=lambda pk: (scores[pk], -pk))
    # The cursor holds a place in this ranking (`p`) and the hit shown there
    # (`i`), never a score: SQLite's bm25 weighs a word by how many documents hold
    # it, every department's and every note's, which a score would tell.
    start = _resume(ordered, after) if after is not None else 0
    window.ids = ordered[start : start + limit]
    if len(ordered) > start + limit:
        window.next_at = {"s": 0.0, "p": start + limit, "i": window.ids[-1]}
    return window


def _resume(ordered: list[int], after: dict[str, float | int | None]) -> int:
    """Where the next page of a ranking starts: after the last hit shown, found
    again (matches come and go between pages), else at the place it was."""
    last, place = int(after.get("i") or 0), max(0, int(after.get("p") or 0))
    if place and place <= len(ordered) and ordered[place - 1] == last:
        return place
    return ordered.index(last) + 1 if last in ordered else place


Collected = tuple[list[tuple[int, str]], dict[int, float], int, bool]


def _collect(
    engine: Backend,
    text: TextQuery,
    tickets: QuerySet[Ticket],
    before: int | None,
    skip: int,
    need: int,
    scored: bool,
    filtered: bool = True,
) -> Collected:
    """The visible matches, newest first, until `need` are found, none are left
    or EXAMINE_MAX were looked at: (id and state of each, scores, matches looked
    at, whether none are left)."""
    visible: list[tuple[int, str]] = []
    scores: dict[int, float] = {}
    examined = 0
    # What the page needs first (twice that when qualifiers filter the matches,
    # an eighth more otherwise: the index answers in the searcher's scope, so all
    # but a moved ticket pass), then four times more each time. The matches cost
    # by the row: PostgreSQL reads each one's document (wide rows, their vector)
    # and scores it, and a word in 3.5% of a million documents took 93 ms for
    # 4,002 of them; 20,000 for 2,001 wanted was 10 times the work.
    size = min(EXAMINE, 2 * need if filtered else need + need // 8)
    while len(visible) < need and examined < EXAMINE_MAX:
        size = min(size, EXAMINE_MAX - examined)
        batch = engine.newest_matches(
            text, before=before, offset=skip + examined, limit=size, scored=scored
        )
        examined += size
        scores.update(batch)
        visible += _visible(engine, tickets, [pk for pk, _s in batch], need - len(visible))
        if len(batch) < size:
            return visible, scores, examined, True
        size = min(size * 4, EXAMINE)
    return visible, scores, examined, False


def _probe(
    engine: Backend,
    wide: TextQuery,
    tickets: QuerySet[Ticket],
    before: int | None,
    need: int,
    scored: bool,
) -> Collected | None:
    """The page's matches read without the scope: the newest PROBE_ROWS, unscored;
    None unless they hold what the page needs or are all there is. Then their
    scores (best match), from the same newest matches."""
    batch = engine.newest_matches(wide, before=before, limit=PROBE_ROWS, scored=False)
    ids = [pk for pk, _s in batch]
    exhausted = len(ids) < PROBE_ROWS
    visible = _visible(engine, tickets, ids, need)
    if len(visible) < need and not exhausted:
        return None
    scores = dict(batch)
    if scored and ids:
        scores = dict(engine.rescore(wide, before, ids))
        # The worker may have indexed (or removed) a match between the two reads:
        # what has no score now is left out, never looked up.
        visible = [hit for hit in visible if hit[0] in scores]
        if len(visible) < need and not exhausted:
            return None
    # No matches "examined" for a cursor to go on past: a probe is kept only when
    # it holds what the page needs or every match, so its page never stops.
    return visible, scores, 0, exhausted


def _visible(
    engine: Backend, tickets: QuerySet[Ticket], ids: list[int], need: int
) -> list[tuple[int, str]]:
    """(id, state) of the tickets among `ids` (newest first) that `tickets` holds,
    in that order, until `need` are found."""
    found: list[tuple[int, str]] = []
    start, size = 0, FIRST_CHUNK
    while start < len(ids) and len(found) < need:
        chunk = ids[start : start + size]
        states = dict(tickets.filter(pk__in=engine.id_set(chunk)).values_list("pk", "state"))
        found += [(pk, states[pk]) for pk in chunk if pk in states]
        start += len(chunk)
        size = min(size * 2, LAST_CHUNK)
    return found[:need]
