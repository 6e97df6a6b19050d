"""The statuses and priorities every install starts with (admins may add more)."""

from django.db import migrations

STATUSES = [
    # name, state, purpose, order
    ("Open", "open", "new", 10),
    ("In Progress", "open", "", 20),
    ("Pending Customer Reply", "open", "", 30),
    ("On Hold", "open", "", 40),
    ("Resolved", "closed", "resolved", 50),
    ("Closed", "closed", "closed", 60),
]
PRIORITIES = [
    # name, urgency, color, default
    ("Low", 1, "#64748b", False),
    ("Normal", 2, "#2563eb", True),
    ("High", 3, "#d97706", False),
    ("Emergency", 4, "#dc2626", False),
]


def create(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    Priority = apps.get_model("tickets", "Priority")
    for name, state, purpose, order in STATUSES:
        Status.objects.get_or_create(
            name=name, defaults={"state": state, "purpose": purpose, "order": order}
        )
    for name, urgency, color, default in PRIORITIES:
        Priority.objects.get_or_create(
            name=name, defaults={"urgency": urgency, "color": color, "is_default": default}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
