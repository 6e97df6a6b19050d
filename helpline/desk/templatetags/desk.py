from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop

from helpline.desk import saved_views
from helpline.tickets import reasons
from helpline.tickets.models import Event, Score
from helpline.tickets.reasons import OWN_KEY

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


@register.filter
def reason_html(event: Event) -> SafeString:
    """An event's reason: Helpline's own in the viewer's language, a typed one as
    typed inside `translate="no"` (people's words are not the page's language)."""
    if event.data.get(OWN_KEY):
        return SafeString(conditional_escape(reasons.translate_reason(event.reason)))
    return format_html('<span translate="no">{}</span>', event.reason)


@register.filter
def level_html(stored: str) -> SafeString:
    """An escalation level as an event stored it: an unnamed level's "Level 2" in
    the viewer's language, a name an administrator gave as given."""
    shown = reasons.level_name(stored)
    if shown == stored and stored:
        return format_html('<span translate="no">{}</span>', stored)
    return SafeString(conditional_escape(shown))


@register.filter
def score_label(event: Event) -> str:
    """A rating's score in the viewer's language (the event stores its key in data)."""
    score = event.data.get("score")
    return str(Score(score).label) if score in Score.values else event.new_value


@register.filter
def sla_state(ticket: Any) -> tuple[str, Any]:
    """The ticket's SLA state for the queues' "SLA" column: (kind, words)."""
    return saved_views.sla_state(ticket)
