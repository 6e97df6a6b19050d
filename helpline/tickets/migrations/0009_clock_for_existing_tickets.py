from django.db import migrations
from django.db.models import Min, OuterRef, Subquery


def forwards(apps, schema_editor):
    """Bring tickets from before the SLA clock in line with it: answered tickets
    know when they were first answered (so a first-response target is never set
    on them again), and open tickets sitting in a status their plan pauses on are
    paused (else the sweep would mark them overdue on upgrade)."""
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")
    ClockPause = apps.get_model("sla", "ClockPause")
    first_reply = (
        Entry.objects.filter(ticket=OuterRef("pk"), kind="reply", agent__isnull=False)
        .values("ticket")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    Ticket.objects.filter(first_response_at__isnull=True).update(
        first_response_at=Subquery(first_reply)
    )
    waiting = Ticket.objects.filter(
        state="open", sla_paused_at__isnull=True, sla__isnull=False
    ).select_related("sla")
    for ticket in waiting.iterator():
        if not ticket.sla.pause_statuses.filter(pk=ticket.status_id).exists():
            continue
        ticket.sla_paused_at = ticket.updated_at
        ticket.sla_alarm_at = None
        ticket.save(update_fields=["sla_paused_at", "sla_alarm_at"])
        ClockPause.objects.create(ticket=ticket, started_at=ticket.updated_at)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_rated_event"),
        ("sla", "0005_clock_pauses"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
