"""The generator's main loop: the world, then stories in batches, then the derived
tables. See the package docstring for the design."""

from __future__ import annotations

import bisect
import multiprocessing
import random
import sys
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from queue import Empty
from typing import Any, Protocol, cast

from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import Length
from django.utils.translation import gettext as _
from tqdm import tqdm

from helpline.accounts.models import Agent, Customer, Organization, Role
from helpline.sla.models import ClockPause, EscalationFired, EscalationLevel
from helpline.tickets.generate.numbers import NumberSource
from helpline.tickets.generate.story import Story
from helpline.tickets.generate.world import World, build_world
from helpline.tickets.generate.writer import Table, analyze, reset_sequences
from helpline.tickets.models import (
    Attachment,
    Entry,
    Event,
    IssuedNumber,
    QueueCount,
    Rating,
    Ticket,
)

MAX_TICKETS = 10_000_000
BATCH = 2000  # tickets per transaction: about 30,000 rows
DAYS = 365

Bucket = tuple[int, int, int, str, bool]
# One batch: each table's rows, and each feed's payload.
Batch = tuple[list[list[list[Any]]], list[object]]


class GenerateError(Exception):
    """The generator was asked for something it refuses; the message says why."""


@dataclass
class Summary:
    tickets: int
    rows: dict[str, int]
    seconds: float


class Feed(Protocol):
    """A table derived from the events that the generator keeps as it writes them
    (the reports' daily rollups), since it writes behind the lifecycle's back.
    `replay` gets each batch's events as the stories built them (dicts of Event
    attribute names, the values unadapted; every event of a ticket is in the same
    batch) where the stories are told: in a child process that must not touch
    the database. It returns what `write` then writes, in the batch's
    transaction; a payload crosses a process boundary, so it pickles."""

    def replay(self, events: list[dict[str, Any]]) -> object: ...

    def write(self, payload: object) -> None: ...


# Apps above `tickets` add their feeds from their AppConfig.ready() (an import
# from here would point up the layers). A factory each: it is called once per
# run, before the stories start (it may read the database then).
FEEDS: list[Callable[[], Feed]] = []


def register_feed(factory: Callable[[], Feed]) -> None:
    if factory not in FEEDS:
        FEEDS.append(factory)


class Desk:
    """What every story shares: the random stream, the present, the world, the
    tables being filled and the queue counters' tally."""

    def __init__(self, rng: random.Random, now: datetime, world: World) -> None:
        self.rng = rng
        self.now = now
        self.world = world
        self.tickets = Table(Ticket)
        self.entries = Table(Entry)
        self.attachments = Table(Attachment, with_id=False)
        self.events = Table(Event)
        self.ratings = Table(Rating)
        self.pauses = Table(ClockPause, with_id=False)
        self.fired = Table(EscalationFired, with_id=False)
        self.issued = Table(IssuedNumber, with_id=False)
        # The order rows are written in: every row after the rows it refers to.
        self.tables = [
            self.tickets,
            self.issued,
            self.entries,
            self.attachments,
            self.events,
            self.ratings,
            self.pauses,
            self.fired,
        ]
        widths = (
            IssuedNumber.objects.annotate(width=Length("number"))
            .values("width")
            .annotate(n=Count("pk"))
            .order_by()
        )
        used = {row["width"]: row["n"] for row in widths}
        self.checks_numbers = bool(used)
        self.numbers = NumberSource(rng.randrange(1 << 30), used)
        self.tally: Counter[Bucket] = Counter()
        self.feeds = [factory() for factory in FEEDS]
        self.told: list[dict[str, Any]] = []  # the batch's events, for the feeds
        admins = Agent.objects.filter(role=Role.ADMIN).select_related("user").order_by("pk")
        self.admins = [(a.pk, a.name) for a in admins]
        self.level_agents = {
            level.pk: [a.pk for a in level.notify_agents.order_by("pk")]
            for level in EscalationLevel.objects.all()
        }

    def count(self, bucket: Bucket) -> None:
        self.tally[bucket] += 1

    def add_event(self, row: dict[str, Any]) -> None:
        self.events.add(**row)
        if self.feeds:
            self.told.append(row)

    def take_batch(self) -> Batch:
        """The rows of the stories told since the last batch, table by table, and
        what each feed made of their events."""
        rows = [table.rows for table in self.tables]
        for table in self.tables:
            table.rows = []
        payloads = [feed.replay(self.told) for feed in self.feeds]
        self.told = []
        return rows, payloads

    def write(self, batch: Batch) -> None:
        """Write one batch in one transaction. Numbers are drawn here, in ticket
        order, so the stories (which may run in another process) never need one."""
        tables, payloads = batch
        number = self.tickets.names.index("number")
        for table, rows in zip(self.tables, tables, strict=True):
            table.rows = rows
        for row in self.tickets.rows:
            row[number] = self.numbers.next()
        if self.checks_numbers:
            self._redraw_taken(number)
        for row in self.tickets.rows:
            self.issued.add(number=row[number])
        with transaction.atomic():
            for table in self.tables:
                table.flush()
            for feed, payload in zip(self.feeds, payloads, strict=True):
                feed.write(payload)

    def _redraw_taken(self, column: int) -> None:
        """With --append: a drawn number that exists already is drawn again."""
        rows = self.tickets.rows
        while True:
            drawn = {row[column] for row in rows}
            taken = set(
                IssuedNumber.objects.filter(number__in=drawn).values_list("number", flat=True)
            )
            if not taken:
                return
            for row in rows:
                if row[column] in taken:
                    row[column] = self.numbers.next()


def creation_times(rng: random.Random, count: int, now: datetime) -> Iterator[datetime]:
    """`count` moments over the last year, in order: more on weekdays and in office
    hours (UTC), growing a third over the year, as a desk's mail does. Streamed:
    the i-th is drawn from the cumulative weight of the year's hours."""
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    hours = DAYS * 24
    cumulative = []
    total = 0.0
    for h in range(hours):
        moment = start + timedelta(hours=h)
        weekday = 1.0 if moment.weekday() < 5 else 0.3
        daytime = 1.0 if 7 <= moment.hour < 18 else 0.25
        total += weekday * daytime * (1 + h / hours / 3)
        cumulative.append(total)
    latest = now - timedelta(minutes=1)
    for i in range(count):
        target = (i + rng.random()) / count * total
        h = min(bisect.bisect_left(cumulative, target), hours - 1)
        below = cumulative[h - 1] if h else 0.0
        share = (target - below) / (cumulative[h] - below)
        yield min(start + timedelta(hours=h + share), latest)


def refuse(tickets: int, append: bool) -> None:
    if not 1 <= tickets <= MAX_TICKETS:
        raise GenerateError(
            _("--tickets must be between 1 and %(max)s; it was %(n)s.")
            % {"max": f"{MAX_TICKETS:,}", "n": f"{tickets:,}"}
        )
    refuse_reassigning_levels()
    if not append and Ticket.objects.exists():
        raise GenerateError(
            _(
                "The database holds tickets already; nothing was generated. Use an empty "
                "database, or add --append to add the generated history to what is there."
            )
        )


def refuse_reassigning_levels() -> None:
    """The stories fire escalation levels that alert and raise the priority; one
    that assigns or transfers would need the assignment rules replayed, which the
    generator does not do. Refused before anything is written, naming the level."""
    from django.db.models import Q

    from helpline.sla.models import EscalationLevel

    level = (
        EscalationLevel.objects.filter(policy__plans__isnull=False)
        .filter(
            Q(transfer_to__isnull=False)
            | Q(assign_team__isnull=False)
            | Q(assign_agent__isnull=False)
        )
        .select_related("policy")
        .first()
    )
    if level is not None:
        raise GenerateError(
            _(
                "The escalation policy “%(policy)s” has a level that assigns or transfers "
                "tickets (%(level)s); generated history only has levels that alert and raise "
                "the priority. Remove the assignment and transfer from that level, or take the "
                "policy off its SLA plans, while generating; nothing was written."
            )
            % {"policy": level.policy, "level": level}
        )


def generate(
    tickets: int,
    *,
    seed: int = 1,
    now: datetime,
    append: bool = False,
    progress: bool = False,
    parallel: bool = True,
) -> Summary:
    """Fill the database with `tickets` tickets of history over the year before
    `now` (see the package docstring). `parallel`: the stories are told in a child
    process while this one writes (same rows either way)."""
    import time

    began = time.monotonic()
    refuse(tickets, append)
    rng = random.Random(seed)  # noqa: S311 - test data, reproducible on purpose
    # Names of generated customers and organizations carry the tag: a run after one
    # that failed part way (its world written, its tickets not) gets a new tag
    # from the customers it left, so --append never collides with them.
    tag = f"s{seed}n{Ticket.objects.count()}c{Customer.objects.count()}"
    _tune_sqlite()
    world = build_world(rng, tickets, tag, now)
    desk = Desk(rng, now, world)
    times = creation_times(rng, tickets, now)
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        tally = _tell_in_a_child(desk, times, tickets, progress)
    else:
        with _bar(tickets, progress) as bar:
            for batch, size in _tell(desk, times, tickets):
                desk.write(batch)
                bar.update(size)
        tally = desk.tally
    add_queue_counts(tally)
    # Every table whose ids the generator handed out (the world's customers and
    # organizations too): else PostgreSQL's next row takes an id already used.
    reset_sequences([Ticket, Entry, Event, Rating, Customer, Organization])
    analyze()
    rows = {t.model._meta.label: t.written for t in desk.tables}
    return Summary(tickets, rows, time.monotonic() - began)


def _tell(desk: Desk, times: Iterator[datetime], tickets: int) -> Iterator[tuple[Batch, int]]:
    done = 0
    while done < tickets:
        size = min(BATCH, tickets - done)
        for _i in range(size):
            Story(desk, next(times)).tell()
        yield desk.take_batch(), size
        done += size


def _child(desk: Desk, times: Iterator[datetime], tickets: int, queue: Any) -> None:
    """The story teller's process: batches of rows out, then the counters' tally.
    It never touches the database (everything it reads was loaded before the fork)."""
    try:
        for batch, size in _tell(desk, times, tickets):
            queue.put(("rows", batch, size))
        queue.put(("done", desk.tally, 0))
    except BaseException:
        queue.put(("error", traceback.format_exc(), 0))


def _bar(tickets: int, progress: bool) -> tqdm[Any]:
    return tqdm(
        total=tickets, unit=" tickets", disable=not progress, file=sys.stderr, smoothing=0.05
    )


def _tell_in_a_child(
    desk: Desk, times: Iterator[datetime], tickets: int, progress: bool
) -> Counter[Bucket]:
    """Stories in a forked child, writing here: on two cores the Python that tells
    the stories and the database's inserts overlap (a million tickets: about half
    the time of one process). Two batches wait at most, so memory stays bounded."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    child = context.Process(target=_child, args=(desk, times, tickets, queue), daemon=True)
    with warnings.catch_warnings():
        # Python warns when a process with threads forks (a lock another thread
        # holds stays locked in the child). The child takes no such lock: it
        # computes, and talks only through its queue; the progress bar's thread
        # starts after the fork.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    bar = _bar(tickets, progress)
    try:
        while True:
            try:
                kind, payload, size = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError("the story-telling process ended without a word") from None
                continue
            if kind == "error":
                raise RuntimeError(f"telling the stories failed:\n{payload}")
            if kind == "done":
                return cast(Counter[Bucket], payload)
            desk.write(payload)
            bar.update(size)
    finally:
        bar.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def add_queue_counts(tally: Counter[Bucket]) -> None:
    """The queue counters, from the tally the stories kept (added to what is
    there, for --append)."""
    with transaction.atomic():
        for (department, assignee, team, state, overdue), n in sorted(tally.items()):
            row, _made = QueueCount.objects.get_or_create(
                department_id=department,
                assignee_key=assignee,
                team_key=team,
                state=state,
                is_overdue=overdue,
            )
            QueueCount.objects.filter(pk=row.pk).update(count=F("count") + n)


def _tune_sqlite() -> None:
    """A larger page cache for the index inserts (bounded: 128 MB)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -131072")
