"""Where higher layers plug into the lifecycle: the opening rules, and the closing
guards (at the end of this module).

The lifecycle is the core; the routing rules (helpline.automation) sit above it
and must not be imported by it. So the lifecycle says here what a rule sees (an
`OpeningDraft`) and what it may answer (a `RuleOutcome`), keeps a registry of the callables
that answer (`opening_rules`), and `open_ticket` runs whatever is registered.
helpline.automation registers its `route` in `AutomationConfig.ready()`, the way
notify connects to `events_recorded`: after `django.setup()` the rules apply;
without them (an empty registry) tickets open as the channel asked.

An opening rule is called before the ticket exists, outside the opening's
transaction, once per new ticket. It may read the database but writes nothing a
refused opening would leave behind (it may record its own failures on its rule
row). It answers one of:

- a rejection: `RuleOutcome(reject_reason="...")` (an empty text means "rejected,
  no reason given"); the ticket is not opened and the channel is told why;
- changes: a department, help topic, priority, SLA plan, open status, agent or
  team (`None` leaves the channel's choice), collaborators to add (email
  addresses), canned replies to send, and whether the autoresponse may go;
- the rules that matched and the ones that failed, for the ticket's timeline.

With several registered (one today), they run in registration order and their
answers combine as the rules within one answer do: the first rejection ends it,
a later "set" replaces an earlier one, collaborators and canned replies add up,
and a disabled autoresponse stays disabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from helpline.accounts.models import Agent, Customer, Department, Team
from helpline.lib.html import SafeHTML
from helpline.sla.models import SLAPlan
from helpline.tickets.lifecycle.core import Refused
from helpline.tickets.models import HelpTopic, Priority, Status, Ticket


@dataclass(frozen=True)
class OpeningDraft:
    """What a channel asked for, before the ticket exists."""

    source: str  # helpline.tickets.models.Source value: web/email/api/phone/other
    customer: Customer
    subject: str
    body_text: str  # plain text of the first message
    topic: HelpTopic | None = None
    department: Department | None = None
    priority: Priority | None = None
    mailbox_id: int | None = None  # intake.Mailbox the mail came in through
    recipients: tuple[str, ...] = ()  # addresses the mail was sent to (To, Cc)
    extra: Mapping[str, Any] = field(default_factory=dict)


class CannedText(Protocol):
    """A reply a rule sends from Helpline itself (automation's CannedReply is one)."""

    @property
    def title(self) -> str: ...

    @property
    def body_html(self) -> str: ...

    def fill(self, body: SafeHTML, ticket: Ticket) -> SafeHTML:
        """`body` (its body_html, sanitized) with the ticket's variables filled in."""
        ...


@dataclass
class RuleMatch:
    """One rule that matched, for the timeline."""

    rule_id: int
    rule_name: str
    actions: list[str]  # human sentences: "Set department to Sales", "Assigned to John Doe"


@dataclass
class RuleOutcome:
    """An opening rule's answer; the defaults change nothing."""

    reject_reason: str | None = None
    department: Department | None = None
    topic: HelpTopic | None = None
    priority: Priority | None = None
    sla: SLAPlan | None = None
    status: Status | None = None
    agent: Agent | None = None
    team: Team | None = None
    autorespond: bool = True  # False when a rule disabled it
    canned_replies: list[CannedText] = field(default_factory=list)
    collaborators: list[str] = field(default_factory=list)  # email addresses
    matches: list[RuleMatch] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (rule id, message)
    stopped_by: int | None = None  # id of the rule that stopped processing, if any


class OpeningRule(Protocol):
    """Called with the draft of every new ticket; see the module docstring."""

    def __call__(self, draft: OpeningDraft) -> RuleOutcome: ...


# Filled by the apps above the lifecycle in their AppConfig.ready().
opening_rules: list[OpeningRule] = []


def register_opening_rule(rule: OpeningRule) -> None:
    """Add `rule` to the registry once (ready() may run again, in tests)."""
    if rule not in opening_rules:
        opening_rules.append(rule)


_SETS = ("department", "topic", "priority", "sla", "status", "agent", "team")


def run_opening_rules(draft: OpeningDraft) -> RuleOutcome:
    """The combined answer of the registered rules (no rules: an empty RuleOutcome)."""
    combined = RuleOutcome()
    for rule in list(opening_rules):
        answer = rule(draft)
        for name in _SETS:
            if getattr(answer, name) is not None:
                setattr(combined, name, getattr(answer, name))
        combined.autorespond = combined.autorespond and answer.autorespond
        combined.canned_replies += [
            c for c in answer.canned_replies if c not in combined.canned_replies
        ]
        known = {c.casefold() for c in combined.collaborators}
        combined.collaborators += [c for c in answer.collaborators if c.casefold() not in known]
        combined.matches += answer.matches
        combined.errors += answer.errors
        if answer.stopped_by is not None:
            combined.stopped_by = answer.stopped_by
        if answer.reject_reason is not None:
            combined.reject_reason = answer.reject_reason
            break
    return combined


# --- closing guards -----------------------------------------------------------------
# Why a ticket may not be resolved or closed now, from an app above the lifecycle
# (helpline.ticket_tasks: its open tasks). `resolve` and `close` call
# `refuse_closing` inside their transaction, after the ticket's row is locked and
# the transition is checked, so every channel (desk, API, mail, bulk actions,
# auto-close) is refused the same way. A guard gets the locked ticket and answers
# a sentence for the person who asked, or None; it may read, never write.


class ClosingGuard(Protocol):
    def __call__(self, ticket: Ticket) -> str | None: ...


# Filled by the apps above the lifecycle in their AppConfig.ready().
closing_guards: list[ClosingGuard] = []


def register_closing_guard(guard: ClosingGuard) -> None:
    """Add `guard` to the registry once (ready() may run again, in tests)."""
    if guard not in closing_guards:
        closing_guards.append(guard)


def refuse_closing(ticket: Ticket) -> None:
    """Raise `Refused` with the first registered guard's reason, if any has one."""
    for guard in list(closing_guards):
        if (reason := guard(ticket)) is not None:
            raise Refused(reason)
