"""Queuing mail for what just happened to a ticket, and deciding who hears about it.

`queue_mail` receives the lifecycle's `events_recorded` signal, inside the
transaction that made the change, and does as little as it can there: one INSERT
of a `MailBatch` row (the events' ids and the ticket's state as the change left
it), and one fan-out task queued on commit. A change that rolls back takes its
batch with it; a change that commits always has its mail to come, even if the
worker is down or the task is lost (the sweep, `fanout.fan_out_due`, finds it).

The worker fans the batch out (`helpline.notify.fanout`): the `Planner` below
decides the recipients, `compose` renders and threads each mail, with no
transaction open; then one short transaction claims the batch and writes the
`OutboundMessage` rows, sent over one SMTP connection (`sending.deliver_many`).
Measured (issue 11): 41 statements per ticket opened through the API before,
with 7 mails rendered inside the write transaction; see docs/decisions.md,
"Notification fan-out in the worker".

Who hears about what:

- created: the customer gets the autoresponse, unless the request, the department
  or the help topic turned it off, or the address is one of ours; the agents with
  access to the department and its manager (active, not on vacation) get an alert.
- assigned: the new assignee (unless they took it themselves); a team, when the
  ticket has no assignee, alerts its members.
- transferred: the new department's agents and manager.
- replied, resolved: the customer, and each collaborator in a mail of their own.
- reopened: the assignee; else the team's members; else the department's agents.
- overdue (a target missed): the same people as for a reopen, and the
  department's manager.
- escalated: what the level says: those responsible (as above), the manager,
  and the agents it names.
- no agent available for automatic assignment: the department's manager.

Each agent gets a mail of their own; the actor never alerts themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from helpline.accounts.language import page_language, person_language
from helpline.accounts.models import Agent, Customer, Department, Team, available
from helpline.lib.html import html_to_text, text_to_html
from helpline.lib.remote_images import block_remote_images
from helpline.notify.addresses import is_own_address, own_addresses
from helpline.notify.compose import PlannedMail, address
from helpline.notify.models import MailBatch, MailKind
from helpline.notify.rendering import lazy_reply_marker
from helpline.tickets.defaults import lazy_display_name
from helpline.tickets.links import rating_links, ticket_path
from helpline.tickets.models import Collaborator, Entry, Event, EventKind, Ticket
from helpline.tickets.reasons import lazy_reason

# Alert mails to agents quote the message, one copy per agent: up to this much of
# its text (cut at a line or word), with a link to the whole on the ticket. The
# stored body may be 256 KB (lib.html.MAX_BODY_CHARS); ten agents got ten copies.
ALERT_EXCERPT_CHARS = 16_000
# A message whose text fits but whose HTML is longer than this (markup around
# little text) is quoted as its text too: the HTML is copied into every alert.
ALERT_HTML_CHARS = 64 * 1024


# The kinds of event that may mail somebody (Planner.plan); a change with none of
# them (a routing note, a rating, a field edit) writes no batch at all.
MAIL_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.TRANSFERRED,
        EventKind.REPLIED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.OVERDUE,
        EventKind.ESCALATED,
        EventKind.UNASSIGNABLE,
    }
)
# The ticket's fields the planner branches on or quotes, kept in the batch as the
# change left them: the fan-out reads the ticket later, when it may have been
# assigned, transferred or answered since (see fanout.load_batch).
TICKET_STATE = (
    "subject",
    "customer_id",
    "department_id",
    "topic_id",
    "priority_id",
    "status_id",
    "assignee_id",
    "team_id",
    "due_at",
)


def ticket_state(ticket: Ticket) -> dict[str, Any]:
    state = {name: getattr(ticket, name) for name in TICKET_STATE}
    due = state["due_at"]
    state["due_at"] = due.isoformat() if due is not None else None
    return state


def queue_mail(sender: object, events: Sequence[Event], **kwargs: Any) -> None:
    """The `events_recorded` receiver, inside the change's transaction: remember
    the page's language for the customer (request state, read here), then record
    that the change owes mail: one MailBatch row, fanned out by the worker once the
    transaction commits (`helpline.notify.fanout`). Nothing is planned or rendered
    here: that is CPU and a dozen reads the write transaction need not wait for."""
    by_ticket: dict[int, list[Event]] = {}
    for event in events:
        _remember_language(event)
        by_ticket.setdefault(event.ticket_id, []).append(event)
    now = timezone.now()
    for batch_events in by_ticket.values():
        if not any(e.kind in MAIL_KINDS for e in batch_events):
            continue
        ticket = batch_events[0].ticket
        batch = MailBatch.objects.create(
            ticket=ticket,
            events=[e.pk for e in batch_events],
            state=ticket_state(ticket),
            created_at=now,
            next_attempt_at=now,
        )
        # Robust: if queuing the task fails, the change still stands and its batch
        # is still pending, where the sweep (fan_out_due) will find it.
        transaction.on_commit(partial(enqueue_fan_out, batch.pk), robust=True)


def enqueue_fan_out(batch_id: int) -> None:
    from helpline.notify.tasks import fan_out_mail

    fan_out_mail.enqueue(batch_id)


def enqueue(ids: Sequence[int]) -> None:
    """Ask the worker to send these outbox rows: one task, one SMTP connection."""
    from helpline.notify.tasks import send_outbound_batch

    if ids:
        send_outbound_batch.enqueue(list(ids))


# --- who hears about what ---------------------------------------------------------


def _reachable(agents: Any) -> list[Agent]:
    """Agents who can be alerted: active, not away or on vacation, with an address."""
    return list(
        agents.filter(available(), user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .distinct()
    )


def _department_agents(department_id: int, actor_id: int | None) -> list[Agent]:
    agents = Agent.objects.filter(
        Q(access__department_id=department_id) | Q(managed_departments__id=department_id)
    )
    return _reachable(agents.exclude(pk=actor_id) if actor_id else agents)


def _team_members(team: Team, actor_id: int | None) -> list[Agent]:
    members = team.members.all()
    return _reachable(members.exclude(pk=actor_id) if actor_id else members)


class Planner:
    """Decides the drafts for each event of one batch (one change to one ticket).

    Run by the fan-out in the worker, after the change committed. `event.ticket`
    is the ticket as the change left it (fanout.load_batch). What it reads from
    the database at that time, later than the change, and why that is right:
    the agents of a department or team and their vacation (who is there to read
    the mail when it goes out), the ticket's collaborators, the quoted thread
    entry (written by the change; entries are not edited), names of departments,
    statuses and topics (what the recipient sees on the ticket when they open it),
    the templates and the customer's language (remembered by the request,
    `_remember_language`, in the change's transaction)."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self._entries: dict[int, dict[str, str] | None] = {}
        self._alert_quotes: dict[int, dict[str, str] | None] = {}

    @cached_property
    def ours(self) -> frozenset[str]:
        return own_addresses()

    def plan(self, event: Event) -> list[PlannedMail]:
        kind = event.kind
        if kind == EventKind.CREATED:
            return [*self._autoresponse(event), *self._new_ticket_alerts(event)]
        if kind == EventKind.ASSIGNED:
            return self._assigned_alerts(event)
        if kind == EventKind.TRANSFERRED:
            return self._transfer_alerts(event)
        if kind == EventKind.REPLIED:
            return self._customer_mail(event, MailKind.REPLY)
        if kind == EventKind.RESOLVED:
            drafts = self._customer_mail(event, MailKind.RESOLVED)
            # The mail that carries the customer's own signed link (not the
            # collaborators') also invites them to rate the answer: both act as them.
            links = rating_links(event) if any(d.context.get("link") for d in drafts) else {}
            for draft in drafts:
                if draft.context.get("link"):
                    draft.context["rating_links"] = links
            return drafts
        if kind == EventKind.REOPENED:
            return self._reopened_alerts(event)
        if kind == EventKind.OVERDUE and event.new_value == "True":
            return self._overdue_alerts(event)
        if kind == EventKind.ESCALATED:
            return self._escalation_alerts(event)
        if kind == EventKind.UNASSIGNABLE:
            return self._unassignable_alerts(event)
        return []

    # -- variables --

    def _base(self, event: Event) -> dict[str, Any]:
        """Plain values only: administrators' templates never get model objects."""
        ticket = event.ticket
        return {
            "ticket": {
                "number": ticket.number,
                "subject": ticket.subject,
                "department": ticket.department.name,
                "topic": ticket.topic.name if ticket.topic else "",
                # Shipped names in the recipient's language, when their mail is
                # rendered (compose); an admin's own names and labels as typed.
                "priority": lazy_display_name(ticket.priority.name),
                "status": lazy_display_name(ticket.status.name),
                "public_status": ticket.status.customer_label
                or lazy_display_name(ticket.status.name),
            },
            "customer": {"name": ticket.customer.name, "email": ticket.customer.email},
            "actor": event.actor_name,
            # In the recipient's language, when their mail is rendered (compose).
            "reason": lazy_reason(event),
        }

    def _message(self, entry_id: object) -> dict[str, str] | None:
        if not isinstance(entry_id, int):
            return None
        if entry_id not in self._entries:
            self._entries[entry_id] = self._read_message(entry_id)
        return self._entries[entry_id]

    def _read_message(self, entry_id: int) -> dict[str, str] | None:
        entry = Entry.objects.filter(pk=entry_id).first()
        if entry is None:
            return None
        return {
            "author": entry.author_name,
            # Sanitized with nh3 when it was written (lib.html): safe to show as HTML.
            "html": mark_safe(entry.body),  # noqa: S308
            "text": html_to_text(entry.body),
        }

    def _alert_message(self, event: Event, entry_id: object) -> dict[str, str] | None:
        """The message as agents' alerts quote it: see `alert_quote`."""
        message = self._message(entry_id)
        if message is None or not isinstance(entry_id, int):
            return message
        if entry_id not in self._alert_quotes:
            self._alert_quotes[entry_id] = alert_quote(message, _desk_url(event))
        return self._alert_quotes[entry_id]

    def _for_customer(self, event: Event) -> dict[str, Any]:
        ticket = event.ticket
        return {
            **self._base(event),
            "recipient": {"name": ticket.customer.name},
            "marker": lazy_reply_marker(ticket.number),  # in the customer's language
            "link": settings.HELPLINE_BASE_URL + ticket_path(ticket),
        }

    def _agent_drafts(
        self, event: Event, kind: MailKind, agents: Sequence[Agent], extra: dict[str, Any]
    ) -> list[PlannedMail]:
        base = {**self._base(event), "desk_url": _desk_url(event), **extra}
        return [
            PlannedMail(
                event,
                kind,
                [address(agent.name, agent.user.email)],
                context={**base, "recipient": {"name": agent.name}},
                language=person_language(agent),
            )
            for agent in agents
            if not is_own_address(agent.user.email, ours=self.ours)
        ]

    # -- the mail of each event --

    def _autoresponse(self, event: Event) -> list[PlannedMail]:
        ticket = event.ticket
        customer = ticket.customer
        wanted = (
            event.data.get("autorespond", True) is not False
            and ticket.department.autorespond
            and (ticket.topic is None or ticket.topic.autorespond)
        )
        if not wanted or not customer.email or is_own_address(customer.email, ours=self.ours):
            return []
        return [
            PlannedMail(
                event,
                MailKind.AUTORESPONSE,
                [address(customer.name, customer.email)],
                context={
                    **self._for_customer(event),
                    "message": self._message(event.data.get("entry")),
                },
                language=person_language(customer),
            )
        ]

    def _new_ticket_alerts(self, event: Event) -> list[PlannedMail]:
        agents = _department_agents(event.ticket.department_id, event.agent_id)
        message = self._alert_message(event, event.data.get("entry"))
        return self._agent_drafts(event, MailKind.NEW_TICKET_ALERT, agents, {"message": message})

    def _assigned_alerts(self, event: Event) -> list[PlannedMail]:
        ticket = event.ticket
        new_id = event.data.get("new")
        if event.field == "agent":
            if new_id is None or new_id == event.agent_id:  # claiming needs no alert
                return []
            # On vacation or not, an assignee hears about the ticket given to them.
            assignee = (
                Agent.objects.select_related("user")
                .filter(pk=new_id, user__is_active=True)
                .exclude(user__email="")
                .first()
            )
            if assignee is None:
                return []
            extra = {"assignee": {"name": assignee.name}, "team": None}
            return self._agent_drafts(event, MailKind.ASSIGNED_ALERT, [assignee], extra)
        if event.field == "team" and ticket.assignee_id is None and new_id is not None:
            team = Team.objects.filter(pk=new_id).first()
            if team is None:
                return []
            extra = {"assignee": None, "team": {"name": team.name}}
            members = _team_members(team, event.agent_id)
            return self._agent_drafts(event, MailKind.ASSIGNED_ALERT, members, extra)
        return []

    def _transfer_alerts(self, event: Event) -> list[PlannedMail]:
        new_id = event.data.get("new")
        department = Department.objects.filter(pk=new_id).first() if new_id else None
        if department is None:
            return []
        extra = {
            "department": {"name": department.name},
            "old_department": {"name": event.old_value},
        }
        agents = _department_agents(department.pk, event.agent_id)
        return self._agent_drafts(event, MailKind.TRANSFER_ALERT, agents, extra)

    def _customer_mail(self, event: Event, kind: MailKind) -> list[PlannedMail]:
        """The customer's mail carries their signed link; each collaborator gets a
        mail of their own without it, since that link acts as the customer."""
        ticket = event.ticket
        followers = Customer.objects.filter(
            pk__in=Collaborator.objects.filter(ticket=ticket).values("customer")
        ).order_by("pk")
        message = self._message(event.data.get("entry"))
        signed = bool(event.data.get("signed"))
        if message is not None and signed:
            # A reply signed in the desk's box ends as its writer chose (their
            # signature, which usually names them, or nothing): no name line below.
            message = {**message, "author": ""}
        context = {
            **self._for_customer(event),
            "message": message,
            # A reply signed in the desk's box carries its signature in its text.
            "signature": event.agent.signature if event.agent and not signed else "",
        }
        drafts = []
        for person in [ticket.customer, *followers]:
            if not person.email or is_own_address(person.email, ours=self.ours):
                continue
            own = person.pk == ticket.customer_id
            personal = {"recipient": {"name": person.name}, **({} if own else {"link": ""})}
            drafts.append(
                PlannedMail(
                    event,
                    kind,
                    [address(person.name, person.email)],
                    [],
                    context | personal,
                    language=person_language(person),
                )
            )
        return drafts

    def _reopened_alerts(self, event: Event) -> list[PlannedMail]:
        ticket = event.ticket
        actor_id = event.agent_id
        if actor_id and ticket.assignee_id == actor_id:  # they reopened it themselves
            return []
        agents = self._responsible(event)
        # Reopened by the customer's message: the alert quotes it.
        entry_id = next(
            (e.data.get("entry") for e in self.events if e.kind == EventKind.CUSTOMER_REPLIED),
            None,
        )
        extra = {"message": self._alert_message(event, entry_id)}
        return self._agent_drafts(event, MailKind.REOPENED_ALERT, agents, extra)

    def _responsible(self, event: Event) -> list[Agent]:
        """The assignee; if they cannot be reached, the team; else the department."""
        ticket = event.ticket
        actor_id = event.agent_id
        if actor_id and ticket.assignee_id == actor_id:
            return []  # the assignee did it themselves: nobody else stands in for them
        agents = (
            _reachable(Agent.objects.filter(pk=ticket.assignee_id)) if ticket.assignee_id else []
        )
        if not agents and ticket.team is not None:
            agents = _team_members(ticket.team, actor_id)
        if not agents:
            agents = _department_agents(ticket.department_id, actor_id)
        return agents

    def _manager(self, event: Event) -> list[Agent]:
        manager_id = event.ticket.department.manager_id
        if manager_id is None or manager_id == event.agent_id:
            return []
        return _reachable(Agent.objects.filter(pk=manager_id))

    def _overdue_alerts(self, event: Event) -> list[PlannedMail]:
        agents = _unique([*self._responsible(event), *self._manager(event)])
        return self._agent_drafts(event, MailKind.OVERDUE_ALERT, agents, self._sla_extra(event))

    def _escalation_alerts(self, event: Event) -> list[PlannedMail]:
        data = event.data
        agents: list[Agent] = []
        if data.get("notify_assignee"):
            agents += self._responsible(event)
        if data.get("notify_manager"):
            agents += self._manager(event)
        named = [pk for pk in data.get("agents", []) if pk != event.agent_id]
        if named:
            agents += _reachable(Agent.objects.filter(pk__in=named))
        extra = {**self._sla_extra(event), "level": event.new_value}
        return self._agent_drafts(event, MailKind.ESCALATION_ALERT, _unique(agents), extra)

    def _unassignable_alerts(self, event: Event) -> list[PlannedMail]:
        return self._agent_drafts(event, MailKind.UNASSIGNABLE_ALERT, self._manager(event), {})

    def _sla_extra(self, event: Event) -> dict[str, Any]:
        ticket = event.ticket
        return {
            "assignee": {"name": ticket.assignee.name} if ticket.assignee else None,
            "team": {"name": ticket.team.name} if ticket.team else None,
            # The due time of the target this event is about (a first response's
            # own, when it is about that), else the resolution target's.
            "due": _due_of(event) or ticket.due_at,
        }


def _remember_language(event: Event) -> None:
    """A customer who opens a ticket or replies on a web page, in a language they
    never chose explicitly, gets their mail in the page's language from now on
    (Customer.last_language), not in the site's default."""
    if event.kind not in (EventKind.CREATED, EventKind.CUSTOMER_REPLIED):
        return
    language = page_language()
    customer = event.customer
    if not language or customer is None or event.agent_id is not None:
        return
    if customer.last_language != language:
        customer.last_language = language
        Customer.objects.filter(pk=customer.pk).update(last_language=language)


def _desk_url(event: Event) -> str:
    return settings.HELPLINE_BASE_URL + reverse("desk:ticket", args=[event.ticket.number])


def alert_quote(message: dict[str, str], desk_url: str) -> dict[str, str]:
    """The message as an alert to agents quotes it.

    - Remote images (http, https, scheme-relative) become links naming their
      host, as on the desk (lib.remote_images): opening the alert must not tell
      a tracker that, when and where an agent read it.
    - A message longer than ALERT_EXCERPT_CHARS of text (or ALERT_HTML_CHARS of
      HTML) is quoted as the beginning of its text, cut at a line or a word, then
      "Message shortened; read it all on the ticket: <link>". Both parts of the
      mail say so; administrators' templates that show `message.text` or
      `message.html` get the excerpt and the note with it.
    """
    text = message["text"]
    if len(text) <= ALERT_EXCERPT_CHARS and len(message["html"]) <= ALERT_HTML_CHARS:
        return {**message, "html": block_remote_images(message["html"])}
    excerpt = _cut(text, ALERT_EXCERPT_CHARS)
    note = _("Message shortened; read it all on the ticket:")
    html: SafeString = format_html(
        '{}<p><em>{}</em> <a href="{}">{}</a></p>',
        mark_safe(text_to_html(excerpt)),  # escaped by text_to_html; not a SafeString  # noqa: S308
        note,
        desk_url,
        desk_url,
    )
    return {**message, "html": html, "text": f"{excerpt}\n\n[...]\n{note} {desk_url}"}


def _cut(text: str, limit: int) -> str:
    """The beginning of `text`, at most `limit` characters, ending at a line break
    (or else a space) in its second half, so that no line or word is cut."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in ("\n", " "):
        at = head.rfind(mark)
        if at >= limit // 2:
            return head[:at].rstrip()
    return head


def _due_of(event: Event) -> datetime | None:
    raw = event.data.get("due")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _unique(agents: Sequence[Agent]) -> list[Agent]:
    """Each agent once, in order (the same person may be assignee and manager)."""
    seen: set[int] = set()
    result = []
    for agent in agents:
        if agent.pk not in seen:
            seen.add(agent.pk)
            result.append(agent)
    return result
