"""tickets 0001-0004, squashed (squashmigrations, and by hand: 0002's statuses and
priorities made after the tables, so that 0003's index changes fold into the
CreateModel of Ticket).

tickets is squashed in parts, at the points where other apps' migrations sit
between its own: sla 0004 (which points at Status and Priority) comes after 0004
and before 0005, sla 0005 before 0009, feedback (whose Rating table 0012 takes
over) after 0009. 0005-0008 stay as they are (docs/decisions.md, "Squashed
migrations").
"""

import django.db.models.deletion
from django.db import migrations, models

import helpline.tickets.models
from helpline.tickets.defaults import ensure_defaults


# tickets 0002, as it is there.
def create(apps, schema_editor):
    ensure_defaults(apps.get_model("tickets", "Status"), apps.get_model("tickets", "Priority"))


class Migration(migrations.Migration):
    replaces = [
        ("tickets", "0001_initial"),
        ("tickets", "0002_defaults"),
        ("tickets", "0003_queue_index_order"),
        ("tickets", "0004_collaborators_autorespond"),
    ]

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_collaborators_autorespond"),
        ("sla", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="IssuedNumber",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.CharField(max_length=20, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="Priority",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40, unique=True)),
                (
                    "urgency",
                    models.PositiveSmallIntegerField(
                        help_text="Higher is more urgent.", unique=True
                    ),
                ),
                ("color", models.CharField(default="#64748b", max_length=7)),
                ("is_default", models.BooleanField(default=False)),
            ],
            options={
                "verbose_name_plural": "priorities",
                "ordering": ["urgency"],
            },
        ),
        migrations.CreateModel(
            name="Entry",
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
                            ("message", "Message"),
                            ("reply", "Reply"),
                            ("note", "Internal note"),
                        ],
                        max_length=10,
                    ),
                ),
                ("author_name", models.CharField(max_length=200)),
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
                        default="web",
                        max_length=10,
                    ),
                ),
                ("is_resolution", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField()),
                (
                    "agent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.agent",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.customer",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "entries",
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="Attachment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "file",
                    models.FileField(
                        max_length=255, upload_to=helpline.tickets.models.attachment_path
                    ),
                ),
                ("filename", models.CharField(max_length=255)),
                ("content_type", models.CharField(max_length=120)),
                ("size", models.PositiveIntegerField()),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attachments",
                        to="tickets.entry",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="HelpTopic",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True)),
                (
                    "is_public",
                    models.BooleanField(
                        default=True, help_text="Customers can pick it on the portal."
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                ("order", models.PositiveSmallIntegerField(default=100)),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="topics",
                        to="accounts.department",
                    ),
                ),
                (
                    "sla",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="sla.slaplan",
                        verbose_name="SLA plan",
                    ),
                ),
                (
                    "priority",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="tickets.priority",
                    ),
                ),
            ],
            options={
                "ordering": ["order", "name"],
            },
        ),
        migrations.CreateModel(
            name="Status",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=60, unique=True)),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed"), ("archived", "Archived")],
                        default="open",
                        max_length=10,
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "—"),
                            ("new", "New and reopened tickets"),
                            ("resolved", "Resolving"),
                            ("closed", "Closing"),
                        ],
                        max_length=10,
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=100)),
                (
                    "customer_label",
                    models.CharField(
                        blank=True,
                        help_text="What customers see; empty shows the name.",
                        max_length=60,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "statuses",
                "ordering": ["order", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("purpose", ""), _negated=True),
                        fields=("purpose",),
                        name="status_purpose_unique",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Ticket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.CharField(max_length=20, unique=True)),
                ("subject", models.CharField(max_length=255)),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed"), ("archived", "Archived")],
                        default="open",
                        max_length=10,
                    ),
                ),
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
                        default="web",
                        max_length=10,
                    ),
                ),
                ("due_at", models.DateTimeField(blank=True, null=True)),
                ("is_overdue", models.BooleanField(default=False)),
                (
                    "extra",
                    models.JSONField(
                        blank=True, default=dict, help_text="Answers to topic fields."
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("reopen_count", models.PositiveIntegerField(default=0)),
                ("last_message_at", models.DateTimeField(blank=True, null=True)),
                ("last_response_at", models.DateTimeField(blank=True, null=True)),
                ("version", models.PositiveIntegerField(default=1)),
                (
                    "assignee",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_tickets",
                        to="accounts.agent",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.customer",
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.department",
                    ),
                ),
                (
                    "priority",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="tickets.priority"
                    ),
                ),
                (
                    "sla",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="sla.slaplan",
                        verbose_name="SLA plan",
                    ),
                ),
                (
                    "status",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="tickets.status"
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="accounts.team",
                    ),
                ),
                (
                    "topic",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="tickets.helptopic",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["state", "is_overdue", "due_at"], name="ticket_state_overdue_due"
                    ),
                    models.Index(
                        fields=["customer", "-created_at"], name="ticket_customer_created"
                    ),
                    models.Index(fields=["state", "updated_at", "id"], name="ticket_state_updated"),
                    models.Index(
                        fields=["department", "state", "updated_at", "id"],
                        name="ticket_dept_state_updated",
                    ),
                    models.Index(
                        fields=["assignee", "state", "updated_at", "id"],
                        name="ticket_assignee_state_upd",
                    ),
                    models.Index(
                        fields=["team", "state", "updated_at", "id"],
                        name="ticket_team_state_updated",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Event",
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
                        ],
                        max_length=20,
                    ),
                ),
                ("actor_name", models.CharField(max_length=200)),
                ("field", models.CharField(blank=True, max_length=40)),
                ("old_value", models.CharField(blank=True, max_length=255)),
                ("new_value", models.CharField(blank=True, max_length=255)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField()),
                (
                    "agent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.agent",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.customer",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.ticket",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [
                    models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
                    models.Index(fields=["kind", "created_at"], name="event_kind_created"),
                ],
            },
        ),
        migrations.CreateModel(
            name="TopicField",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.SlugField(help_text="Stored name, e.g. asset_tag", max_length=60)),
                ("label", models.CharField(max_length=120)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("text", "Short text"),
                            ("textarea", "Long text"),
                            ("choice", "Choice"),
                            ("number", "Number"),
                            ("date", "Date"),
                        ],
                        default="text",
                        max_length=10,
                    ),
                ),
                ("required", models.BooleanField(default=False)),
                (
                    "choices",
                    models.TextField(blank=True, help_text="For a choice: one option per line."),
                ),
                ("help_text", models.CharField(blank=True, max_length=200)),
                ("order", models.PositiveSmallIntegerField(default=100)),
                (
                    "topic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fields",
                        to="tickets.helptopic",
                    ),
                ),
            ],
            options={
                "ordering": ["order", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("topic", "key"), name="topic_field_key_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="QueueCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("assignee_key", models.BigIntegerField()),
                ("team_key", models.BigIntegerField()),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed"), ("archived", "Archived")],
                        max_length=10,
                    ),
                ),
                ("is_overdue", models.BooleanField()),
                ("count", models.IntegerField(default=0)),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="accounts.department"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("department", "assignee_key", "team_key", "state", "is_overdue"),
                        name="queuecount_bucket_unique",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Collaborator",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("added_at", models.DateTimeField(auto_now_add=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="following",
                        to="accounts.customer",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="collaborators",
                        to="tickets.ticket",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ticket", "customer"), name="collaborator_unique"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="entry",
            name="ticket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="entries",
                to="tickets.ticket",
            ),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(fields=["ticket", "created_at"], name="entry_ticket_created"),
        ),
        migrations.AddField(
            model_name="helptopic",
            name="autorespond",
            field=models.BooleanField(
                default=True, help_text="Send the new-ticket autoresponse to the customer."
            ),
        ),
        migrations.RunPython(
            code=create,
            reverse_code=migrations.RunPython.noop,
        ),
    ]
