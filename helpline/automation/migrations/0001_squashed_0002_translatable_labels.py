"""automation 0001-0002, squashed (squashmigrations, and the label changes of 0002
folded by hand into the CreateModel operations)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("automation", "0001_routing_rules"), ("automation", "0002_translatable_labels")]

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0008_translatable_labels"),
        ("intake", "0001_initial"),
        ("sla", "0001_initial"),
        ("tickets", "0001_initial"),
        ("tickets", "0013_translatable_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="CannedReply",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=120, unique=True, verbose_name="title")),
                (
                    "body_html",
                    models.TextField(
                        help_text="HTML; scripts, styles and unsafe links are removed on save.",
                        verbose_name="body",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name_plural": "canned replies",
                "ordering": ["title"],
                "verbose_name": "canned reply",
            },
        ),
        migrations.CreateModel(
            name="Rule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                (
                    "order",
                    models.PositiveIntegerField(
                        default=100,
                        help_text="Rules run from the lowest number up; later rules win.",
                        verbose_name="order",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "match",
                    models.CharField(
                        choices=[("all", "All conditions"), ("any", "Any condition")],
                        default="all",
                        max_length=3,
                        verbose_name="match",
                    ),
                ),
                (
                    "on_web",
                    models.BooleanField(
                        default=True, help_text="The customer portal.", verbose_name="web"
                    ),
                ),
                ("on_email", models.BooleanField(default=True, verbose_name="email")),
                ("on_api", models.BooleanField(default=True, verbose_name="API")),
                (
                    "on_phone",
                    models.BooleanField(
                        default=True,
                        help_text="Tickets agents open for customers.",
                        verbose_name="phone",
                    ),
                ),
                ("on_other", models.BooleanField(default=True, verbose_name="other")),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                (
                    "last_error",
                    models.TextField(blank=True, editable=False, verbose_name="last error"),
                ),
                (
                    "last_error_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last error at"
                    ),
                ),
                (
                    "error_count",
                    models.PositiveIntegerField(
                        default=0, editable=False, verbose_name="error count"
                    ),
                ),
                (
                    "mailbox",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: mail to any mailbox.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rules",
                        to="intake.mailbox",
                        verbose_name="only mail to mailbox",
                    ),
                ),
            ],
            options={
                "verbose_name": "routing rule",
                "verbose_name_plural": "routing rules",
                "ordering": ["order", "id"],
                "indexes": [
                    models.Index(fields=["is_active", "order", "id"], name="rule_active_order")
                ],
            },
        ),
        migrations.CreateModel(
            name="Condition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "field",
                    models.CharField(
                        choices=[
                            ("email", "Customer email"),
                            ("domain", "Customer email domain"),
                            ("name", "Customer name"),
                            ("subject", "Subject"),
                            ("body", "Message body"),
                            ("topic", "Help topic"),
                            ("source", "Channel"),
                            ("priority", "Priority"),
                            ("organization", "Organization"),
                            ("recipient", "Recipient address (To/Cc)"),
                            ("topic_field", "Help topic field"),
                        ],
                        max_length=20,
                        verbose_name="field",
                    ),
                ),
                (
                    "extra_key",
                    models.CharField(
                        blank=True,
                        help_text="For a help topic field: its key, e.g. asset_tag.",
                        max_length=60,
                        verbose_name="topic field key",
                    ),
                ),
                (
                    "operator",
                    models.CharField(
                        choices=[
                            ("equals", "equals"),
                            ("not_equals", "does not equal"),
                            ("contains", "contains"),
                            ("not_contains", "does not contain"),
                            ("starts_with", "starts with"),
                            ("ends_with", "ends with"),
                            ("regex", "matches regular expression"),
                            ("in_list", "is one of (comma or line separated)"),
                        ],
                        default="contains",
                        max_length=20,
                        verbose_name="operator",
                    ),
                ),
                ("value", models.TextField(blank=True, verbose_name="value")),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conditions",
                        to="automation.rule",
                        verbose_name="rule",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "verbose_name": "condition",
                "verbose_name_plural": "conditions",
            },
        ),
        migrations.CreateModel(
            name="Action",
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
                            ("reject", "Reject the ticket"),
                            ("set_department", "Set department"),
                            ("set_topic", "Set help topic"),
                            ("set_priority", "Set priority"),
                            ("set_sla", "Set SLA plan"),
                            ("set_status", "Set status"),
                            ("assign_agent", "Assign to agent"),
                            ("assign_team", "Assign to team"),
                            ("no_autoresponse", "Do not send the autoresponse"),
                            ("canned_reply", "Send canned reply"),
                            ("add_collaborator", "Add collaborator"),
                            ("stop", "Stop processing further rules"),
                        ],
                        max_length=20,
                        verbose_name="action",
                    ),
                ),
                (
                    "value",
                    models.CharField(
                        blank=True,
                        help_text="The reason for a rejection, or the collaborator's email address.",
                        max_length=255,
                        verbose_name="reason or email",
                    ),
                ),
                (
                    "agent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.agent",
                        verbose_name="agent",
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
                (
                    "priority",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="tickets.priority",
                        verbose_name="priority",
                    ),
                ),
                (
                    "sla",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="sla.slaplan",
                        verbose_name="SLA plan",
                    ),
                ),
                (
                    "status",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="tickets.status",
                        verbose_name="status",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.team",
                        verbose_name="team",
                    ),
                ),
                (
                    "topic",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="tickets.helptopic",
                        verbose_name="help topic",
                    ),
                ),
                (
                    "canned_reply",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="automation.cannedreply",
                        verbose_name="canned reply",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="actions",
                        to="automation.rule",
                        verbose_name="rule",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "verbose_name": "action",
                "verbose_name_plural": "actions",
            },
        ),
    ]
