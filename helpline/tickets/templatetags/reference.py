"""`{{ ticket.status|display_name }}` (or `{{ some_name|display_name }}`): a status
or priority name as people read it, the shipped defaults translated and an admin's
own names as typed (helpline.tickets.defaults.display_name)."""

from __future__ import annotations

from django import template

from helpline.tickets.defaults import display_name as _display_name

register = template.Library()


@register.filter
def display_name(value: object) -> str:
    """A Status or Priority (anything with a `name`), or a name as stored (an
    event's old and new values); empty for None."""
    if value is None:
        return ""
    name = getattr(value, "name", value)
    return _display_name(str(name))
