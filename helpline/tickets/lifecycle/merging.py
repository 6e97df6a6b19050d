"""Merging a duplicate into the ticket that stays, and undoing it.

`merge(ticket, into=survivor)` moves the whole thread of `ticket` into the
survivor and closes `ticket`:

- The entries move with their attachments and held mails; nothing is copied or
  rewritten, so each keeps its author, its time and its origin (`source`), and the
  survivor's thread reads in time order because threads are read in time order.
  Each moved entry records the ticket it came from (`Entry.merged_from`), so an
  undo moves back exactly those, and the desk can say "from #123456".
- The merged ticket's customer and its collaborators join the survivor as
  collaborators (those not on it already: the survivor's event lists them, and an
  undo takes away exactly those).
- The merged ticket goes to the status with the "closing" purpose (state closed)
  with `merged_into` set. Why closed, and no state of its own: every queue, counter
  and report already knows closed tickets as "not open" (the counters move it out
  of the open buckets in the same transaction), and nothing branches on a new
  state. What makes it merged is `merged_into`: it is read-only
  (`core.refuse_archived` refuses changes and names the survivor), what is written
  to it lands on the survivor (`lock_receiving`: a customer's reply by mail, a
  system note), and its number finds the survivor in the desk, on the portal and
  through the API. It is not counted as closed by the reports: its event is
  MERGED, not CLOSED; the event's `status` field takes it out of the backlog.
- Both tickets get an event (MERGED and MERGED_IN) with the other's number, the
  number of entries moved, and what the undo restores.

Who may: an agent who may close the merged ticket and edit the survivor; if the
two are in different departments, an agent with access to both (administrators
always). A ticket that is merged, archived, or has something that forbids closing
it (`hooks.refuse_closing`, e.g. open tasks) is refused, and so is a survivor that
is merged or archived.

Undo (`unmerge`) is possible until either ticket changes after the merge: then the
refusal names the first such change. The clock's own marks (overdue) do not count.

Locking: both tickets are locked in id order (`lock_pair`), the lower first, so a
merge and an undo, or two merges crossing, wait for each other instead of each
holding one ticket and waiting for the other (a deadlock on PostgreSQL). Costs: a
handful of statements whatever the thread's length (the entries, attachments and
held mails move with one UPDATE each); both tickets are marked for the search
index by their events.

Chains: a survivor may later be merged itself; `survivor_of` follows `merged_into`
to the end (at most MAX_CHAIN steps). Undoing the earlier merge is then refused
(its survivor changed), as it should: undo the later one first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from helpline.accounts.models import Agent
from helpline.tickets.lifecycle.core import (
    Actor,
    Change,
    NotAllowed,
    Refused,
    lock_ticket,
    refuse_archived,
    require_agent,
    status_for,
)
from helpline.tickets.lifecycle.hooks import refuse_closing
from helpline.tickets.models import (
    Attachment,
    Collaborator,
    Entry,
    Event,
    EventKind,
    HeldReply,
    State,
    Status,
    StatusPurpose,
    Ticket,
)
from helpline.tickets.permissions import TicketAction, can_in_department

# The most merges followed from a number to its survivor.
MAX_CHAIN = 20
# Changes after a merge that still let it be undone: the clock's marks, made by
# nobody (no agent, no customer), which move nothing into or out of either ticket.
QUIET = frozenset({EventKind.OVERDUE})


# --- finding the survivor ----------------------------------------------------------------


def survivor_of(ticket: Ticket) -> Ticket:
    """The ticket that took `ticket` in: itself unless it is merged, else the end of
    the chain of merges. No query for a ticket that is not merged."""
    for _hop in range(MAX_CHAIN):
        if ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.select_related("status", "department", "customer").get(
            pk=ticket.merged_into_id
        )
    return ticket


def lock_receiving(ticket: Ticket) -> Ticket:
    """Lock the ticket that receives what is written to `ticket` (a message, a note,
    a held mail): itself, or its survivor when it is merged. Use it in place of
    `lock_ticket(ticket, None)` in functions that add to a thread.

    The survivor is looked up before locking, so only the survivor is locked; if a
    merge committed between the look and the lock (the ticket turns out merged
    under its lock), the survivor is locked after it, which a concurrent undo of
    that same merge, locking the other way round, could deadlock with on
    PostgreSQL (one of the two then fails and is retried by its channel)."""
    for _hop in range(MAX_CHAIN):
        ticket = lock_ticket(survivor_of(ticket), None)
        if ticket.merged_into_id is None:
            break
    return ticket


def lock_pair(
    first: Ticket, second: Ticket, expected_version: int | None = None
) -> tuple[Ticket, Ticket]:
    """Both tickets read again under their row locks, the lower id locked first (see
    the module docstring); `expected_version` is checked on `first`."""
    if first.pk < second.pk:
        a = lock_ticket(first, expected_version)
        return a, lock_ticket(second, None)
    b = lock_ticket(second, None)
    return lock_ticket(first, expected_version), b


# --- merging -------------------------------------------------------------------------------


def _may_merge(actor: Actor, merged: Ticket, survivor: Ticket) -> Agent:
    """An agent who may close the one and edit the other; across departments, only
    with access to both (a merge moves the thread into the other department)."""
    agent = require_agent(actor, TicketAction.CLOSE, merged)
    require_agent(actor, TicketAction.EDIT, survivor)
    if merged.department_id != survivor.department_id and not agent.is_admin:
        for department in (merged.department, survivor.department):
            if not can_in_department(agent, TicketAction.VIEW, department.pk):
                raise NotAllowed(
                    _(
                        "You can merge tickets only between departments you work in; "
                        "you have no access to %(department)s."
                    )
                    % {"department": department.name}
                )
    return agent


def _refuse_merging(merged: Ticket, survivor: Ticket) -> None:
    refuse_archived(merged)  # archived, or merged already (it names where)
    if survivor.merged_into_id is not None:
        into = survivor_of(survivor)
        raise Refused(
            _("#%(number)s was itself merged into #%(into)s: merge into #%(into)s instead.")
            % {"number": survivor.number, "into": into.number}
        )
    if survivor.state == State.ARCHIVED:
        raise Refused(
            _("#%(number)s is archived: nothing can be merged into it.")
            % {"number": survivor.number}
        )
    refuse_closing(merged)  # the registered guards (hooks): e.g. its open tasks


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _move_thread(source: Ticket, target: Ticket) -> int:
    """Every entry of `source` to `target`, with its files and held mails; the
    number of entries moved."""
    Attachment.objects.filter(entry__ticket=source).update(ticket=target)
    HeldReply.objects.filter(note__ticket=source).update(ticket=target)
    return Entry.objects.filter(ticket=source).update(ticket=target, merged_from=source)


def _join_people(merged: Ticket, survivor: Ticket) -> list[int]:
    """The merged ticket's customer and collaborators follow the survivor; the ids
    of those added (not on it already), for the undo."""
    followers = Collaborator.objects.filter(ticket=survivor)
    present = set(followers.values_list("customer_id", flat=True))
    present.add(survivor.customer_id)
    theirs = Collaborator.objects.filter(ticket=merged).order_by("added_at", "id")
    wanted = [merged.customer_id, *theirs.values_list("customer_id", flat=True)]
    joined = [pk for pk in dict.fromkeys(wanted) if pk not in present]
    Collaborator.objects.bulk_create(Collaborator(ticket=survivor, customer_id=pk) for pk in joined)
    return joined


def merge(
    ticket: Ticket, *, into: Ticket, actor: Actor, expected_version: int | None = None
) -> Ticket:
    """Merge `ticket` into `into` (see the module docstring); returns the survivor.
    `expected_version` is the merged ticket's version the agent was looking at."""
    if ticket.pk == into.pk:
        raise Refused(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        merged, survivor = lock_pair(ticket, into, expected_version)
        _may_merge(actor, merged, survivor)
        _refuse_merging(merged, survivor)
        closed = status_for(StatusPurpose.CLOSED)
        change = Change(merged, actor)
        kept = Change(survivor, actor, change.now)
        moved = _move_thread(merged, survivor)
        joined = _join_people(merged, survivor)
        change.event(
            EventKind.MERGED,
            field="status",
            old=merged.status,
            new=closed,
            data={
                "old": merged.status_id,
                "new": closed.pk,
                "ticket": survivor.pk,
                "number": survivor.number,
                "entries": moved,
                # What the undo restores.
                "before": {
                    "status": merged.status_id,
                    "closed_at": _when(merged.closed_at),
                    "is_overdue": merged.is_overdue,
                    "sla_alarm_at": _when(merged.sla_alarm_at),
                },
            },
        )
        kept.event(
            EventKind.MERGED_IN,
            field="merged",
            new=f"#{merged.number}",
            data={
                "ticket": merged.pk,
                "number": merged.number,
                "entries": moved,
                "joined": joined,
                "before": {
                    "last_message_at": _when(survivor.last_message_at),
                    "last_response_at": _when(survivor.last_response_at),
                },
            },
        )
        change.set(
            status=closed,
            state=closed.state,
            closed_at=change.now,
            is_overdue=False,
            sla_alarm_at=None,
            merged_into=survivor,
        )
        kept.set(
            last_message_at=_latest(survivor.last_message_at, merged.last_message_at),
            last_response_at=_latest(survivor.last_response_at, merged.last_response_at),
        )
        change.save()
        return kept.save()


# --- undoing -------------------------------------------------------------------------------


def _merge_events(merged: Ticket) -> tuple[Event, Event] | None:
    """The MERGED event of the ticket's current merge and the survivor's MERGED_IN
    written with it; None if they cannot be found."""
    mine = (
        Event.objects.filter(ticket=merged, kind=EventKind.MERGED)
        .order_by("-created_at", "-pk")
        .first()
    )
    into = merged.merged_into_id
    if mine is None or into is None or mine.data.get("ticket") != into:
        return None
    theirs = (
        Event.objects.filter(ticket_id=into, kind=EventKind.MERGED_IN, pk__gt=mine.pk)
        .order_by("pk")
        .first()
    )
    if theirs is None or theirs.data.get("ticket") != merged.pk:
        return None
    return mine, theirs


def _later(merged: Ticket, events: tuple[Event, Event]) -> Event | None:
    """The first change to either ticket after the merge that is not QUIET."""
    mine, theirs = events
    quiet = Q(kind__in=QUIET, agent__isnull=True, customer__isnull=True)
    return (
        Event.objects.filter(Q(ticket=merged) | Q(ticket_id=merged.merged_into_id))
        .filter(pk__gt=mine.pk)
        .exclude(pk=theirs.pk)
        .exclude(quiet)
        .order_by("pk")
        .first()
    )


def undo_blocker(merged: Ticket) -> str | None:
    """Why the merge of `merged` cannot be undone, in words; None while it can."""
    if merged.merged_into_id is None:
        return _("This ticket is not merged into another.")
    events = _merge_events(merged)
    if events is None:
        return _("This merge left no record to undo it by.")
    later = _later(merged, events)
    return _blocked(later, merged) if later is not None else None


def _blocked(later: Event, merged: Ticket) -> str:
    who = later.actor_name
    if later.agent_id is None and later.customer_id is None and who == "System":
        who = _("System")
    on = merged.number if later.ticket_id == merged.pk else later.ticket.number
    return _(
        "The merge can no longer be undone: #%(number)s changed after it "
        "(%(change)s, by %(who)s, %(when)s)."
    ) % {
        "number": on,
        "change": later.get_kind_display(),
        "who": who,
        "when": date_format(timezone.localtime(later.created_at), "SHORT_DATETIME_FORMAT"),
    }


def unmerge(ticket: Ticket, *, actor: Actor) -> Ticket:
    """Undo the merge of `ticket` (the merged one): its entries, files and held mails
    go back, the people it brought leave the survivor, and it gets back its status
    and clock as they were. Returns it. Refused, with the change that prevents it,
    once either ticket changed after the merge."""
    into = Ticket.objects.filter(pk=ticket.pk).values_list("merged_into_id", flat=True).first()
    if into is None:
        raise Refused(_("This ticket is not merged into another."))
    with transaction.atomic():
        merged, survivor = lock_pair(ticket, Ticket(pk=into))
        if merged.merged_into_id != survivor.pk:  # undone or merged elsewhere meanwhile
            raise Refused(_("This ticket is not merged into another."))
        _may_merge(actor, merged, survivor)
        events = _merge_events(merged)
        if events is None:
            raise Refused(_("This merge left no record to undo it by."))
        if (later := _later(merged, events)) is not None:
            raise Refused(_blocked(later, merged))
        mine, theirs = events
        Attachment.objects.filter(entry__ticket=survivor, entry__merged_from=merged).update(
            ticket=merged
        )
        HeldReply.objects.filter(note__ticket=survivor, note__merged_from=merged).update(
            ticket=merged
        )
        moved = Entry.objects.filter(ticket=survivor, merged_from=merged).update(
            ticket=merged, merged_from=None
        )
        Collaborator.objects.filter(
            ticket=survivor, customer_id__in=list(theirs.data.get("joined") or [])
        ).delete()
        before: dict[str, Any] = mine.data.get("before") or {}
        status = Status.objects.filter(pk=int(before.get("status") or 0)).first() or status_for(
            StatusPurpose.NEW
        )
        change = Change(merged, actor)
        kept = Change(survivor, actor, change.now)
        change.event(
            EventKind.UNMERGED,
            field="status",
            old=merged.status,
            new=status,
            data={
                "old": merged.status_id,
                "new": status.pk,
                "ticket": survivor.pk,
                "number": survivor.number,
                "entries": moved,
            },
        )
        kept.event(
            EventKind.UNMERGED,
            field="merged",
            old=f"#{merged.number}",
            data={"ticket": merged.pk, "number": merged.number, "entries": moved},
        )
        change.set(
            status=status,
            state=status.state,
            closed_at=_moment(before.get("closed_at")),
            is_overdue=bool(before.get("is_overdue")),
            sla_alarm_at=_moment(before.get("sla_alarm_at")),
            merged_into=None,
        )
        restored: dict[str, Any] = theirs.data.get("before") or {}
        kept.set(
            last_message_at=_moment(restored.get("last_message_at")),
            last_response_at=_moment(restored.get("last_response_at")),
        )
        kept.save()
        return change.save()
