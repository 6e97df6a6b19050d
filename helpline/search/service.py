"""Searching tickets: what the desk, the portal and the API call.

`search(typed, agent=...)` (or `customer=...`) reads the search (query.parse),
limits the tickets to those the searcher may see (the queues' own
`visible_to`, or a customer's own tickets) and to its qualifiers (filters), and
then:

- a (partial) ticket number: the tickets whose number starts so, by number;
- words or phrases: the full-text backend's matches, by relevance or newest
  first, each with a highlighted snippet;
- only exclusions or qualifiers: the tickets that pass, newest first.

Pages are keyset pages behind a signed cursor. The counts per state
("12 open, 230 closed") are counted up to `COUNT_CAP` matches and say "more"
beyond, so a common word costs a bounded count; a text search reads a bounded
window of the index (helpline.search.window), and says so when more matched.

Permissions are applied twice: the index is read with the searcher's scope
(`scope_tokens`; on SQLite an agent's first read may go without it, kept only
when it needs nothing more: helpline.search.window), and the tickets behind the
matches are filtered by the queues' `visible_to` (the authority: a document's
scope may be one indexing turn behind a transfer). A ticket the searcher may
not see is neither a hit, nor a snippet, nor counted, nor a reason to stop
looking. A customer's search reads only the subject, the people and the public
thread of their own tickets (backends: `public_only`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from helpline.accounts.models import Agent, Customer
from helpline.search.backends import TextQuery, backend
from helpline.search.backends.base import Passages, has_word, marked_subject
from helpline.search.filters import CUSTOMER_QUALIFIERS, qualifier_filter
from helpline.search.query import MAX_NUMBER, QUALIFIERS, BadSearch, Parsed, parse
from helpline.search.window import COUNT_CAP, text_page
from helpline.tickets.models import ROW_RELATIONS, Collaborator, Ticket
from helpline.tickets.permissions import visibility_branches
from helpline.tickets.queues import BadQueueInput, apply_filters

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
ORDERS = ("relevance", "newest")
MIN_PREFIX = 3  # characters of a last word widened to the start of words
# The most tickets a search's CSV holds (newest first): a spreadsheet of a search,
# not a dump of the database (the queues' CSV exports a whole queue).
EXPORT_MAX = 10_000
_CURSOR_SALT = "helpline.search.cursor"


@dataclass
class Hit:
    ticket: Ticket
    snippet: SafeString | None = None
    in_note: bool = False  # the snippet is from an internal note
    subject: SafeString | None = None  # the subject with its hits marked, if any


@dataclass
class Results:
    parsed: Parsed
    order: str
    hits: list[Hit] = field(default_factory=list)
    next_cursor: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # by state
    counts_capped: bool = False
    by_number: bool = False
    by_text: bool = False  # words or phrases (or a number no ticket's starts with)
    # Best match ranked the newest window.RANK_WINDOW matches only: more matched.
    windowed: bool = False
    # No ticket held the words as typed: these hold words that start with the
    # last one ("lap" for "laptop", "ken@exa"), as the suggestions found them.
    prefixed: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def last_word(self) -> str:
        """The word a `prefixed` search took as the start of a word."""
        return ([self.parsed.number] if self.parsed.number else self.parsed.words or [""])[-1]


def search(
    typed: str,
    *,
    agent: Agent | None = None,
    customer: Customer | None = None,
    channel: bool = False,
    within: QuerySet[Ticket] | None = None,
    order: str = "relevance",
    cursor: str = "",
    limit: int = PAGE_SIZE,
    prefix: bool = False,
    counts: bool = True,
    widen: bool = True,
    filters: Mapping[str, str] | None = None,
    snippets: bool = True,
) -> Results:
    """One page of the search `typed` as one searcher may see it: an `agent` (the
    tickets they may see, notes included), a `customer` (their own tickets, the
    public thread), or the API `channel` (a key without an agent: every ticket,
    the public thread). `within` narrows the searcher's tickets further (the API
    list's filters); it never widens them; so do `filters`, the queues' filter
    parameters (department, topic, status... by id: tickets.queues). `prefix`:
    the last word is the start of a word (as the agent types). `widen`: when the
    words as typed match nothing, search them with `prefix` (`Results.prefixed`).
    `snippets`: show where each hit matched (suggestions and exports do not).
    BadSearch (a message to show) for a search, order or cursor that cannot run."""
    if sum((agent is not None, customer is not None, channel)) != 1:
        raise ValueError("search() needs one searcher: an agent, a customer or the channel")
    if order not in ORDERS:
        raise BadSearch(_("Results are ordered by relevance or newest first."), "order")
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    parsed = parse(typed, sorted(CUSTOMER_QUALIFIERS) if customer is not None else QUALIFIERS)
    results = Results(parsed=parsed, order=order)
    if parsed.is_empty:
        return results
    public_only = agent is None
    people = customer is None  # TextQuery.people: a customer's search skips them
    asked_prefix = prefix
    tickets = _scope(agent, customer)
    if within is not None:
        tickets = tickets.filter(pk__in=within.values("pk"))
    used: dict[str, str] = {}
    if filters:
        try:
            tickets, used = apply_filters(tickets, filters)
        except BadQueueInput as bad:
            raise BadSearch(bad.message, bad.field) from None
    for key, value, negated in parsed.qualifiers:
        q = qualifier_filter(
            key, value, agent=agent, customer=customer is not None, public_only=public_only
        )
        tickets = tickets.filter(~q if negated else q)
    kind = "n" if parsed.number is not None else "x" if parsed.has_text else "f"
    # A number that starts no ticket's number is searched as a word ("invoice
    # 55512" in a message, "E-4711"); its next pages are a text search's.
    kinds = ("n", "x") if kind == "n" else (kind,)
    bound = _bound(typed, agent, customer, within, used)
    after = read_cursor(cursor, order, kinds, bound) if cursor else None
    words = tuple(parsed.words)
    if after is not None:
        kind = str(after["t"])
        prefix = prefix or bool(after.get("f"))
    if kind == "n":
        ids, next_at = _by_number(tickets, parsed.number or "", after, limit)
        if not ids and after is None:
            kind = "x"
    if kind == "n":
        results.by_number = True
        matched: QuerySet[Ticket] | None = _number_range(tickets, parsed.number or "")
        shown: dict[int, Passages] = {}
    elif kind == "x":
        results.by_text = True
        if parsed.number is not None:
            words = (parsed.number,)
        text = TextQuery(
            words,
            tuple(parsed.phrases),
            tuple(parsed.excluded),
            prefix,
            public_only,
            people,
            scope_tokens(agent, customer),
        )
        engine = backend()
        found = text_page(
            engine,
            text,
            tickets,
            newest=order == "newest" or prefix,
            after=after,
            limit=limit,
            filtered=bool(parsed.qualifiers or used) or within is not None,
            counted=counts,
        )
        ids, next_at = found.ids, found.next_at
        results.windowed = found.ranked_newest
        # Without counts the window read a page and one more: no count to show.
        if counts:
            results.counts, results.counts_capped = found.counts, found.capped
        matched = None  # counted above, from the same window
        # Suggestions show no snippet: not worth ts_headline's reading.
        shown = engine.snippets(text, ids) if snippets else {}
    else:
        engine = backend()
        for term in parsed.excluded:
            tickets = tickets.filter(
                engine.absent(TextQuery(phrases=(term,), public_only=public_only, people=people))
            )
        ids, next_at = _newest(tickets, after, limit)
        matched = tickets
        shown = {}
    by_id = {t.pk: t for t in Ticket.objects.filter(pk__in=ids).select_related(*ROW_RELATIONS)}
    for pk in ids:
        if pk in by_id:  # one may have been deleted meanwhile
            ticket, passages = by_id[pk], shown.get(pk, Passages())
            subject = marked_subject(passages.subject, ticket.subject)
            results.hits.append(Hit(ticket, passages.snippet, passages.in_note, subject))
    if after is not None and "c" in after:
        # Counted on the first page; later pages carry the counts in their cursor.
        results.counts, results.counts_capped = dict(after["c"]), bool(after["k"])
    elif counts and matched is not None:
        results.counts, results.counts_capped = count_by_state(matched)
    if next_at is not None:
        position = {**next_at, "o": order, "t": kind, "h": bound}
        if counts:
            position |= {"c": results.counts, "k": results.counts_capped}
        if prefix:
            position["f"] = 1
        results.next_cursor = make_cursor(position)
    # A later page of a search that was widened (its cursor says so) says so too.
    results.prefixed = prefix and not asked_prefix
    if (
        widen
        and results.by_text
        and not prefix
        and after is None
        and _widens(results.last_word)
        and _found_nothing(results)
    ):
        # What the suggestions showed as the agent typed ("lap" for "laptop")
        # should not vanish on Enter: the words as starts of words, newest first.
        widened = search(
            typed,
            agent=agent,
            customer=customer,
            channel=channel,
            within=within,
            order=order,
            limit=limit,
            prefix=True,
            counts=counts,
            filters=filters,
            snippets=snippets,
        )
        if not _found_nothing(widened):
            widened.prefixed = True
            return widened
    return results


def export_pages(
    typed: str, *, agent: Agent, filters: Mapping[str, str] | None = None
) -> Iterator[list[int]]:
    """The ids of the tickets the search finds for `agent`, newest first, a page
    at a time, up to EXPORT_MAX: each page is read when the one before has been
    used (a CSV streams as it is read). BadSearch from the first page, before
    anything is yielded, is raised by the first `next()`."""
    results = search(
        typed,
        agent=agent,
        order="newest",
        limit=MAX_PAGE_SIZE,
        counts=False,
        filters=filters,
        snippets=False,
    )
    sent = 0
    while True:
        ids = [hit.ticket.pk for hit in results.hits][: EXPORT_MAX - sent]
        if ids:
            yield ids
        sent += len(ids)
        if results.next_cursor is None or sent >= EXPORT_MAX:
            return
        results = search(
            typed,
            agent=agent,
            order="newest",
            cursor=results.next_cursor,
            limit=MAX_PAGE_SIZE,
            counts=False,
            filters=filters,
            snippets=False,
        )


def _widens(word: str) -> bool:
    """Whether a last word is worth searching as the start of words: three
    characters at least, as the suggestions ask (a start of one or two reads
    every word that begins so), holding a letter or digit."""
    return len(word) >= MIN_PREFIX and has_word(word)


def _found_nothing(results: Results) -> bool:
    return not results.hits and results.next_cursor is None and not results.total


def _scope(agent: Agent | None, customer: Customer | None) -> QuerySet[Ticket]:
    if agent is not None:
        return Ticket.objects.visible_to(agent)
    if customer is not None:
        # Their own tickets and those they are copied on, as the portal shows them:
        # a UNION of two index reads. `customer = c OR id IN (copied)` is a filter
        # no index serves (PostgreSQL read every ticket for a count or a page).
        own, copied = Ticket._meta.db_table, Collaborator._meta.db_table
        theirs = RawSQL(  # noqa: S611  (our table names, the id a parameter)
            f"SELECT id FROM {own} WHERE customer_id = %s "  # noqa: S608  (our tables)
            f"UNION ALL SELECT ticket_id FROM {copied} WHERE customer_id = %s",
            [customer.pk, customer.pk],
        )
        return Ticket.objects.filter(pk__in=theirs)
    return Ticket.objects.all()  # the API channel reads every ticket's public thread


# The index's letter for each column of the queues' visibility (documents.scope_of).
_SCOPE_LETTER = {"department_id": "d", "assignee_id": "a", "team_id": "t"}


def scope_tokens(agent: Agent | None, customer: Customer | None) -> tuple[str, ...] | None:
    """The index's scope tokens of what the searcher may see: a customer's own
    tickets, or an agent's `visibility_branches` (the queues' own rule, one token
    per branch), so the two never differ. The tickets' own columns are checked
    after the index (a document's scope may be one indexing turn behind a
    transfer or an assignment). None: every ticket."""
    if customer is not None:
        return (f"c{customer.pk}",)  # their own tickets and those they are copied on
    branches = visibility_branches(agent) if agent is not None else None
    if branches is None:
        return None
    tokens = []
    for branch in branches:
        [child] = branch.children  # one equality each: ("department_id", 5)
        column, value = cast(tuple[str, int], child)
        tokens.append(f"{_SCOPE_LETTER[column]}{value}")
    return tuple(tokens)


def _number_range(tickets: QuerySet[Ticket], digits: str) -> QuerySet[Ticket]:
    # A range on the unique index rather than LIKE 'digits%', which neither
    # database serves from a plain index (numbers are at most MAX_NUMBER long).
    return tickets.filter(number__gte=digits, number__lte=digits + "9" * (MAX_NUMBER - len(digits)))


def _by_number(
    tickets: QuerySet[Ticket], digits: str, after: dict[str, Any] | None, limit: int
) -> tuple[list[int], dict[str, Any] | None]:
    found = _number_range(tickets, digits)
    if after is not None:
        found = found.filter(number__gt=str(after.get("n", "")))
    rows = list(found.order_by("number").values_list("pk", "number")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return [pk for pk, _n in rows], ({"n": rows[-1][1]} if more else None)


def _newest(
    tickets: QuerySet[Ticket], after: dict[str, Any] | None, limit: int
) -> tuple[list[int], dict[str, Any] | None]:
    if after is not None:
        tickets = tickets.filter(pk__lt=int(after.get("i", 0)))
    ids = list(tickets.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    more = len(ids) > limit
    ids = ids[:limit]
    return ids, ({"s": 0.0, "i": ids[-1]} if more else None)


def count_by_state(tickets: QuerySet[Ticket]) -> tuple[dict[str, int], bool]:
    """{state: count} of the first COUNT_CAP + 1 tickets, and whether there were
    more than COUNT_CAP (the counts then say "at least")."""
    # In no order: the planner's choice. Newest first (as the pages go) took
    # `has:attachment state:open` from 97 to 30 ms at a million for an
    # administrator, and from 119 to 243 ms for an agent of a department of 6%
    # (a walk of every ticket for theirs), where no order read the department's.
    sql, params = tickets.order_by().values("state")[: COUNT_CAP + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT state, COUNT(*) FROM ({sql}) AS capped GROUP BY state",  # noqa: S608
            params,
        )
        found = {state: int(n) for state, n in cursor.fetchall()}
    return found, sum(found.values()) > COUNT_CAP


def _bound(
    typed: str,
    agent: Agent | None,
    customer: Customer | None,
    within: QuerySet[Ticket] | None,
    filters: Mapping[str, str],
) -> str:
    """What a cursor is for: this search by this searcher. A cursor carries the
    first page's counts and a place in its results; taken to another search, or
    by another person (a shared link), it would show them those of the first."""
    who = f"a{agent.pk}" if agent else f"c{customer.pk}" if customer else "channel"
    try:
        narrowed = str(within.query) if within is not None else ""
    except EmptyResultSet:  # a list that can hold nothing: no text to print
        narrowed = "none"
    chosen = "&".join(f"{k}={v}" for k, v in sorted(filters.items()))
    key = "\x1f".join((" ".join(typed.split()), who, narrowed, chosen))
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def make_cursor(position: dict[str, Any]) -> str:
    return signing.dumps(position, salt=_CURSOR_SALT, compress=False)


def read_cursor(raw: str, order: str, kinds: tuple[str, ...], bound: str) -> dict[str, Any]:
    """The position of a cursor made for this order, one of these kinds of search
    (by number, by text, by filters) and this search by this searcher (`_bound`);
    another search's cursor is refused, not misread."""
    try:
        position = signing.loads(raw[:500], salt=_CURSOR_SALT)
    except signing.BadSignature:
        position = None
    if (
        not isinstance(position, dict)
        or position.get("o") != order
        or position.get("t") not in kinds
        or position.get("h") != bound
    ):
        raise BadSearch(
            _("This page link is not valid any more: start the search again."), "cursor"
        )
    return position
