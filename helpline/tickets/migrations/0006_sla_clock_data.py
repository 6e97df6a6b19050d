from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    Ticket = apps.get_model("tickets", "Ticket")
    SLAPlan = apps.get_model("sla", "SLAPlan")
    # The statuses that pause the clock out of the box (a name is the only handle
    # a migration has on rows admins may have renamed since; renamed ones stay off).
    Status.objects.filter(name__in=["Pending Customer Reply", "On Hold"]).update(pauses_sla=True)
    pausing = list(Status.objects.filter(pauses_sla=True))
    for plan in SLAPlan.objects.all():
        plan.pause_statuses.set(pausing)
    # Existing tickets: their clock started when they opened; the sweep looks at
    # open ones whose resolution target has not been marked missed.
    Ticket.objects.filter(sla_started_at__isnull=True).update(sla_started_at=F("created_at"))
    Ticket.objects.filter(is_overdue=True).update(resolution_breached=True)
    Ticket.objects.filter(state="open", is_overdue=False, due_at__isnull=False).update(
        sla_alarm_at=F("due_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_sla_clock"),
        ("sla", "0004_targets_pauses_escalation"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
