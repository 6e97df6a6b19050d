from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext, gettext_noop

from helpline.tickets.reasons import translate_reason

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
def event_reason(reason: str) -> str:
    """The reason of an event in the viewer's language, where the lifecycle wrote it."""
    return translate_reason(reason)
