"""Routing rules: what happens to a new ticket before it exists.

`route(draft)` runs when a ticket is opened: it is the opening rule this app
registers with the lifecycle (`helpline.tickets.lifecycle.hooks`, in
`AutomationConfig.ready()`), which defines the `OpeningDraft` it reads and the `RuleOutcome`
it answers. The semantics:

- Active rules run in `(order, id)` order. A rule runs only for the channels it
  ticks (the draft's `source`) and, when it names a mailbox, only for mail that came
  in through that mailbox.
- A rule matches when ALL (or ANY, per the rule) of its conditions hold. A rule
  without conditions matches every ticket on its channels.
- Every comparison ignores case and surrounding spaces. Help topic, priority and
  organization compare by name, the channel by its value (web, email, api, phone,
  other); a missing value (no topic, no organization) is the empty text.
- Recipients (and a topic field holding a list) have several values: a positive
  operator holds when ANY value satisfies it; "does not equal" and "does not contain"
  hold when NO value equals or contains it. With no recipients at all, only the
  negative operators hold.
- A matching rule's actions apply together. "Set" actions (department, topic,
  priority, SLA plan, status, agent, team) of a later rule replace those of an
  earlier one: the last match wins. Canned replies and collaborators add up, and
  once a rule disables the autoresponse it stays disabled.
- "Stop" ends processing after the rule that has it. "Reject" ends processing too
  and sets `reject_reason`: the caller does not open the ticket.
- A rule that fails at run time (a regular expression that runs out of time, a
  deleted or deactivated target, contradictory actions saved past the admin, any
  unexpected exception) is skipped whole, logged, recorded on the rule for the
  admin, and listed in `RuleOutcome.errors`; the next rule runs. `route` never raises
  because of a rule. Only a broken database (the rules cannot be read) raises.

Loading the rules costs a fixed number of queries however many there are (rules,
conditions, actions with their targets, agents' department access); matching is a
pure function of the draft and the conditions (`conditions_hold`), apart from
reading the customer's organization once when a condition asks for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Any

import regex
from django.db import DatabaseError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from helpline.accounts.models import Agent, Team
from helpline.automation.models import (
    REGEX_FLAGS,
    REGEX_TIMEOUT,
    Action,
    CannedReply,
    Condition,
    Field,
    Kind,
    MatchMode,
    Operator,
    Rule,
    action_problems,
    split_list,
)
from helpline.sla.models import SLAPlan
from helpline.tickets.lifecycle.hooks import OpeningDraft, RuleMatch, RuleOutcome
from helpline.tickets.models import HelpTopic, State, Status

logger = logging.getLogger(__name__)

# Longest error text kept on a rule; the admin list shows the start of it.
MAX_ERROR_LENGTH = 2000


class RuleError(Exception):
    """A rule cannot run as configured; the message is shown to administrators."""


# --- conditions: pure functions of the draft -------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def field_values(draft: OpeningDraft, field_name: str, extra_key: str = "") -> tuple[str, ...]:
    """The values of one field of the draft, as text (most fields have one)."""
    email = draft.customer.email
    match field_name:
        case Field.CUSTOMER_EMAIL:
            return (email,)
        case Field.CUSTOMER_DOMAIN:
            return (email.rpartition("@")[2],)
        case Field.CUSTOMER_NAME:
            return (draft.customer.name,)
        case Field.SUBJECT:
            return (draft.subject,)
        case Field.BODY:
            return (draft.body_text,)
        case Field.TOPIC:
            return (_text(draft.topic and draft.topic.name),)
        case Field.SOURCE:
            return (draft.source,)
        case Field.PRIORITY:
            return (_text(draft.priority and draft.priority.name),)
        case Field.ORGANIZATION:
            # Reads the organization once (Django caches it on the customer), only
            # when a condition asks for it.
            organization = draft.customer.organization
            return (organization.name if organization else "",)
        case Field.RECIPIENT:
            return tuple(parseaddr(r)[1] or r for r in draft.recipients)
        case Field.TOPIC_FIELD:
            answer = draft.extra.get(extra_key)
            if isinstance(answer, list | tuple | set):
                return tuple(_text(a) for a in answer)
            return (_text(answer),)
    raise RuleError(f"Unknown field “{field_name}”.")


def _fold(text: str) -> str:
    return text.strip().casefold()


def _holds_for(operator: str, text: str, value: str) -> bool:
    """Whether one text satisfies a positive operator."""
    folded, wanted = _fold(text), _fold(value)
    match operator:
        case Operator.EQUALS:
            return folded == wanted
        case Operator.CONTAINS:
            return wanted in folded
        case Operator.STARTS_WITH:
            return folded.startswith(wanted)
        case Operator.ENDS_WITH:
            return folded.endswith(wanted)
        case Operator.IN_LIST:
            return folded in {_fold(item) for item in split_list(value)}
        case Operator.REGEX:
            try:
                pattern = regex.compile(value.strip(), REGEX_FLAGS)
                return pattern.search(text, timeout=REGEX_TIMEOUT) is not None
            except TimeoutError as exc:
                raise RuleError(
                    f"The regular expression “{value.strip()}” took longer than "
                    f"{REGEX_TIMEOUT:g} s and was stopped; simplify it."
                ) from exc
            except regex.error as exc:
                raise RuleError(
                    f"“{value.strip()}” is not a valid regular expression: {exc}."
                ) from exc
    raise RuleError(f"Unknown operator “{operator}”.")


# The negative operators, as the positive operator they negate.
_NEGATED: dict[str, str] = {
    Operator.NOT_EQUALS: Operator.EQUALS,
    Operator.NOT_CONTAINS: Operator.CONTAINS,
}


def condition_holds(draft: OpeningDraft, condition: Condition) -> bool:
    """Whether the draft satisfies one condition. Raises RuleError when it cannot
    be evaluated (unknown field or operator, a regular expression out of time)."""
    values = field_values(draft, condition.field, condition.extra_key)
    positive = _NEGATED.get(condition.operator)
    if positive is not None:
        return not any(_holds_for(positive, v, condition.value) for v in values)
    return any(_holds_for(condition.operator, v, condition.value) for v in values)


def conditions_hold(draft: OpeningDraft, match: str, conditions: Sequence[Condition]) -> bool:
    """Whether the draft satisfies ALL or ANY (`match`) of the conditions; no
    conditions at all always hold."""
    if not conditions:
        return True
    if match == MatchMode.ANY:
        return any(condition_holds(draft, c) for c in conditions)
    if match == MatchMode.ALL:
        return all(condition_holds(draft, c) for c in conditions)
    raise RuleError(f"Unknown match “{match}”.")


def applies_to(rule: Rule, draft: OpeningDraft) -> bool:
    """Whether the rule runs for the draft's channel (and mailbox)."""
    if draft.source not in rule.channels:
        return False
    return rule.mailbox_id is None or rule.mailbox_id == draft.mailbox_id


# --- actions ---------------------------------------------------------------------------


def _target(action: Action) -> Any:
    """The object or text the action points at, checked to be usable now."""
    column = action.target_column
    if column is None:
        return None
    if column == "value":
        return action.value.strip()
    target = getattr(action, column)
    label = getattr(Action._meta.get_field(column), "verbose_name", column)
    if target is None:
        raise RuleError(
            f"The {label} of the action “{action.get_kind_display()}” was deleted; choose another."
        )
    unusable = (
        (isinstance(target, HelpTopic | SLAPlan | Team | CannedReply) and not target.is_active)
        or (isinstance(target, Agent) and not target.is_active)
        or (isinstance(target, Status) and target.state != State.OPEN)
    )
    if unusable:
        what = "not an open status" if isinstance(target, Status) else "no longer active"
        raise RuleError(f"The {label} “{target}” of this rule is {what}.")
    return target


def _sentence(kind: str, target: Any) -> str:
    sentences: dict[str, str] = {
        Kind.REJECT: "Rejected the ticket: {}",
        Kind.SET_DEPARTMENT: "Set department to {}",
        Kind.SET_TOPIC: "Set help topic to {}",
        Kind.SET_PRIORITY: "Set priority to {}",
        Kind.SET_SLA: "Set SLA plan to {}",
        Kind.SET_STATUS: "Set status to {}",
        Kind.ASSIGN_AGENT: "Assigned to {}",
        Kind.ASSIGN_TEAM: "Assigned to team {}",
        Kind.NO_AUTORESPONSE: "Disabled the autoresponse",
        Kind.CANNED_REPLY: "Sent canned reply “{}”",
        Kind.ADD_COLLABORATOR: "Added collaborator {}",
        Kind.STOP: "Stopped processing further rules",
    }
    if kind not in sentences:
        raise RuleError(f"Unknown action “{kind}”.")
    # The plain name ("Standard", not the SLA plan's "Standard (8 h)"); a canned
    # reply has a title instead.
    return sentences[kind].format(getattr(target, "name", None) or target)


def _plan(actions: Sequence[Action]) -> list[tuple[str, Any, str]]:
    """(kind, target, sentence) for each action, or RuleError if any cannot run:
    a rule applies all its actions or none."""
    problems = action_problems(actions)
    if problems:
        raise RuleError(problems[0][2])
    plan = []
    for action in actions:
        target = _target(action)
        plan.append((action.kind, target, _sentence(action.kind, target)))
    return plan


_SETTERS: dict[str, str] = {
    Kind.SET_DEPARTMENT: "department",
    Kind.SET_TOPIC: "topic",
    Kind.SET_PRIORITY: "priority",
    Kind.SET_SLA: "sla",
    Kind.SET_STATUS: "status",
    Kind.ASSIGN_AGENT: "agent",
    Kind.ASSIGN_TEAM: "team",
}


def _apply(outcome: RuleOutcome, plan: Iterable[tuple[str, Any, str]]) -> None:
    for kind, target, _ in plan:
        if kind in _SETTERS:
            setattr(outcome, _SETTERS[kind], target)
        elif kind == Kind.REJECT:
            outcome.reject_reason = target
        elif kind == Kind.NO_AUTORESPONSE:
            outcome.autorespond = False
        elif kind == Kind.CANNED_REPLY and target not in outcome.canned_replies:
            outcome.canned_replies.append(target)  # model equality: by primary key
        elif kind == Kind.ADD_COLLABORATOR and target.casefold() not in {
            c.casefold() for c in outcome.collaborators
        }:
            outcome.collaborators.append(target)


# --- running ---------------------------------------------------------------------------


def active_rules() -> list[Rule]:
    """The active rules in order, with everything route() reads: four queries at
    most whatever the number of rules (fewer when there is nothing to prefetch)."""
    actions = Action.objects.select_related(
        "department",
        "topic__department",
        "priority",
        "sla",
        "status",
        "agent__user",
        "team",
        "canned_reply",
    ).order_by("id")
    return list(
        Rule.objects.filter(is_active=True)
        .order_by("order", "id")
        .prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.order_by("id")),
            Prefetch("actions", queryset=actions),
            # action_problems() checks an assigned agent's access to the department.
            "actions__agent__access",
        )
    )


def record_error(rule: Rule, message: str) -> None:
    """Log a rule's failure and keep it on the rule for the admin. Never raises."""
    logger.warning("Routing rule %s (%s) skipped: %s", rule.pk, rule.name, message)
    try:
        # A savepoint, so a failed write cannot break the caller's transaction.
        with transaction.atomic():
            Rule.objects.filter(pk=rule.pk).update(
                last_error=message[:MAX_ERROR_LENGTH],
                last_error_at=timezone.now(),
                error_count=F("error_count") + 1,
            )
    except DatabaseError:
        logger.exception("Could not record the error of routing rule %s", rule.pk)


def _run_rule(rule: Rule, draft: OpeningDraft) -> list[tuple[str, Any, str]] | None:
    """The rule's planned actions if it matches the draft, else None."""
    if not applies_to(rule, draft):
        return None
    if not conditions_hold(draft, rule.match, list(rule.conditions.all())):
        return None
    return _plan(list(rule.actions.all()))


def route(draft: OpeningDraft) -> RuleOutcome:
    """Run the active rules against a new ticket; see the module docstring."""
    outcome = RuleOutcome()
    for rule in active_rules():
        try:
            plan = _run_rule(rule, draft)
        except RuleError as exc:
            message = str(exc)
        except Exception as exc:  # a rule must never stop a ticket from opening
            logger.exception("Routing rule %s failed unexpectedly", rule.pk)
            message = f"Unexpected error: {exc!r}"
        else:
            if plan is None:
                continue
            _apply(outcome, plan)
            outcome.matches.append(RuleMatch(rule.pk, rule.name, [s for _, _, s in plan]))
            kinds = {kind for kind, _, _ in plan}
            if Kind.REJECT in kinds or Kind.STOP in kinds:
                outcome.stopped_by = rule.pk
                break
            continue
        outcome.errors.append((rule.pk, message))
        record_error(rule, message)
    return outcome
