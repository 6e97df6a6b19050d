"""intake 0001-0003, squashed (squashmigrations, and the label changes of 0003
folded by hand into the CreateModel operations)."""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import helpline.intake.models


class Migration(migrations.Migration):
    replaces = [
        ("intake", "0001_initial"),
        ("intake", "0002_mailbox_authserv_ids"),
        ("intake", "0003_translatable_labels"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("accounts", "0002_collaborators_autorespond"),
        ("accounts", "0008_translatable_labels"),
        ("tickets", "0004_collaborators_autorespond"),
        ("tickets", "0013_translatable_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="Mailbox",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "address",
                    models.EmailField(
                        help_text="The address customers write to.",
                        max_length=254,
                        verbose_name="address",
                    ),
                ),
                (
                    "protocol",
                    models.CharField(
                        choices=[
                            ("imap", "IMAP"),
                            ("pop3", "POP3"),
                            ("pipe", "None (piped or posted to Helpline)"),
                        ],
                        default="imap",
                        max_length=10,
                        verbose_name="protocol",
                    ),
                ),
                ("host", models.CharField(blank=True, max_length=255, verbose_name="host")),
                (
                    "port",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Empty: the usual port (IMAP 993/143, POP3 995/110).",
                        null=True,
                        verbose_name="port",
                    ),
                ),
                (
                    "security",
                    models.CharField(
                        choices=[
                            ("ssl", "SSL/TLS"),
                            ("starttls", "STARTTLS"),
                            ("none", "None (trusted networks only)"),
                        ],
                        default="ssl",
                        max_length=10,
                        verbose_name="TLS",
                    ),
                ),
                ("username", models.CharField(blank=True, max_length=255, verbose_name="username")),
                (
                    "password_encrypted",
                    models.TextField(blank=True, editable=False, verbose_name="password encrypted"),
                ),
                (
                    "password_env",
                    models.CharField(
                        blank=True,
                        help_text="Name of an environment variable holding the password; when set, it is used instead of a stored password.",
                        max_length=100,
                        verbose_name="password from environment variable",
                    ),
                ),
                (
                    "folder",
                    models.CharField(
                        default="INBOX",
                        help_text="IMAP only.",
                        max_length=255,
                        verbose_name="folder",
                    ),
                ),
                (
                    "after_import",
                    models.CharField(
                        choices=[
                            ("archive", "Move to the archive folder"),
                            ("delete", "Delete"),
                            ("seen", "Mark as read and leave it"),
                        ],
                        default="archive",
                        max_length=10,
                        verbose_name="after import",
                    ),
                ),
                (
                    "archive_folder",
                    models.CharField(
                        blank=True, default="Archive", max_length=255, verbose_name="archive folder"
                    ),
                ),
                (
                    "agent_replies_as_notes",
                    models.BooleanField(
                        default=False,
                        help_text="Agents' replies by mail become internal notes instead of replies to the customer.",
                        verbose_name="agent replies as notes",
                    ),
                ),
                (
                    "poll_interval",
                    models.PositiveIntegerField(
                        default=120,
                        help_text="Seconds between polls (the worker looks every minute or so).",
                        verbose_name="poll interval",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="is active")),
                (
                    "last_polled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last polled at"),
                ),
                (
                    "last_success_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last success at"),
                ),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "last_error_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last error at"),
                ),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mailboxes",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
                (
                    "topic",
                    models.ForeignKey(
                        blank=True,
                        help_text="New tickets get this help topic; empty: the department only.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="tickets.helptopic",
                        verbose_name="topic",
                    ),
                ),
                (
                    "authserv_ids",
                    models.CharField(
                        blank=True,
                        help_text="The authserv-ids (the first word of their Authentication-Results headers) of the mail servers that receive every message of this mailbox, separated by commas. Their SPF/DKIM/DMARC results decide whether a reply that carries no token of ours is posted or held. Name a server only if it adds that header to every message it accepts. Empty: no such header is believed.",
                        max_length=500,
                        validators=[helpline.intake.models.validate_authserv_ids],
                        verbose_name="trusted mail servers",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "mailboxes",
                "ordering": ["address"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("address"),
                        name="mailbox_address_ci_unique",
                    )
                ],
                "verbose_name": "mailbox",
            },
        ),
        migrations.CreateModel(
            name="QuarantinedMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "raw",
                    models.BinaryField(
                        help_text="The message exactly as received.", verbose_name="raw"
                    ),
                ),
                ("reason", models.TextField(verbose_name="reason")),
                (
                    "channel",
                    models.CharField(default="email", max_length=20, verbose_name="channel"),
                ),
                (
                    "message_id",
                    models.CharField(blank=True, max_length=255, verbose_name="message ID"),
                ),
                (
                    "from_address",
                    models.CharField(blank=True, max_length=254, verbose_name="from address"),
                ),
                ("subject", models.CharField(blank=True, max_length=255, verbose_name="subject")),
                ("size", models.PositiveIntegerField(default=0, verbose_name="size")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for an administrator"),
                            ("placed", "Placed by a retry"),
                            ("discarded", "Discarded"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                (
                    "resolved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="resolved at"),
                ),
                (
                    "mailbox",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="intake.mailbox",
                        verbose_name="mailbox",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="resolved by",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["state", "-created_at"], name="quarantine_state_created")
                ],
                "verbose_name": "quarantined message",
                "verbose_name_plural": "quarantined messages",
            },
        ),
        migrations.CreateModel(
            name="ProcessedMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uidvalidity", models.BigIntegerField(default=0, verbose_name="UIDVALIDITY")),
                ("uid", models.CharField(blank=True, max_length=255, verbose_name="UID")),
                (
                    "message_id",
                    models.CharField(blank=True, max_length=255, verbose_name="message ID"),
                ),
                (
                    "fingerprint",
                    models.CharField(blank=True, max_length=64, verbose_name="fingerprint"),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("ticket", "New ticket"),
                            ("reply", "Reply"),
                            ("note", "Internal note"),
                            ("duplicate", "Duplicate"),
                            ("quarantined", "Quarantined"),
                            ("ignored", "Ignored (our own mail)"),
                        ],
                        max_length=12,
                        verbose_name="outcome",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                (
                    "mailbox",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="intake.mailbox",
                        verbose_name="mailbox",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                (
                    "quarantined",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="intake.quarantinedmessage",
                        verbose_name="quarantined",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["message_id"], name="processed_message_id")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("uid", ""), _negated=True),
                        fields=("mailbox", "uidvalidity", "uid"),
                        name="processed_mailbox_uid_unique",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(
                            models.Q(("message_id", ""), _negated=True),
                            models.Q(("outcome", "duplicate"), _negated=True),
                        ),
                        fields=("message_id",),
                        name="processed_message_id_unique",
                    ),
                ],
                "verbose_name": "processed message",
                "verbose_name_plural": "processed messages",
            },
        ),
    ]
