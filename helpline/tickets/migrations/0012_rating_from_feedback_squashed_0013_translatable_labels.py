"""tickets 0012-0013, squashed (squashmigrations, and by hand: 0013's label
changes of Rating folded into 0012's state-only CreateModel, and the other 120
AlterField and AlterModelOptions operations, on models made by the earlier parts,
as one AlterLabels: the models rendered once instead of 120 times, 3.6 s of a
`migrate` from nothing)."""

import django.db.models.deletion
from django.db import migrations, models

import helpline.lib.migration_ops
import helpline.tickets.models


class Migration(migrations.Migration):
    replaces = [("tickets", "0012_rating_from_feedback"), ("tickets", "0013_translatable_labels")]

    dependencies = [
        ("accounts", "0004_department_closing"),
        ("accounts", "0008_translatable_labels"),
        ("feedback", "0003_rating_moves_to_tickets"),
        ("tickets", "0011_due_dates_in_range"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Rating",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "score",
                            models.CharField(
                                choices=[("good", "Good"), ("okay", "Okay"), ("bad", "Bad")],
                                max_length=4,
                                verbose_name="score",
                            ),
                        ),
                        (
                            "comment",
                            models.TextField(blank=True, max_length=2000, verbose_name="comment"),
                        ),
                        ("created_at", models.DateTimeField(verbose_name="created at")),
                        (
                            "agent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="ratings",
                                to="accounts.agent",
                                verbose_name="agent",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="ratings",
                                to="accounts.customer",
                                verbose_name="customer",
                            ),
                        ),
                        (
                            "resolution",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="rating",
                                to="tickets.event",
                                verbose_name="resolution",
                            ),
                        ),
                        (
                            "ticket",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ratings",
                                to="tickets.ticket",
                                verbose_name="ticket",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["created_at", "id"],
                        "indexes": [
                            models.Index(fields=["created_at"], name="rating_created"),
                            models.Index(
                                fields=["agent", "created_at"], name="rating_agent_created"
                            ),
                        ],
                        "verbose_name": "rating",
                        "verbose_name_plural": "ratings",
                    },
                ),
            ],
        ),
        helpline.lib.migration_ops.AlterLabels(
            operations=[
                migrations.AlterModelOptions(
                    name="attachment",
                    options={"verbose_name": "attachment", "verbose_name_plural": "attachments"},
                ),
                migrations.AlterModelOptions(
                    name="collaborator",
                    options={
                        "verbose_name": "collaborator",
                        "verbose_name_plural": "collaborators",
                    },
                ),
                migrations.AlterModelOptions(
                    name="entry",
                    options={
                        "ordering": ["created_at", "id"],
                        "verbose_name": "entry",
                        "verbose_name_plural": "entries",
                    },
                ),
                migrations.AlterModelOptions(
                    name="event",
                    options={
                        "ordering": ["created_at", "id"],
                        "verbose_name": "event",
                        "verbose_name_plural": "events",
                    },
                ),
                migrations.AlterModelOptions(
                    name="heldreply",
                    options={"verbose_name": "held reply", "verbose_name_plural": "held replies"},
                ),
                migrations.AlterModelOptions(
                    name="helptopic",
                    options={
                        "ordering": ["order", "name"],
                        "verbose_name": "help topic",
                        "verbose_name_plural": "help topics",
                    },
                ),
                migrations.AlterModelOptions(
                    name="issuednumber",
                    options={
                        "verbose_name": "issued number",
                        "verbose_name_plural": "issued numbers",
                    },
                ),
                migrations.AlterModelOptions(
                    name="priority",
                    options={
                        "ordering": ["urgency"],
                        "verbose_name": "priority",
                        "verbose_name_plural": "priorities",
                    },
                ),
                migrations.AlterModelOptions(
                    name="queuecount",
                    options={"verbose_name": "queue count", "verbose_name_plural": "queue counts"},
                ),
                migrations.AlterModelOptions(
                    name="status",
                    options={
                        "ordering": ["order", "name"],
                        "verbose_name": "status",
                        "verbose_name_plural": "statuses",
                    },
                ),
                migrations.AlterModelOptions(
                    name="ticket",
                    options={"verbose_name": "ticket", "verbose_name_plural": "tickets"},
                ),
                migrations.AlterModelOptions(
                    name="topicfield",
                    options={
                        "ordering": ["order", "id"],
                        "verbose_name": "topic field",
                        "verbose_name_plural": "topic fields",
                    },
                ),
                migrations.AlterField(
                    model_name="attachment",
                    name="content_type",
                    field=models.CharField(max_length=120, verbose_name="content type"),
                ),
                migrations.AlterField(
                    model_name="attachment",
                    name="entry",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attachments",
                        to="tickets.entry",
                        verbose_name="entry",
                    ),
                ),
                migrations.AlterField(
                    model_name="attachment",
                    name="file",
                    field=models.FileField(
                        max_length=255,
                        upload_to=helpline.tickets.models.attachment_path,
                        verbose_name="file",
                    ),
                ),
                migrations.AlterField(
                    model_name="attachment",
                    name="filename",
                    field=models.CharField(max_length=255, verbose_name="filename"),
                ),
                migrations.AlterField(
                    model_name="attachment",
                    name="size",
                    field=models.PositiveIntegerField(verbose_name="size"),
                ),
                migrations.AlterField(
                    model_name="collaborator",
                    name="added_at",
                    field=models.DateTimeField(auto_now_add=True, verbose_name="added at"),
                ),
                migrations.AlterField(
                    model_name="collaborator",
                    name="customer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="following",
                        to="accounts.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="collaborator",
                    name="ticket",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="collaborators",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.agent",
                        verbose_name="agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="author_name",
                    field=models.CharField(max_length=200, verbose_name="author name"),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="body",
                    field=models.TextField(verbose_name="body"),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="created_at",
                    field=models.DateTimeField(verbose_name="created at"),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="is_resolution",
                    field=models.BooleanField(default=False, verbose_name="is resolution"),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="kind",
                    field=models.CharField(
                        choices=[
                            ("message", "Message"),
                            ("reply", "Reply"),
                            ("note", "Internal note"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="source",
                    field=models.CharField(
                        choices=[
                            ("web", "Web"),
                            ("email", "Email"),
                            ("api", "API"),
                            ("phone", "Phone"),
                            ("other", "Other"),
                        ],
                        default="web",
                        max_length=10,
                        verbose_name="source",
                    ),
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="ticket",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="actor_name",
                    field=models.CharField(max_length=200, verbose_name="actor name"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.agent",
                        verbose_name="agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="created_at",
                    field=models.DateTimeField(verbose_name="created at"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="data",
                    field=models.JSONField(blank=True, default=dict, verbose_name="data"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="field",
                    field=models.CharField(blank=True, max_length=40, verbose_name="field"),
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
                        verbose_name="kind",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="new_value",
                    field=models.CharField(blank=True, max_length=255, verbose_name="new value"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="old_value",
                    field=models.CharField(blank=True, max_length=255, verbose_name="old value"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="reason",
                    field=models.TextField(blank=True, verbose_name="reason"),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="ticket",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="body",
                    field=models.TextField(verbose_name="body"),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="decided_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="decided at"),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="decided_by",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.agent",
                        verbose_name="decided by",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="detail",
                    field=models.CharField(blank=True, max_length=500, verbose_name="detail"),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="note",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="held_reply",
                        to="tickets.entry",
                        verbose_name="note",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="reasons",
                    field=models.JSONField(
                        default=list,
                        help_text="Reason codes, see HeldReply.Reason.",
                        verbose_name="reasons",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="received_at",
                    field=models.DateTimeField(verbose_name="received at"),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="sender_email",
                    field=models.CharField(max_length=254, verbose_name="sender email"),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="sender_name",
                    field=models.CharField(blank=True, max_length=200, verbose_name="sender name"),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="source",
                    field=models.CharField(
                        choices=[
                            ("web", "Web"),
                            ("email", "Email"),
                            ("api", "API"),
                            ("phone", "Phone"),
                            ("other", "Other"),
                        ],
                        default="email",
                        max_length=10,
                        verbose_name="source",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="state",
                    field=models.CharField(
                        choices=[
                            ("held", "Held for review"),
                            ("accepted", "Accepted"),
                            ("dismissed", "Dismissed"),
                        ],
                        default="held",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                migrations.AlterField(
                    model_name="heldreply",
                    name="ticket",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="held_replies",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="assign_agent",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="New tickets on this topic go to this agent (instead of automatic assignment).",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.agent",
                        verbose_name="assign agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="assign_team",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="New tickets on this topic go to this team.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.team",
                        verbose_name="assign team",
                    ),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="autorespond",
                    field=models.BooleanField(
                        default=True,
                        help_text="Send the new-ticket autoresponse to the customer.",
                        verbose_name="autorespond",
                    ),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="department",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="topics",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="is_active",
                    field=models.BooleanField(default=True, verbose_name="is active"),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="is_public",
                    field=models.BooleanField(
                        default=True,
                        help_text="Customers can pick it on the portal.",
                        verbose_name="is public",
                    ),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="name",
                    field=models.CharField(max_length=120, unique=True, verbose_name="name"),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="order",
                    field=models.PositiveSmallIntegerField(default=100, verbose_name="order"),
                ),
                migrations.AlterField(
                    model_name="helptopic",
                    name="priority",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="tickets.priority",
                        verbose_name="priority",
                    ),
                ),
                migrations.AlterField(
                    model_name="issuednumber",
                    name="number",
                    field=models.CharField(max_length=20, unique=True, verbose_name="number"),
                ),
                migrations.AlterField(
                    model_name="priority",
                    name="color",
                    field=models.CharField(default="#64748b", max_length=7, verbose_name="color"),
                ),
                migrations.AlterField(
                    model_name="priority",
                    name="is_default",
                    field=models.BooleanField(default=False, verbose_name="is default"),
                ),
                migrations.AlterField(
                    model_name="priority",
                    name="name",
                    field=models.CharField(max_length=40, unique=True, verbose_name="name"),
                ),
                migrations.AlterField(
                    model_name="priority",
                    name="urgency",
                    field=models.PositiveSmallIntegerField(
                        help_text="Higher is more urgent.", unique=True, verbose_name="urgency"
                    ),
                ),
                migrations.AlterField(
                    model_name="queuecount",
                    name="assignee_key",
                    field=models.BigIntegerField(verbose_name="assignee key"),
                ),
                migrations.AlterField(
                    model_name="queuecount",
                    name="count",
                    field=models.IntegerField(default=0, verbose_name="count"),
                ),
                migrations.AlterField(
                    model_name="queuecount",
                    name="department",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
                migrations.AlterField(
                    model_name="queuecount",
                    name="is_overdue",
                    field=models.BooleanField(verbose_name="is overdue"),
                ),
                migrations.AlterField(
                    model_name="queuecount",
                    name="state",
                    field=models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed"), ("archived", "Archived")],
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                migrations.AlterField(
                    model_name="queuecount",
                    name="team_key",
                    field=models.BigIntegerField(verbose_name="team key"),
                ),
                migrations.AlterField(
                    model_name="status",
                    name="customer_label",
                    field=models.CharField(
                        blank=True,
                        help_text="What customers see; empty shows the name.",
                        max_length=60,
                        verbose_name="customer label",
                    ),
                ),
                migrations.AlterField(
                    model_name="status",
                    name="name",
                    field=models.CharField(max_length=60, unique=True, verbose_name="name"),
                ),
                migrations.AlterField(
                    model_name="status",
                    name="order",
                    field=models.PositiveSmallIntegerField(default=100, verbose_name="order"),
                ),
                migrations.AlterField(
                    model_name="status",
                    name="purpose",
                    field=models.CharField(
                        blank=True,
                        choices=[
                            ("", "—"),
                            ("new", "New and reopened tickets"),
                            ("resolved", "Resolving"),
                            ("closed", "Closing"),
                        ],
                        max_length=10,
                        verbose_name="purpose",
                    ),
                ),
                migrations.AlterField(
                    model_name="status",
                    name="state",
                    field=models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed"), ("archived", "Archived")],
                        default="open",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_tickets",
                        to="accounts.agent",
                        verbose_name="assignee",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="closed_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="created_at",
                    field=models.DateTimeField(verbose_name="created at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="customer",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="department",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="due_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="due at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="due_is_manual",
                    field=models.BooleanField(default=False, verbose_name="due is manual"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="escalation_level",
                    field=models.PositiveSmallIntegerField(
                        default=0, verbose_name="escalation level"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="extra",
                    field=models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="Answers to topic fields.",
                        verbose_name="extra",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="first_response_at",
                    field=models.DateTimeField(
                        blank=True, null=True, verbose_name="first response at"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="first_response_breached",
                    field=models.BooleanField(
                        default=False, verbose_name="first response breached"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="first_response_due_at",
                    field=models.DateTimeField(
                        blank=True, null=True, verbose_name="first response due at"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="follows",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="The earlier ticket this one continues (a reply after the reopen window).",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="followups",
                        to="tickets.ticket",
                        verbose_name="follows",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="is_overdue",
                    field=models.BooleanField(default=False, verbose_name="is overdue"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="last_message_at",
                    field=models.DateTimeField(
                        blank=True, null=True, verbose_name="last message at"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="last_response_at",
                    field=models.DateTimeField(
                        blank=True, null=True, verbose_name="last response at"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="number",
                    field=models.CharField(max_length=20, unique=True, verbose_name="number"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="priority",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="tickets.priority",
                        verbose_name="priority",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="reopen_count",
                    field=models.PositiveIntegerField(default=0, verbose_name="reopen count"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="resolution_breached",
                    field=models.BooleanField(default=False, verbose_name="resolution breached"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="resolved_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="resolved at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_alarm_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="SLA alarm at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_from",
                    field=models.CharField(
                        blank=True,
                        choices=[
                            ("rule", "Routing rule"),
                            ("manual", "Set by an agent"),
                            ("topic", "Help topic"),
                            ("department", "Department"),
                            ("default", "Default plan"),
                        ],
                        help_text="Where the plan came from: topic/department/default follow changes.",
                        max_length=12,
                        verbose_name="SLA from",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_paused_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="SLA paused at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_paused_seconds",
                    field=models.PositiveIntegerField(default=0, verbose_name="SLA paused seconds"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="sla_started_at",
                    field=models.DateTimeField(
                        blank=True, null=True, verbose_name="SLA started at"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="source",
                    field=models.CharField(
                        choices=[
                            ("web", "Web"),
                            ("email", "Email"),
                            ("api", "API"),
                            ("phone", "Phone"),
                            ("other", "Other"),
                        ],
                        default="web",
                        max_length=10,
                        verbose_name="source",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="state",
                    field=models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed"), ("archived", "Archived")],
                        default="open",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="status",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="tickets.status",
                        verbose_name="status",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="subject",
                    field=models.CharField(max_length=255, verbose_name="subject"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="accounts.team",
                        verbose_name="team",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="topic",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="tickets.helptopic",
                        verbose_name="topic",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="updated_at",
                    field=models.DateTimeField(verbose_name="updated at"),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="version",
                    field=models.PositiveIntegerField(default=1, verbose_name="version"),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="choices",
                    field=models.TextField(
                        blank=True,
                        help_text="For a choice: one option per line.",
                        verbose_name="choices",
                    ),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="help_text",
                    field=models.CharField(blank=True, max_length=200, verbose_name="help text"),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="key",
                    field=models.SlugField(
                        help_text="Stored name, e.g. asset_tag", max_length=60, verbose_name="key"
                    ),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="kind",
                    field=models.CharField(
                        choices=[
                            ("text", "Short text"),
                            ("textarea", "Long text"),
                            ("choice", "Choice"),
                            ("number", "Number"),
                            ("date", "Date"),
                        ],
                        default="text",
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="label",
                    field=models.CharField(max_length=120, verbose_name="label"),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="order",
                    field=models.PositiveSmallIntegerField(default=100, verbose_name="order"),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="required",
                    field=models.BooleanField(default=False, verbose_name="required"),
                ),
                migrations.AlterField(
                    model_name="topicfield",
                    name="topic",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fields",
                        to="tickets.helptopic",
                        verbose_name="topic",
                    ),
                ),
            ],
        ),
    ]
