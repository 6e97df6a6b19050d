"""Routing rules ("ticket filters") and canned replies.

A `Rule` has conditions and actions; `helpline.automation.rules.route` runs the
active rules against a new ticket (see its module docstring for the semantics).

Validation happens in three places, all through Django's forms machinery so the
admin shows every message against the row and field it is about:

- `Condition.clean` and `Action.clean` check one row (a regex that compiles, a
  topic field key that exists, an action that names its target, an open status);
- `Rule.clean` checks the rule's own fields (some channel, a mailbox only with email);
- `action_problems` checks the actions of one rule together (conflicting "set"
  actions, reject with anything but stop, an agent without access to the department
  the rule sets). The admin's action formset calls it, since a row's `clean` cannot
  see its siblings; `route` calls it too, so a rule written past the admin (shell,
  fixtures) is skipped with an error instead of half-applied.

Run-time failures are recorded on the rule (`last_error`, `last_error_at`,
`error_count`) and shown in the admin; saving the rule in the admin clears them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import regex
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from helpline.accounts.models import Agent, Department, Team
from helpline.lib.html import SafeHTML, sanitize
from helpline.sla.models import SLAPlan
from helpline.tickets.models import (
    HelpTopic,
    Priority,
    Source,
    State,
    Status,
    Ticket,
    TopicField,
)

# How long one regular expression may run against one value. Patterns come from
# administrators but the text comes from strangers: a pattern with catastrophic
# backtracking must not hold a mail worker for minutes.
REGEX_TIMEOUT = 0.05
REGEX_FLAGS = regex.IGNORECASE

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class CannedReply(models.Model):
    """A prepared answer: sent by a routing rule, or picked by agents in the desk's
    reply box (helpline.automation.canned), its variables filled from the ticket.

    Shared (no owner) or one agent's own; for one department or every one (no
    department). A routing rule sends shared replies only."""

    title = models.CharField(max_length=120, verbose_name=gettext_lazy("title"))
    body_html = models.TextField(
        gettext_lazy("body"),
        help_text=gettext_lazy("HTML; scripts, styles and unsafe links are removed on save."),
    )
    # PROTECT: a department's replies would otherwise become everybody's (SET_NULL)
    # or vanish with it (CASCADE); the admin lists them when it refuses.
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="canned_replies",
        verbose_name=gettext_lazy("department"),
        help_text=gettext_lazy("Empty: offered in every department."),
    )
    owner = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        verbose_name=gettext_lazy("owner"),
        help_text=gettext_lazy("Empty: shared with every agent of the department."),
    )
    is_active = models.BooleanField(gettext_lazy("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        verbose_name = gettext_lazy("canned reply")
        ordering = ["title"]
        verbose_name_plural = gettext_lazy("canned replies")
        constraints = [
            # A title names one shared reply, and one of each agent's own (the
            # picker lists them by title).
            models.UniqueConstraint(
                fields=["title"],
                condition=models.Q(owner__isnull=True),
                name="canned_shared_title_unique",
                violation_error_message=gettext_lazy("A shared canned reply has this title."),
            ),
            models.UniqueConstraint(
                fields=["owner", "title"],
                condition=models.Q(owner__isnull=False),
                name="canned_own_title_unique",
                violation_error_message=gettext_lazy("You have a canned reply with this title."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        # Sanitized on the way in, like every other body, so it can be rendered as is.
        self.body_html = sanitize(self.body_html)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def fill(self, body: SafeHTML, ticket: Ticket) -> SafeHTML:
        """A routing rule's reply: `body` with the ticket's variables filled in
        (no agent: Helpline itself sends it)."""
        from helpline.automation import canned  # it imports this module

        return canned.fill_html(body, canned.Context(ticket, None))


def canned_file_path(instance: CannedAttachment, filename: str) -> str:
    # The stored name is random; the uploader's file name is kept in `filename`.
    return f"canned/{uuid.uuid4().hex}"


class CannedAttachment(models.Model):
    """A file a canned reply carries: attached to every reply it is picked for."""

    reply = models.ForeignKey(
        CannedReply,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=gettext_lazy("canned reply"),
    )
    file = models.FileField(
        upload_to=canned_file_path, max_length=255, verbose_name=gettext_lazy("file")
    )
    filename = models.CharField(max_length=255, verbose_name=gettext_lazy("filename"))
    content_type = models.CharField(max_length=120, verbose_name=gettext_lazy("content type"))
    size = models.PositiveIntegerField(verbose_name=gettext_lazy("size"))

    class Meta:
        verbose_name = gettext_lazy("canned reply file")
        verbose_name_plural = gettext_lazy("canned reply files")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class MatchMode(models.TextChoices):
    ALL = "all", gettext_lazy("All conditions")
    ANY = "any", gettext_lazy("Any condition")


class Rule(models.Model):
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    order = models.PositiveIntegerField(
        default=100,
        help_text=gettext_lazy("Rules run from the lowest number up; later rules win."),
        verbose_name=gettext_lazy("order"),
    )
    is_active = models.BooleanField(gettext_lazy("active"), default=True)
    match = models.CharField(
        gettext_lazy("match"), max_length=3, choices=MatchMode.choices, default=MatchMode.ALL
    )
    # One boolean per channel rather than a list: they are plain checkboxes in the
    # admin and a plain column to filter on.
    on_web = models.BooleanField(
        gettext_lazy("web"), default=True, help_text=gettext_lazy("The customer portal.")
    )
    on_email = models.BooleanField(gettext_lazy("email"), default=True)
    on_api = models.BooleanField(gettext_lazy("API"), default=True)
    on_phone = models.BooleanField(
        gettext_lazy("phone"),
        default=True,
        help_text=gettext_lazy("Tickets agents open for customers."),
    )
    on_walk_in = models.BooleanField(
        gettext_lazy("walk-in"),
        default=True,
        help_text=gettext_lazy("Tickets agents open for people at the desk in person."),
    )
    on_other = models.BooleanField(gettext_lazy("other"), default=True)
    mailbox = models.ForeignKey(
        "intake.Mailbox",
        null=True,
        blank=True,
        # Neither deleting the rules with the mailbox nor widening them to every
        # mailbox is what the administrator meant: they decide first.
        on_delete=models.PROTECT,
        related_name="rules",
        verbose_name=gettext_lazy("only mail to mailbox"),
        help_text=gettext_lazy("Empty: mail to any mailbox."),
    )
    notes = models.TextField(blank=True, verbose_name=gettext_lazy("notes"))
    last_error = models.TextField(
        blank=True, editable=False, verbose_name=gettext_lazy("last error")
    )
    last_error_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("last error at")
    )
    error_count = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=gettext_lazy("error count")
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = gettext_lazy("routing rule")
        verbose_name_plural = gettext_lazy("routing rules")
        indexes = [
            # route(): the active rules in their order, on every new ticket.
            models.Index(fields=["is_active", "order", "id"], name="rule_active_order"),
        ]

    def __str__(self) -> str:
        return self.name

    CHANNEL_FIELDS = {
        Source.WEB: "on_web",
        Source.EMAIL: "on_email",
        Source.API: "on_api",
        Source.PHONE: "on_phone",
        Source.WALK_IN: "on_walk_in",
        Source.OTHER: "on_other",
    }

    @property
    def channels(self) -> list[str]:
        """The Source values the rule runs for."""
        return [source for source, name in self.CHANNEL_FIELDS.items() if getattr(self, name)]

    def clean(self) -> None:
        if not self.channels:
            raise ValidationError(gettext("Tick at least one channel the rule runs for."))
        if self.mailbox_id is not None and not self.on_email:
            raise ValidationError(
                {"mailbox": gettext("Mail to a mailbox comes in by email: tick Email too.")}
            )


class Field(models.TextChoices):
    CUSTOMER_EMAIL = "email", gettext_lazy("Customer email")
    CUSTOMER_DOMAIN = "domain", gettext_lazy("Customer email domain")
    CUSTOMER_NAME = "name", gettext_lazy("Customer name")
    SUBJECT = "subject", gettext_lazy("Subject")
    BODY = "body", gettext_lazy("Message body")
    TOPIC = "topic", gettext_lazy("Help topic")
    SOURCE = "source", gettext_lazy("Channel")
    PRIORITY = "priority", gettext_lazy("Priority")
    ORGANIZATION = "organization", gettext_lazy("Organization")
    RECIPIENT = "recipient", gettext_lazy("Recipient address (To/Cc)")
    TOPIC_FIELD = "topic_field", gettext_lazy("Help topic field")


class Operator(models.TextChoices):
    EQUALS = "equals", gettext_lazy("equals")
    NOT_EQUALS = "not_equals", gettext_lazy("does not equal")
    CONTAINS = "contains", gettext_lazy("contains")
    NOT_CONTAINS = "not_contains", gettext_lazy("does not contain")
    STARTS_WITH = "starts_with", gettext_lazy("starts with")
    ENDS_WITH = "ends_with", gettext_lazy("ends with")
    REGEX = "regex", gettext_lazy("matches regular expression")
    IN_LIST = "in_list", gettext_lazy("is one of (comma or line separated)")


# Operators that make sense with an empty value ("topic equals nothing").
BLANK_VALUE_OK = {Operator.EQUALS, Operator.NOT_EQUALS}


def split_list(value: str) -> list[str]:
    """The items of an "in list" value: separated by commas or new lines."""
    return [item.strip() for item in regex.split(r"[,\n]", value) if item.strip()]


class Condition(models.Model):
    rule = models.ForeignKey(
        Rule, on_delete=models.CASCADE, related_name="conditions", verbose_name=gettext_lazy("rule")
    )
    field = models.CharField(gettext_lazy("field"), max_length=20, choices=Field.choices)
    extra_key = models.CharField(
        gettext_lazy("topic field key"),
        max_length=60,
        blank=True,
        help_text=gettext_lazy("For a help topic field: its key, e.g. asset_tag."),
    )
    operator = models.CharField(
        gettext_lazy("operator"), max_length=20, choices=Operator.choices, default=Operator.CONTAINS
    )
    value = models.TextField(gettext_lazy("value"), blank=True)

    class Meta:
        verbose_name = gettext_lazy("condition")
        verbose_name_plural = gettext_lazy("conditions")
        ordering = ["id"]

    def __str__(self) -> str:
        name = f"field {self.extra_key}" if self.field == Field.TOPIC_FIELD else self.field
        return f"{name} {self.get_operator_display()} {self.value!r}"

    def clean(self) -> None:
        self.value = self.value.strip()
        self.extra_key = self.extra_key.strip()
        errors: dict[str, str] = {}
        if self.field == Field.TOPIC_FIELD:
            if not self.extra_key:
                errors["extra_key"] = gettext("Name the help topic field, e.g. asset_tag.")
            elif not TopicField.objects.filter(key=self.extra_key).exists():
                known = sorted(set(TopicField.objects.values_list("key", flat=True)))
                if known:
                    errors["extra_key"] = gettext(
                        "No help topic has a field with the key “%(key)s” (known: %(known)s)."
                    ) % {"key": self.extra_key, "known": ", ".join(known)}
                else:
                    errors["extra_key"] = gettext(
                        "No help topic has a field with the key “%(key)s”."
                    ) % {"key": self.extra_key}
        elif self.extra_key:
            errors["extra_key"] = gettext("Only a help topic field has a key; leave it empty.")
        if not self.value and self.operator not in BLANK_VALUE_OK:
            errors["value"] = gettext("Give a value to compare with.")
        elif self.operator == Operator.REGEX:
            try:
                regex.compile(self.value, REGEX_FLAGS)
            except regex.error as exc:
                errors["value"] = gettext("This is not a valid regular expression: %(error)s.") % {
                    "error": exc
                }
        elif self.operator == Operator.IN_LIST and not split_list(self.value):
            errors["value"] = gettext("List at least one value, separated by commas or new lines.")
        if errors:
            raise ValidationError(errors)


class Kind(models.TextChoices):
    REJECT = "reject", gettext_lazy("Reject the ticket")
    SET_DEPARTMENT = "set_department", gettext_lazy("Set department")
    SET_TOPIC = "set_topic", gettext_lazy("Set help topic")
    SET_PRIORITY = "set_priority", gettext_lazy("Set priority")
    SET_SLA = "set_sla", gettext_lazy("Set SLA plan")
    SET_STATUS = "set_status", gettext_lazy("Set status")
    ASSIGN_AGENT = "assign_agent", gettext_lazy("Assign to agent")
    ASSIGN_TEAM = "assign_team", gettext_lazy("Assign to team")
    NO_AUTORESPONSE = "no_autoresponse", gettext_lazy("Do not send the autoresponse")
    CANNED_REPLY = "canned_reply", gettext_lazy("Send canned reply")
    ADD_COLLABORATOR = "add_collaborator", gettext_lazy("Add collaborator")
    STOP = "stop", gettext_lazy("Stop processing further rules")


# The one column each kind uses; kinds missing here use none. "value" is text.
TARGET_OF: dict[str, str] = {
    Kind.REJECT: "value",
    Kind.SET_DEPARTMENT: "department",
    Kind.SET_TOPIC: "topic",
    Kind.SET_PRIORITY: "priority",
    Kind.SET_SLA: "sla",
    Kind.SET_STATUS: "status",
    Kind.ASSIGN_AGENT: "agent",
    Kind.ASSIGN_TEAM: "team",
    Kind.CANNED_REPLY: "canned_reply",
    Kind.ADD_COLLABORATOR: "value",
}
# Kinds that set one value of the ticket: two of them with different targets in
# one rule contradict each other.
SINGLE_KINDS = {
    Kind.SET_DEPARTMENT,
    Kind.SET_TOPIC,
    Kind.SET_PRIORITY,
    Kind.SET_SLA,
    Kind.SET_STATUS,
    Kind.ASSIGN_AGENT,
    Kind.ASSIGN_TEAM,
    Kind.REJECT,
}
TARGET_COLUMNS = (
    "department",
    "topic",
    "priority",
    "sla",
    "status",
    "agent",
    "team",
    "canned_reply",
    "value",
)


class Action(models.Model):
    rule = models.ForeignKey(
        Rule, on_delete=models.CASCADE, related_name="actions", verbose_name=gettext_lazy("rule")
    )
    kind = models.CharField(gettext_lazy("action"), max_length=20, choices=Kind.choices)
    # A deleted target leaves the action empty (SET_NULL), never deletes the rule;
    # route() then reports the rule as broken instead of silently doing less.
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("department"),
    )
    topic = models.ForeignKey(
        HelpTopic,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("help topic"),
    )
    priority = models.ForeignKey(
        Priority,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("priority"),
    )
    sla = models.ForeignKey(
        SLAPlan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("SLA plan"),
    )
    status = models.ForeignKey(
        Status,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("status"),
    )
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("agent"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("team"),
    )
    canned_reply = models.ForeignKey(
        CannedReply,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # A rule sends what every agent may: a shared reply.
        limit_choices_to={"owner__isnull": True},
        verbose_name=gettext_lazy("canned reply"),
    )
    value = models.CharField(
        gettext_lazy("reason or email"),
        max_length=255,
        blank=True,
        help_text=gettext_lazy("The reason for a rejection, or the collaborator's email address."),
    )

    class Meta:
        verbose_name = gettext_lazy("action")
        verbose_name_plural = gettext_lazy("actions")
        ordering = ["id"]

    def __str__(self) -> str:
        target = self.target_label()
        return f"{self.get_kind_display()}: {target}" if target else self.get_kind_display()

    @property
    def target_column(self) -> str | None:
        return TARGET_OF.get(self.kind)

    def target_key(self) -> object:
        """What the action points at (an id or a text), to tell duplicates from conflicts."""
        column = self.target_column
        if column is None:
            return None
        if column == "value":
            return self.value.strip().casefold()
        return getattr(self, f"{column}_id")

    def target_label(self) -> str:
        column = self.target_column
        if column is None:
            return ""
        target = getattr(self, column)
        return "" if target is None else str(target)

    def clean(self) -> None:
        self.value = self.value.strip()
        column = self.target_column
        errors: dict[str, str] = {}
        for other in TARGET_COLUMNS:
            used = other == column
            empty = not self.value if other == "value" else getattr(self, f"{other}_id") is None
            if used and empty:
                errors[other] = str(
                    _MISSING.get(self.kind, gettext("This action needs a value here."))
                )
            elif not used and not empty:
                errors[other] = gettext("Not used by “%(kind)s”; leave it empty.") % {
                    "kind": self.get_kind_display()
                }
        if not errors:
            errors.update(self._check_target())
        if errors:
            raise ValidationError(errors)

    def _check_target(self) -> dict[str, str]:
        if self.kind == Kind.SET_STATUS and self.status and self.status.state != State.OPEN:
            return {
                "status": gettext(
                    "“%(status)s” is not an open status; a new ticket can only get an open status."
                )
                % {"status": self.status}
            }
        if self.kind == Kind.ADD_COLLABORATOR:
            try:
                validate_email(self.value)
            except ValidationError:
                return {"value": gettext("Enter the collaborator's email address.")}
        return {}


_MISSING: dict[str, _StrPromise] = {
    Kind.REJECT: gettext_lazy("Give the reason for the rejection (the sender may see it)."),
    Kind.SET_DEPARTMENT: gettext_lazy("Choose the department."),
    Kind.SET_TOPIC: gettext_lazy("Choose the help topic."),
    Kind.SET_PRIORITY: gettext_lazy("Choose the priority."),
    Kind.SET_SLA: gettext_lazy("Choose the SLA plan."),
    Kind.SET_STATUS: gettext_lazy("Choose the status."),
    Kind.ASSIGN_AGENT: gettext_lazy("Choose the agent."),
    Kind.ASSIGN_TEAM: gettext_lazy("Choose the team."),
    Kind.CANNED_REPLY: gettext_lazy("Choose the canned reply."),
    Kind.ADD_COLLABORATOR: gettext_lazy("Enter the collaborator's email address."),
}


def department_set_by(actions: Iterable[Action]) -> Department | None:
    """The department a rule's actions put the ticket in: its "set department",
    else the department of its "set help topic"."""
    actions = list(actions)
    for action in actions:
        if action.kind == Kind.SET_DEPARTMENT and action.department is not None:
            return action.department
    for action in actions:
        if action.kind == Kind.SET_TOPIC and action.topic is not None:
            return action.topic.department
    return None


def agent_has_access(agent: Agent, department: Department) -> bool:
    """Whether `agent` works in `department`. Reads `agent.access.all()`, so a
    prefetch of `access` makes this free."""
    if agent.is_admin:
        return True
    return any(access.department_id == department.pk for access in agent.access.all())


def action_problems(actions: Sequence[Action]) -> list[tuple[Action, str, str]]:
    """What is wrong with one rule's actions taken together, as (action, the form
    field to show the message on, message)."""
    problems: list[tuple[Action, str, str]] = []
    if any(a.kind == Kind.REJECT for a in actions):
        for action in actions:
            if action.kind not in (Kind.REJECT, Kind.STOP):
                problems.append(
                    (
                        action,
                        "kind",
                        gettext(
                            "A rule that rejects the ticket cannot also “%(kind)s”: a rejected "
                            "ticket is never created."
                        )
                        % {"kind": action.get_kind_display()},
                    )
                )
    seen: dict[str, Action] = {}
    for action in actions:
        if action.kind not in SINGLE_KINDS:
            continue
        first = seen.setdefault(action.kind, action)
        if first is not action and first.target_key() != action.target_key():
            problems.append(
                (
                    action,
                    action.target_column or "kind",
                    gettext(
                        "Two different “%(kind)s” actions in one rule (“%(first)s” and "
                        "“%(second)s”); keep one."
                    )
                    % {
                        "kind": action.get_kind_display(),
                        "first": first.target_label(),
                        "second": action.target_label(),
                    },
                )
            )
    department = department_set_by(actions)
    for action in actions:
        agent = action.agent if action.kind == Kind.ASSIGN_AGENT else None
        if agent is not None and department is not None and not agent_has_access(agent, department):
            problems.append(
                (
                    action,
                    "agent",
                    gettext(
                        "%(agent)s has no access to the %(department)s department this rule "
                        "sets; give them access or choose another agent."
                    )
                    % {"agent": agent, "department": department},
                )
            )
    return problems
