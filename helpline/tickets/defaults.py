"""The statuses and priorities every install starts with (admins may add more).

Used by the data migration (with its historical models) and by tests, whose
transactional runs empty every table, migration data included.

The names are stored in English, as shipped, and shown translated: `display_name`
translates a name only while it is still the shipped one, so a status an admin
made or renamed shows exactly as typed. (A translated name is never stored: the
rows and the events that copy their names stay the same in every language.)
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import pgettext_lazy

STATUSES = [
    # name, state, purpose, order, pauses SLA clocks
    ("Open", "open", "new", 10, False),
    ("In Progress", "open", "", 20, False),
    ("Pending Customer Reply", "open", "", 30, True),
    ("On Hold", "open", "", 40, True),
    ("Resolved", "closed", "resolved", 50, False),
    ("Closed", "closed", "closed", 60, False),
]
PRIORITIES = [
    # name, urgency, color, default
    ("Low", 1, "#64748b", False),
    ("Normal", 2, "#2563eb", True),
    ("High", 3, "#d97706", False),
    ("Emergency", 4, "#dc2626", False),
]

# The shipped names in words, with a context so a status "Open" and a button
# "Open" can translate differently. Keep in step with STATUSES and PRIORITIES
# (tickets/tests/test_display_names.py checks it).
SHIPPED_NAMES: dict[str, Promise] = {
    "Open": pgettext_lazy("ticket status", "Open"),
    "In Progress": pgettext_lazy("ticket status", "In Progress"),
    "Pending Customer Reply": pgettext_lazy("ticket status", "Pending Customer Reply"),
    "On Hold": pgettext_lazy("ticket status", "On Hold"),
    "Resolved": pgettext_lazy("ticket status", "Resolved"),
    "Closed": pgettext_lazy("ticket status", "Closed"),
    "Low": pgettext_lazy("ticket priority", "Low"),
    "Normal": pgettext_lazy("ticket priority", "Normal"),
    "High": pgettext_lazy("ticket priority", "High"),
    "Emergency": pgettext_lazy("ticket priority", "Emergency"),
}


def is_shipped(name: str) -> bool:
    """True for a name Helpline ships (shown translated), False for an admin's own."""
    return name in SHIPPED_NAMES


def display_name(name: str) -> str:
    """A status or priority name for people to read: the shipped default names in
    the active language, any other name (an admin's own) as typed."""
    shipped = SHIPPED_NAMES.get(name)
    return str(shipped) if shipped is not None else name


# For values rendered later, in another language: agents' alert mail, rendered in
# each recipient's language (notify.compose), gets the name in theirs.
lazy_display_name = lazy(display_name, str)


def ensure_defaults(status_model: Any = None, priority_model: Any = None) -> None:
    if status_model is None or priority_model is None:
        from helpline.tickets.models import Priority, Status

        status_model, priority_model = Status, Priority
    # Early migrations run this with historical models that predate `pauses_sla`.
    has_pauses = any(f.name == "pauses_sla" for f in status_model._meta.get_fields())
    for name, state, purpose, order, pauses in STATUSES:
        defaults: dict[str, Any] = {"state": state, "purpose": purpose, "order": order}
        if has_pauses:
            defaults["pauses_sla"] = pauses
        status_model.objects.get_or_create(name=name, defaults=defaults)
    for name, urgency, color, default in PRIORITIES:
        priority_model.objects.get_or_create(
            name=name, defaults={"urgency": urgency, "color": color, "is_default": default}
        )
