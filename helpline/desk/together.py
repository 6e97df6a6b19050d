"""Agents on one ticket together: the reply or note each is writing, saved as they
type (a draft survives a reload and another device, and goes once sent); who else
has the ticket open and who is typing; and what changed since a page was opened,
shown before the agent sends (helpline.desk.views.together).

The ticket page says it is open every POLL_SECONDS; an agent whose page has not
said so for PRESENCE_SECONDS has left. Each is one small upsert, outside the
ticket's own rows, so no ticket is locked or versioned by it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.desk import on_it
from helpline.desk.models import Draft, DraftKind, OnIt, Presence
from helpline.tickets.lifecycle import changed_by_others
from helpline.tickets.models import Entry, EntryKind, Event, Ticket

POLL_SECONDS = 5
PRESENCE_SECONDS = 30
# A poll writes "still here" only when the last write is older than this.
SEEN_WRITE_SECONDS = 15
# A draft saved this recently means its writer is typing.
TYPING_SECONDS = 15
# A draft longer than this is refused (a reply is cut at lib.html.MAX_BODY_CHARS).
MAX_DRAFT_CHARS = 100_000
# The changes listed before sending; more are "and N more".
CHANGES_SHOWN = 5
# Tidied away by the worker (`desk.tidy`): presence long gone, drafts left behind
# (and ended "I'm on it" markers, helpline.desk.on_it).
PRESENCE_KEPT = timedelta(hours=1)
DRAFTS_KEPT = timedelta(days=30)


def page_time(raw: str) -> datetime | None:
    """When a page was opened, as it says it (seconds since the epoch, from the
    ticket page's forms and polls); None for anything else (not a number, before
    1970, past 2242): nothing to compare, never an error."""
    try:
        stamp = float(raw)
    except ValueError:
        return None
    if not 0 < stamp < 2**33:  # NaN fails this too
        return None
    return datetime.fromtimestamp(stamp, tz=UTC)


def drafts_of(agent: Agent, ticket: Ticket) -> dict[str, Draft]:
    return {d.kind: d for d in Draft.objects.filter(agent=agent, ticket=ticket)}


def save_draft(
    agent: Agent,
    ticket: Ticket,
    kind: DraftKind,
    body: str,
    opened: datetime | None = None,
    canned_files: list[int] | None = None,
) -> Draft | None:
    """Keep `body` as the agent's draft of this kind (none when it is blank), and
    say the agent is typing it, in one short transaction (two tabs saving at once
    both land, the later text wins). A save still on its way when the agent sent
    one of that kind after `opened` (their page's time) keeps nothing: the sent
    text must not come back as a draft."""
    now = timezone.now()
    if opened is not None and _sent_since(agent, ticket, kind, opened):
        return None
    with transaction.atomic():
        _present(agent, ticket, now, typing=kind)
        on_it.worked(agent, ticket)  # typing is work on it
        if not body.strip():
            discard_draft(agent, ticket, kind)
            return None
        draft = Draft(
            agent=agent,
            ticket=ticket,
            kind=kind,
            body=body,
            canned_files=canned_files or [],
            updated_at=now,
        )
        Draft.objects.bulk_create(
            [draft],
            update_conflicts=True,
            unique_fields=["ticket", "agent", "kind"],
            update_fields=["body", "canned_files", "updated_at"],
        )
    return draft


def _sent_since(agent: Agent, ticket: Ticket, kind: str, since: datetime) -> bool:
    entry_kind = EntryKind.REPLY if kind == DraftKind.REPLY else EntryKind.NOTE
    return Entry.objects.filter(
        ticket=ticket, agent=agent, kind=entry_kind, created_at__gt=since
    ).exists()


def discard_draft(agent: Agent, ticket: Ticket, kind: str) -> None:
    """The draft is sent (or emptied): gone, and its writer no longer typing."""
    Draft.objects.filter(agent=agent, ticket=ticket, kind=kind).delete()
    Presence.objects.filter(agent=agent, ticket=ticket, typing=kind).update(
        typing="", typing_at=None
    )


def seen(agent: Agent, ticket: Ticket) -> None:
    """The agent has the ticket's page open now. Written at most every
    SEEN_WRITE_SECONDS: a read is cheaper than SQLite's one writer."""
    now = timezone.now()
    fresh = Presence.objects.filter(
        ticket=ticket, agent=agent, seen_at__gte=now - timedelta(seconds=SEEN_WRITE_SECONDS)
    )
    if not fresh.exists():
        _present(agent, ticket, now)


def _present(agent: Agent, ticket: Ticket, now: datetime, typing: str = "") -> None:
    row = Presence(agent=agent, ticket=ticket, seen_at=now, typing=typing, typing_at=now)
    fields = ["seen_at", "typing", "typing_at"] if typing else ["seen_at"]
    Presence.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["ticket", "agent"], update_fields=fields
    )


def others(agent: Agent, ticket: Ticket) -> list[tuple[Agent, str]]:
    """The other agents with the ticket open now, and what each is typing ("reply",
    "note" or "")."""
    now = timezone.now()
    rows = (
        Presence.objects.filter(
            ticket=ticket, seen_at__gte=now - timedelta(seconds=PRESENCE_SECONDS)
        )
        .exclude(agent=agent)
        .select_related("agent__user")
    )
    typing_since = now - timedelta(seconds=TYPING_SECONDS)
    present = [
        (row.agent, row.typing if row.typing_at and row.typing_at >= typing_since else "")
        for row in rows
    ]
    return sorted(present, key=lambda pair: (pair[0].name.casefold(), pair[0].pk))


def changes_since(ticket: Ticket, since: datetime, agent: Agent) -> tuple[list[Event], int]:
    """What other people (agents, the customer) did to the ticket after `since`
    (the page was opened), oldest first, at most CHANGES_SHOWN; and how many."""
    # People's changes only: the clock's (overdue, escalated) hold back no reply.
    changes = changed_by_others(ticket, since, agent)
    shown = list(changes.order_by("created_at", "id")[: CHANGES_SHOWN + 1])
    if len(shown) <= CHANGES_SHOWN:
        return shown, len(shown)
    return shown[:CHANGES_SHOWN], changes.count()


def _stale() -> tuple[QuerySet[Presence], QuerySet[Draft], QuerySet[OnIt]]:
    """Presence long gone, drafts left for a month, and "I'm on it" markers that
    ended by themselves (helpline.desk.on_it)."""
    now = timezone.now()
    return (
        Presence.objects.filter(seen_at__lt=now - PRESENCE_KEPT),
        Draft.objects.filter(updated_at__lt=now - DRAFTS_KEPT),
        on_it.stale(),
    )


def tidy() -> int:
    """Drop what is stale; how many rows."""
    return sum(rows.delete()[0] for rows in _stale())


def has_stale() -> bool:
    """Whether `tidy` has anything to drop (the scheduler asks before it queues
    `desk.tidy`): two index reads, and one of the few markers."""
    return any(rows.exists() for rows in _stale())
