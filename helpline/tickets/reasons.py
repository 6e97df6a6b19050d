"""The reasons Helpline writes into `Event.reason` itself, and their translation.

A reason is stored once and read by people in different languages (the desk's
timeline, agents' alert mail, the API), so the lifecycle stores its own reasons in
English, marked as its own (`own(...)`: `Change.event` records the mark in the
event's data), and each reader gets them translated when they are shown
(`event_reason`). A reason a person typed (an agent's "why", a rating's comment)
carries no mark and is shown as typed, however much it looks like one of ours.

Each sentence the lifecycle writes has its English template here, in `SENTENCES`
or `PATTERNS`; helpline/tickets/tests/test_reasons.py checks that every `own(...)`
in the code matches one, and writes the common ones through the lifecycle and
reads them back in German."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.db.models import Choices
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, gettext_lazy

from helpline.accounts.models import AssignmentMode
from helpline.sla.models import Target
from helpline.tickets.models import Event, HeldReply

OWN_KEY = "own_reason"  # in Event.data: the reason is one of these, not typed


class Own(str):
    """A reason Helpline wrote (translated when shown), not one a person typed."""


def own(text: str) -> Own:
    return Own(text)


def english(text: str | Promise | Callable[[], str]) -> str:
    """A (lazy) label, or what a function says, in English, as reasons are stored,
    whatever language the writer reads."""
    with translation.override("en"):
        return text() if callable(text) else str(text)


def _choice(choices: type[Choices], *, lower: bool = False) -> Callable[[str], str]:
    """Translates a choice label stored in English (lower-cased with `lower`)."""

    def translate(stored: str) -> str:
        for member in choices:
            label = english(member.label)
            if (label.lower() if lower else label) == stored:
                shown = str(member.label)
                return shown.lower() if lower and translation.get_language() == "en" else shown
        return stored

    return translate


@dataclass(frozen=True)
class Pattern:
    """An English sentence with named parts, and its translation. `parts` says how a
    part that is itself stored English (a mode, a target, a reason) is translated."""

    regex: re.Pattern[str]
    text: Promise
    parts: dict[str, Callable[[str], str]] = field(default_factory=dict)

    def translate(self, reason: str) -> str:
        match = self.regex.fullmatch(reason)
        if match is None:
            return ""
        values = {k: self.parts.get(k, str)(v) for k, v in match.groupdict().items()}
        return str(self.text) % values


def _p(regex: str, text: Promise, **parts: Callable[[str], str]) -> Pattern:
    return Pattern(re.compile(regex, re.DOTALL), text, parts)


_mode = _choice(AssignmentMode, lower=True)
_target = _choice(Target, lower=True)
_Target = _choice(Target)

SENTENCES: dict[str, Promise] = {
    "First response sent": gettext_lazy("First response sent"),
    "New due date": gettext_lazy("New due date"),
    "Claimed by replying": gettext_lazy("Claimed by replying"),
    "The customer replied": gettext_lazy("The customer replied"),
    "Plan of the new help topic": gettext_lazy("Plan of the new help topic"),
    "Plan of the new department": gettext_lazy("Plan of the new department"),
    "Plan of the new default": gettext_lazy("Plan of the new default"),
    "Routing rule": gettext_lazy("Routing rule"),
}

PATTERNS: list[Pattern] = [
    _p(
        r"Opened by (?P<agent>.+) for (?P<customer>.+)",
        gettext_lazy("Opened by %(agent)s for %(customer)s"),
    ),
    _p(r"Canned reply: (?P<title>.+)", gettext_lazy("Canned reply: %(title)s")),
    _p(r"Now on (?P<plan>.+)", gettext_lazy("Now on %(plan)s")),
    _p(
        r"The customer wrote more than (?P<days>\d+) days after it ended",
        gettext_lazy("The customer wrote more than %(days)s days after it ended"),
    ),
    _p(
        r"Closed automatically: no reply (?P<days>\d+) days after it was resolved",
        gettext_lazy("Closed automatically: no reply %(days)s days after it was resolved"),
    ),
    _p(r"No access to (?P<department>.+)", gettext_lazy("No access to %(department)s")),
    # Automatic assignment (lifecycle.auto_assignment, lifecycle.assignment).
    _p(
        r"Automatic assignment \((?P<mode>[^()]+)\)",
        gettext_lazy("Automatic assignment (%(mode)s)"),
        mode=_mode,
    ),
    _p(
        r"Nobody in the team (?P<team>.+) is available \((?P<mode>[^()]+)\): everyone is off "
        r"shift, on vacation, inactive or at their cap\.",
        gettext_lazy(
            "Nobody in the team %(team)s is available (%(mode)s): everyone is off shift, on "
            "vacation, inactive or at their cap."
        ),
        mode=_mode,
    ),
    _p(
        r"Nobody in (?P<department>.+) is available \((?P<mode>[^()]+)\): everyone is off "
        r"shift, on vacation, inactive or at their cap\.",
        gettext_lazy(
            "Nobody in %(department)s is available (%(mode)s): everyone is off shift, on "
            "vacation, inactive or at their cap."
        ),
        mode=_mode,
    ),
    _p(r"(?P<agent>.+) is not available", gettext_lazy("%(agent)s is not available")),
    _p(r"Follows #(?P<number>\d+)", gettext_lazy("Follows #%(number)s")),
    _p(r"Help topic (?P<name>.+)", gettext_lazy("Help topic %(name)s")),
    _p(r"Escalation: (?P<level>.+)", gettext_lazy("Escalation: %(level)s")),
    # SLA targets and escalation levels (lifecycle.escalation, sla.models.describe).
    _p(
        r"(?P<target>.+) target missed \(due (?P<due>[\d-]+ [\d:]+) UTC\)",
        gettext_lazy("%(target)s target missed (due %(due)s UTC)"),
        target=_Target,
    ),
    _p(
        r"SLA: at (?P<percent>\d+) % of the (?P<target>.+) target",
        gettext_lazy("SLA: at %(percent)s %% of the %(target)s target"),
        target=_target,
    ),
    _p(
        r"SLA: (?P<minutes>\d+) min after the (?P<target>.+) target",
        gettext_lazy("SLA: %(minutes)s min after the %(target)s target"),
        target=_target,
    ),
    _p(
        r"SLA: when the (?P<target>.+) target passes",
        gettext_lazy("SLA: when the %(target)s target passes"),
        target=_target,
    ),
    # Held mail (lifecycle.held).
    _p(
        r"(?P<sender>.+), whose held mail was accepted",
        gettext_lazy("%(sender)s, whose held mail was accepted"),
    ),
    # What a routing rule did (helpline.automation.rules._sentence), "; "-joined.
    _p(r"Rejected the ticket: (?P<why>.+)", gettext_lazy("Rejected the ticket: %(why)s")),
    _p(r"Set department to (?P<name>.+)", gettext_lazy("Set department to %(name)s")),
    _p(r"Set help topic to (?P<name>.+)", gettext_lazy("Set help topic to %(name)s")),
    _p(r"Set priority to (?P<name>.+)", gettext_lazy("Set priority to %(name)s")),
    _p(r"Set SLA plan to (?P<name>.+)", gettext_lazy("Set SLA plan to %(name)s")),
    _p(r"Set status to (?P<name>.+)", gettext_lazy("Set status to %(name)s")),
    _p(r"Assigned to team (?P<name>.+)", gettext_lazy("Assigned to team %(name)s")),
    _p(r"Assigned to (?P<name>.+)", gettext_lazy("Assigned to %(name)s")),
    _p(r"Disabled the autoresponse", gettext_lazy("Disabled the autoresponse")),
    _p(r"Sent canned reply “(?P<title>.+)”", gettext_lazy("Sent canned reply “%(title)s”")),
    _p(r"Added collaborator (?P<email>.+)", gettext_lazy("Added collaborator %(email)s")),
    _p(r"Stopped processing further rules", gettext_lazy("Stopped processing further rules")),
]


def _one(reason: str) -> str:
    if reason in SENTENCES:
        return str(SENTENCES[reason])
    for pattern in PATTERNS:
        if shown := pattern.translate(reason):
            return shown
    return ""


def _cannot_take(reason: str) -> str:
    """'<reason>: <agent> cannot take it (…)': the reason before it is one too."""
    match = _CANNOT_TAKE.fullmatch(reason)
    if match is None:
        return ""
    parts = match.groupdict()
    return str(_CANNOT_TAKE_TEXT) % {**parts, "reason": translate_reason(parts["reason"])}


_CANNOT_TAKE = re.compile(
    r"(?P<reason>.+): (?P<agent>.+) cannot take it \(inactive or no access to (?P<department>.+)\)",
    re.DOTALL,
)
_CANNOT_TAKE_TEXT = gettext_lazy(
    "%(reason)s: %(agent)s cannot take it (inactive or no access to %(department)s)"
)


def translate_reason(reason: str) -> str:
    """`reason` in the active language where the lifecycle wrote it, else as stored."""
    if not reason:
        return reason
    if shown := _one(reason) if reason in SENTENCES else _held(reason) or _cannot_take(reason):
        return shown
    # One sentence, or several (a routing rule's actions), each translated alone.
    return "; ".join(_one(part) or part for part in reason.split("; "))


def _held(reason: str) -> str:
    """A held mail's reasons: their English labels, "; "-joined (a label may hold
    "; " itself, so the labels are found whole, longest first)."""
    rest, shown = reason, []
    while rest:
        found = next(((e, m) for e, m in _held_labels() if rest.startswith(e)), None)
        if found is None:
            return ""
        english_label, member = found
        shown.append(str(member.label))
        rest = rest[len(english_label) :].removeprefix("; ")
    return "; ".join(shown)


@cache
def _held_labels() -> list[tuple[str, HeldReply.Reason]]:
    """(English label, reason), longest label first: worked out once."""
    labels = [(english(r.label), r) for r in HeldReply.Reason]
    return sorted(labels, key=lambda pair: -len(pair[0]))


def event_reason(event: Event) -> str:
    """An event's reason as its reader should see it: ours translated, typed as typed."""
    if event.data.get(OWN_KEY):
        return translate_reason(event.reason)
    return event.reason


_LEVEL = re.compile(r"Level (?P<order>\d+)")


def level_name(stored: str) -> str:
    """An escalation level's name as stored in an event: an unnamed level's
    "Level 2" (written in English) in the active language, a named one as named."""
    if match := _LEVEL.fullmatch(stored):
        return gettext("Level %(order)s") % {"order": match["order"]}
    return stored


# For values rendered later, in another language (agents' alert mail).
lazy_reason = lazy(event_reason, str)
