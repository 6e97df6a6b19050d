from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.translation import gettext, gettext_lazy, gettext_noop

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "") if mapping else ""


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form: Any, name: str) -> Any:
    return form[name]


# The lifecycle stores "System" as the actor name of changes nobody made by hand
# (helpline.tickets.lifecycle.core.actor_name); the timeline shows it translated.
gettext_noop("System")


@register.filter
def actor(event: Any) -> str:
    """The name of who made the change; the clock and the rules read "System"."""
    name = str(event.actor_name)
    if name == "System" and event.agent_id is None and event.customer_id is None:
        return gettext("System")
    return name


# Reasons the lifecycle writes itself, in English, into Event.reason (typed
# reasons are stored as typed). They are translated here, when the timeline is
# shown, so that each viewer reads them in their own language whatever language
# was active when the event was written. A reason that matches none of these
# (a typed one, or one whose wording changed) is shown as stored.
_FIXED_REASONS = {
    "First response sent": gettext_lazy("First response sent"),
    "New due date": gettext_lazy("New due date"),
    "Claimed by replying": gettext_lazy("Claimed by replying"),
    "The customer replied": gettext_lazy("The customer replied"),
    "Plan of the new help topic": gettext_lazy("Plan of the new help topic"),
    "Plan of the new department": gettext_lazy("Plan of the new department"),
    "Plan of the new default": gettext_lazy("Plan of the new default"),
}
_PATTERN_REASONS = [
    (
        re.compile(r"Opened by (?P<agent>.+) for (?P<customer>.+)"),
        gettext_lazy("Opened by %(agent)s for %(customer)s"),
    ),
    (re.compile(r"Canned reply: (?P<title>.+)"), gettext_lazy("Canned reply: %(title)s")),
    (re.compile(r"Now on (?P<plan>.+)"), gettext_lazy("Now on %(plan)s")),
    (
        re.compile(r"The customer wrote more than (?P<days>\d+) days after it ended"),
        gettext_lazy("The customer wrote more than %(days)s days after it ended"),
    ),
    (
        re.compile(r"Closed automatically: no reply (?P<days>\d+) days after it was resolved"),
        gettext_lazy("Closed automatically: no reply %(days)s days after it was resolved"),
    ),
    (re.compile(r"No access to (?P<department>.+)"), gettext_lazy("No access to %(department)s")),
    # What a routing rule did (helpline.automation.rules._sentence), "; "-joined.
    (re.compile(r"Rejected the ticket: (?P<why>.+)"), gettext_lazy("Rejected the ticket: %(why)s")),
    (re.compile(r"Set department to (?P<name>.+)"), gettext_lazy("Set department to %(name)s")),
    (re.compile(r"Set help topic to (?P<name>.+)"), gettext_lazy("Set help topic to %(name)s")),
    (re.compile(r"Set priority to (?P<name>.+)"), gettext_lazy("Set priority to %(name)s")),
    (re.compile(r"Set SLA plan to (?P<name>.+)"), gettext_lazy("Set SLA plan to %(name)s")),
    (re.compile(r"Set status to (?P<name>.+)"), gettext_lazy("Set status to %(name)s")),
    (re.compile(r"Assigned to team (?P<name>.+)"), gettext_lazy("Assigned to team %(name)s")),
    (re.compile(r"Assigned to (?P<name>.+)"), gettext_lazy("Assigned to %(name)s")),
    (re.compile(r"Disabled the autoresponse"), gettext_lazy("Disabled the autoresponse")),
    (
        re.compile(r"Sent canned reply “(?P<title>.+)”"),
        gettext_lazy("Sent canned reply “%(title)s”"),
    ),
    (re.compile(r"Added collaborator (?P<email>.+)"), gettext_lazy("Added collaborator %(email)s")),
    (
        re.compile(r"Stopped processing further rules"),
        gettext_lazy("Stopped processing further rules"),
    ),
]


@register.filter
def event_reason(reason: str) -> str:
    """The reason of an event in the viewer's language, where the lifecycle wrote it."""
    if reason in _FIXED_REASONS:
        return str(_FIXED_REASONS[reason])
    parts = reason.split("; ")  # a routing rule's actions, each translated on its own
    return "; ".join(_one_reason(part) or part for part in parts)


def _one_reason(reason: str) -> str:
    for pattern, text in _PATTERN_REASONS:
        if match := pattern.fullmatch(reason):
            return str(text) % match.groupdict()
    return ""
