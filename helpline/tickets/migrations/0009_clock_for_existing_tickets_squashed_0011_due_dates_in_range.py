"""tickets 0009-0011, squashed (squashmigrations; the data steps of 0009 and 0011
copied here, in their order, after 0010's table).

Both data steps are kept: this runs on installs that have tickets 0001-0008 and
their tickets. They come last, after HeldReply's table: on PostgreSQL a migration
that has updated rows of a table may not index or constrain that table later in
its transaction ("pending trigger events"); the only statements Django holds
back to the end of this one index tickets_heldreply, which no data step touches.
"""

from datetime import UTC, datetime

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


# tickets 0009 (forwards), as it is there.
def clock_for_existing_tickets(apps, schema_editor):
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


# tickets 0011 (forwards), as it is there.
# helpline.lib.bounds.LATEST when this was written (a migration keeps its own copy).
LATEST = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

FIELDS = ("due_at", "first_response_due_at", "sla_alarm_at")


def due_dates_in_range(apps, schema_editor):
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
    replaces = [
        ("tickets", "0009_clock_for_existing_tickets"),
        ("tickets", "0010_held_replies"),
        ("tickets", "0011_due_dates_in_range"),
    ]

    dependencies = [
        ("accounts", "0004_department_closing"),
        ("sla", "0005_clock_pauses"),
        ("tickets", "0008_rated_event"),
    ]

    operations = [
        migrations.CreateModel(
            name="HeldReply",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sender_name", models.CharField(blank=True, max_length=200)),
                ("sender_email", models.CharField(max_length=254)),
                (
                    "reasons",
                    models.JSONField(default=list, help_text="Reason codes, see HeldReply.Reason."),
                ),
                ("detail", models.CharField(blank=True, max_length=500)),
                ("body", models.TextField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("web", "Web"),
                            ("email", "Email"),
                            ("api", "API"),
                            ("phone", "Phone"),
                            ("other", "Other"),
                        ],
                        default="email",
                        max_length=10,
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("held", "Held for review"),
                            ("accepted", "Accepted"),
                            ("dismissed", "Dismissed"),
                        ],
                        default="held",
                        max_length=10,
                    ),
                ),
                ("received_at", models.DateTimeField()),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.customer",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.agent",
                    ),
                ),
                (
                    "note",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="held_reply",
                        to="tickets.entry",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="held_replies",
                        to="tickets.ticket",
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("assigned", "Assigned"),
                    ("released", "Released"),
                    ("transferred", "Transferred"),
                    ("status", "Status changed"),
                    ("replied", "Replied"),
                    ("customer_replied", "Customer replied"),
                    ("note", "Note added"),
                    ("resolved", "Resolved"),
                    ("closed", "Closed"),
                    ("reopened", "Reopened"),
                    ("edited", "Edited"),
                    ("overdue", "Marked overdue"),
                    ("collaborator", "Collaborator added"),
                    ("sla", "SLA changed"),
                    ("escalated", "Escalated"),
                    ("routed", "Routing rule applied"),
                    ("unassignable", "No agent available"),
                    ("linked", "Follow-up ticket"),
                    ("rated", "Rated by the customer"),
                    ("held", "Mail held for review"),
                    ("held_accepted", "Held mail accepted"),
                    ("held_dismissed", "Held mail dismissed"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(
            code=clock_for_existing_tickets,
            reverse_code=migrations.RunPython.noop,
        ),
        migrations.RunPython(
            code=due_dates_in_range,
            reverse_code=migrations.RunPython.noop,
        ),
    ]
