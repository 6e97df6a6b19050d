from datetime import UTC, datetime

from django.db import migrations

# helpline.lib.bounds.LATEST when this was written (a migration keeps its own copy).
LATEST = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
FIELDS = ("due_at", "first_response_due_at", "sla_alarm_at")


def forwards(apps, schema_editor):
    """Bring due times stored before they were bounded into the range of dates.

    The REST API accepted a due date of 9999-12-31T23:59:59Z; shown in any time
    zone east of UTC it is year 10000, which Python cannot hold, so the ticket
    page answered 500 and the queue CSV stopped mid-file. Such a date means "not
    for a very long time": the last moment of the range keeps that meaning (the
    ticket stays due by hand, never overdue in practice) and every page can show
    it. The SLA sweep recomputes the alarm when it looks at the ticket."""
    Ticket = apps.get_model("tickets", "Ticket")
    for field in FIELDS:
        Ticket.objects.filter(**{f"{field}__gt": LATEST}).update(**{field: LATEST})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_held_replies")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
