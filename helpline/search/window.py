"""A page of a text search, read from a bounded window of the index.

The full-text index answers fast which documents match and in which order of
id (a doclist walk: the newest 20,000 matches of a word that every ticket holds
in 5 ms at 100,000 tickets on SQLite, and their scores in 22 ms). What costs is
the ticket row behind each match: the searcher's visibility and qualifiers are
columns of the ticket, about 2 microseconds a row. A page therefore:

1. takes the newest `EXAMINE` matches from the index (with their scores for
   best match), below the cursor for newest first;
2. reads the ticket rows behind them, newest first, in growing chunks, only
   until it has what the page needs: a page and one more (newest first), or the
   newest `RANK_WINDOW` (best match), and `COUNT_CAP` + 1 for the counts;
3. ranks, pages and counts those in Python.

So no search reads more than EXAMINE ticket rows, whatever the word and the
size of the desk, and an administrator's page of a common word reads about a
thousand. The price is said on the page: counts past COUNT_CAP are "more than",
best match ranks the newest RANK_WINDOW visible matches, and with more than
EXAMINE matches newest first goes on from where it looked ("continue") and the
counts are "at least" (`Window.capped`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet

from helpline.search.backends import Backend, TextQuery
from helpline.tickets.models import Ticket

EXAMINE = 20_000
RANK_WINDOW = 2_000
COUNT_CAP = 1_000
FIRST_CHUNK, LAST_CHUNK = 1_000, 16_000


@dataclass
class Window:
    ids: list[int] = field(default_factory=list)  # the page, in order
    scores: dict[int, float] = field(default_factory=dict)
    next_at: dict[str, float | int] | None = None  # the cursor's position
    counts: dict[str, int] = field(default_factory=dict)
    capped: bool = False  # the counts are a lower bound
    ranked_newest: bool = False  # best match ranked the newest RANK_WINDOW only


def text_page(
    engine: Backend,
    text: TextQuery,
    tickets: QuerySet[Ticket],
    *,
    newest: bool,
    after: dict[str, float | int] | None,
    limit: int,
) -> Window:
    before = int(after["i"]) if newest and after is not None else None
    matches = engine.newest_matches(text, before=before, limit=EXAMINE + 1, scored=not newest)
    more_matches = len(matches) > EXAMINE
    matches = matches[:EXAMINE]
    need = max(COUNT_CAP + 1, limit + 1 if newest else RANK_WINDOW + 1)
    visible, read_all = _visible(engine, tickets, [pk for pk, _s in matches], need)
    window = Window()
    counted = Counter(state for _pk, state in visible[: COUNT_CAP + 1])
    window.counts = dict(counted)
    window.capped = len(visible) > COUNT_CAP or more_matches
    if newest:
        page = [pk for pk, _state in visible[: limit + 1]]
        if len(page) > limit:
            window.ids = page[:limit]
            window.next_at = {"s": 0.0, "i": page[limit - 1]}
        else:
            window.ids = page
            if more_matches and read_all:
                # Fewer than a page among the matches looked at: go on below them.
                window.next_at = {"s": 0.0, "i": matches[-1][0]}
        return window
    scores = dict(matches)
    candidates = [pk for pk, _state in visible[:RANK_WINDOW]]
    window.ranked_newest = len(visible) > RANK_WINDOW or more_matches
    ordered = sorted(candidates, key=lambda pk: (scores[pk], pk))
    if after is not None:
        mark = (float(after["s"]), int(after["i"]))
        ordered = [pk for pk in ordered if (scores[pk], pk) > mark]
    window.ids = ordered[:limit]
    window.scores = {pk: scores[pk] for pk in window.ids}
    if len(ordered) > limit:
        last = window.ids[-1]
        window.next_at = {"s": scores[last], "i": last}
    return window


def _visible(
    engine: Backend, tickets: QuerySet[Ticket], ids: list[int], need: int
) -> tuple[list[tuple[int, str]], bool]:
    """(id, state) of the tickets among `ids` (newest first) that `tickets`
    holds, in that order, until `need` are found; and whether all were read."""
    found: list[tuple[int, str]] = []
    start, size = 0, FIRST_CHUNK
    while start < len(ids) and len(found) < need:
        chunk = ids[start : start + size]
        states = dict(tickets.filter(pk__in=engine.id_set(chunk)).values_list("pk", "state"))
        found += [(pk, states[pk]) for pk in chunk if pk in states]
        start += len(chunk)
        size = min(size * 2, LAST_CHUNK)
    return found, start >= len(ids)
