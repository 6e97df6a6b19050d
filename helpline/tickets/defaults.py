"""The statuses and priorities every install starts with (admins may add more).

Used by the data migration (with its historical models) and by tests, whose
transactional runs empty every table, migration data included.
"""

from __future__ import annotations

from typing import Any

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
