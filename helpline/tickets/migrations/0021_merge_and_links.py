"""Merging, linking and splitting tickets (issue 14): `Ticket.merged_into`,
`Entry.merged_from` (what an undo moves back), `TicketLink`, and the event kinds.

Both new columns are nullable foreign keys without a default: an ALTER TABLE ADD
COLUMN on SQLite and PostgreSQL alike (no copy of the tickets or entries table),
each with a partial index that holds only the merged rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0020_walk_in_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="merged_from",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tickets.ticket",
                verbose_name="merged from",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The ticket this one was merged into; its thread is there now.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="merged_here",
                to="tickets.ticket",
                verbose_name="merged into",
            ),
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
                    ("collaborator_removed", "Collaborator removed"),
                    ("sla", "SLA changed"),
                    ("escalated", "Escalated"),
                    ("routed", "Routing rule applied"),
                    ("unassignable", "No agent available"),
                    ("linked", "Follow-up ticket"),
                    ("rated", "Rated by the customer"),
                    ("held", "Mail held for review"),
                    ("held_accepted", "Held mail accepted"),
                    ("held_dismissed", "Held mail dismissed"),
                    ("merged", "Merged into another ticket"),
                    ("merged_in", "Another ticket merged in"),
                    ("unmerged", "Merge undone"),
                    ("link_added", "Link added"),
                    ("link_removed", "Link removed"),
                    ("split", "Message split off"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(
                condition=models.Q(("merged_from__isnull", False)),
                fields=["merged_from"],
                name="entry_merged_from",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="ticket_merged_into",
            ),
        ),
        migrations.CreateModel(
            name="TicketLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("related", "Related"), ("parent", "Parent and child")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links_to",
                        to="tickets.ticket",
                        verbose_name="other ticket",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links_from",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "ticket link",
                "verbose_name_plural": "ticket links",
                "constraints": [
                    models.UniqueConstraint(fields=("ticket", "other"), name="ticketlink_unique"),
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "parent")),
                        fields=("other",),
                        name="ticketlink_one_parent",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("ticket", models.F("other")), _negated=True),
                        name="ticketlink_not_itself",
                    ),
                ],
            },
        ),
    ]
