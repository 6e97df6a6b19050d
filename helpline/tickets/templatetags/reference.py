"""Status and priority names on pages (helpline.tickets.defaults.display_name):

- `{{ ticket.priority|display_name }}` (or `{{ some_name|display_name }}`): the
  name as people read it, the shipped defaults translated, an admin's own names
  as typed. Plain text, for attributes and sentences.
- `{{ ticket.status|shown_name }}`: the same as HTML, a status by its public name
  (the customer label when an admin gave one); a name shown as typed is wrapped in
  `<span translate="no">`, so browsers' translators (and the German page check)
  leave the admin's words alone."""

from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from helpline.tickets.defaults import display_name as _display_name
from helpline.tickets.defaults import is_shipped
from helpline.tickets.models import Status

register = template.Library()


@register.filter
def display_name(value: object) -> str:
    """A Status or Priority (anything with a `name`), or a name as stored (an
    event's old and new values); empty for None."""
    if value is None:
        return ""
    name = getattr(value, "name", value)
    return _display_name(str(name))


@register.filter
def is_typed(value: object) -> bool:
    """Whether a Status's or Priority's name (or a stored name) is an admin's own
    words rather than a shipped default: shown as typed, `translate="no"`."""
    return not is_shipped(str(getattr(value, "name", value)))


@register.filter
def shown_name(value: object, audience: str = "") -> SafeString:
    """A Status (its public name; with "internal", the name agents see) or
    Priority, or a stored name, as HTML: a name typed by an admin inside
    `<span translate="no">`; empty for None."""
    if value is None:
        return SafeString("")
    if isinstance(value, Status) and audience != "internal":
        typed = bool(value.customer_label) or is_typed(value)
        text = value.public_name
    else:
        typed, text = is_typed(value), display_name(value)
    if typed:
        return format_html('<span translate="no">{}</span>', text)
    return SafeString(conditional_escape(text))


# Languages that write nouns with a capital letter inside a sentence too.
_CAPITALISED_NOUNS = {"de"}


@register.filter
def in_sentence(label: object) -> str:
    """A label (a column, a grouping) as it reads inside a sentence: lower-cased in
    English ("by agent"), as it is in German ("nach Mitarbeiter")."""
    text = str(label)
    language = (translation.get_language() or "").split("-")[0]
    return text if language in _CAPITALISED_NOUNS else text.lower()
