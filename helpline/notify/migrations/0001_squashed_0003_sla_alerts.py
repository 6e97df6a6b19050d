"""notify 0001-0003, squashed (squashmigrations, and by hand: one call of
`ensure_templates`, after the tables, instead of 0002's and 0003's; it makes the
rows of every kind of mail the code knows, both calls made the same rows).

notify is squashed in two parts: feedback 0002 depends on notify 0003, tickets
0012 on feedback, and 0006 (the labels) on tickets 0013.
"""

import django.db.models.deletion
from django.db import migrations, models

from helpline.notify.defaults import ensure_templates


# notify 0002 (and 0003, the same function), as it is there.
def create(apps, schema_editor):
    ensure_templates(apps.get_model("notify", "MailTemplate"))


class Migration(migrations.Migration):
    replaces = [
        ("notify", "0001_initial"),
        ("notify", "0002_default_templates"),
        ("notify", "0003_sla_alerts"),
    ]

    initial = True

    dependencies = [
        ("tickets", "0004_collaborators_autorespond"),
    ]

    operations = [
        migrations.CreateModel(
            name="MailTemplate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.CharField(
                        choices=[
                            ("autoresponse", "New-ticket autoresponse (to the customer)"),
                            ("new_ticket_alert", "New-ticket alert (to the department's agents)"),
                            ("assigned_alert", "Assignment alert (to the assignee or the team)"),
                            ("transfer_alert", "Transfer alert (to the new department)"),
                            ("reply", "Agent reply (to the customer and collaborators)"),
                            ("resolved", "Resolution notice (to the customer and collaborators)"),
                            ("reopened_alert", "Reopen notice (to the assignee)"),
                            (
                                "overdue_alert",
                                "Overdue alert (to the assignee or team, and the manager)",
                            ),
                            (
                                "escalation_alert",
                                "Escalation alert (to the people the level names)",
                            ),
                            ("unassignable_alert", "Nobody available (to the department manager)"),
                        ],
                        max_length=40,
                        unique=True,
                    ),
                ),
                ("subject", models.CharField(max_length=255)),
                (
                    "text_body",
                    models.TextField(help_text="The plain-text version; every mail has one."),
                ),
                (
                    "html_body",
                    models.TextField(
                        blank=True,
                        help_text="The HTML version; leave empty to send plain text only.",
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True,
                        help_text="Untick to stop sending this kind of mail altogether.",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["key"],
            },
        ),
        migrations.CreateModel(
            name="OutboundMessage",
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
                        choices=[
                            ("autoresponse", "New-ticket autoresponse (to the customer)"),
                            ("new_ticket_alert", "New-ticket alert (to the department's agents)"),
                            ("assigned_alert", "Assignment alert (to the assignee or the team)"),
                            ("transfer_alert", "Transfer alert (to the new department)"),
                            ("reply", "Agent reply (to the customer and collaborators)"),
                            ("resolved", "Resolution notice (to the customer and collaborators)"),
                            ("reopened_alert", "Reopen notice (to the assignee)"),
                            (
                                "overdue_alert",
                                "Overdue alert (to the assignee or team, and the manager)",
                            ),
                            (
                                "escalation_alert",
                                "Escalation alert (to the people the level names)",
                            ),
                            ("unassignable_alert", "Nobody available (to the department manager)"),
                        ],
                        max_length=40,
                    ),
                ),
                ("from_email", models.CharField(max_length=320)),
                ("to", models.JSONField(default=list, help_text="Addresses, as 'Name <address>'.")),
                ("cc", models.JSONField(blank=True, default=list)),
                ("subject", models.TextField()),
                ("text", models.TextField()),
                ("html", models.TextField(blank=True)),
                ("message_id", models.CharField(max_length=255)),
                ("in_reply_to", models.CharField(blank=True, max_length=255)),
                (
                    "references",
                    models.TextField(blank=True, help_text="Space-separated Message-IDs."),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField()),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "event",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="outbound",
                        to="tickets.event",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outbound",
                        to="tickets.ticket",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status__in", ["pending", "sending"])),
                        fields=["next_attempt_at"],
                        name="outbound_pending_due",
                    ),
                    models.Index(fields=["ticket", "created_at"], name="outbound_ticket_created"),
                    models.Index(
                        condition=models.Q(("status", "failed")),
                        fields=["created_at"],
                        name="outbound_failed_created",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("message_id",), name="outbound_message_id_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(
            code=create,
            reverse_code=migrations.RunPython.noop,
        ),
    ]
