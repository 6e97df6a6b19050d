"""notify 0004-0006, squashed (squashmigrations, and by hand: 0006's label
changes, with 0004's new choices, as one AlterLabels; 0004's change of
OutboundMessage.ticket, which reaches its column, stays an AlterField; the data
steps of 0004 and 0005 copied here and run last).

This runs on installs that have notify 0001-0003 (their template rows may still
hold old built-in texts), so both data steps are kept: 0004's makes the rows of
the new kinds of mail, 0005's gives unedited rows the translatable text.
"""

import hashlib

import django.db.models.deletion
from django.db import migrations, models

import helpline.lib.migration_ops
from helpline.notify.defaults import ensure_templates


# notify 0004, as it is there.
def create(apps, schema_editor):
    ensure_templates(apps.get_model("notify", "MailTemplate"))


# notify 0005, as it is there.
# sha256 of "subject\0text\0html" of each kind's built-in template before this change.
OLD_DEFAULTS = {
    "autoresponse": "ce2c9fb83f883fec6fd18b6b58a87aaa220cc7adb1afdc5b1744929077027acc",
    "new_ticket_alert": "bf130fb2fa62f4b319d4ed182bd021b4c98c207e2425867ff2d1f17c938a97d5",
    "assigned_alert": "1804677d5604197c455db3bdd20de8cfb407f099e82e4798c3b4b8099f2e5452",
    "transfer_alert": "35a315bf4e15b37b367a9f8a9d2a74785540f556eff4ad9ee7a8ff332fa18f20",
    "reply": "b5b2714e650a000d1f57407970a27788547a413dfddb1561a668c5b8c8e5c987",
    "resolved": "dbbcd81037c539d0be35ee883a12ead5bcdc954f39e81c5c93498ed8728fe579",
    "reopened_alert": "dce7de3c02aff2290b183ee5115516e64af4e52aa25c3849b6d40af477221c3c",
    "overdue_alert": "ab1446f113df8e05c36d2c4ccfdd5109c29f943d744e6c454e95b9e2f552ac55",
    "escalation_alert": "2e8c8fbfb21af23d8f863e01c8d7a6effc4304f47747203748fe26443ab6f1a4",
    "unassignable_alert": "eaae0874612c879d50f460b040f2a95b5e82236546ea1bcfab52817a784a0aae",
    "account_confirmation": "668d2bbd040b2a1f62e475c12267d49b5ed7f1c140fed2c1f1667c662d573957",
    "password_reset": "a1658b9a97dce86693ad691d18a495de248d88294bde1db1ee1a747b3709a661",
    "ticket_link": "cce8b234c5370a38d88ff1714130bd932b26e060506ae12d6e525a2edf3992b0",
}


def _digest(subject: str, text: str, html: str) -> str:
    return hashlib.sha256("\x00".join([subject, text, html]).encode()).hexdigest()


def update(apps, schema_editor):  # type: ignore[no-untyped-def]
    from helpline.notify.rendering import default_source

    model = apps.get_model("notify", "MailTemplate")
    for row in model.objects.filter(key__in=OLD_DEFAULTS):
        if _digest(row.subject, row.text_body, row.html_body) != OLD_DEFAULTS[row.key]:
            continue
        source = default_source(row.key)
        row.subject, row.text_body, row.html_body = source.subject, source.text, source.html
        row.save(update_fields=["subject", "text_body", "html_body"])


class Migration(migrations.Migration):
    replaces = [
        ("notify", "0004_account_mail"),
        ("notify", "0005_translatable_templates"),
        ("notify", "0006_translatable_labels"),
    ]

    dependencies = [
        ("notify", "0003_sla_alerts"),
        ("tickets", "0009_clock_for_existing_tickets"),
        ("tickets", "0013_translatable_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundmessage",
            name="ticket",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbound",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        helpline.lib.migration_ops.AlterLabels(
            operations=[
                migrations.AlterModelOptions(
                    name="mailtemplate",
                    options={
                        "ordering": ["key"],
                        "verbose_name": "mail template",
                        "verbose_name_plural": "mail templates",
                    },
                ),
                migrations.AlterModelOptions(
                    name="outboundmessage",
                    options={
                        "ordering": ["-created_at", "-id"],
                        "verbose_name": "outbound message",
                        "verbose_name_plural": "outbound messages",
                    },
                ),
                migrations.AlterField(
                    model_name="mailtemplate",
                    name="html_body",
                    field=models.TextField(
                        blank=True,
                        help_text="The HTML version; leave empty to send plain text only.",
                        verbose_name="HTML body",
                    ),
                ),
                migrations.AlterField(
                    model_name="mailtemplate",
                    name="is_active",
                    field=models.BooleanField(
                        default=True,
                        help_text="Untick to stop sending this kind of mail altogether.",
                        verbose_name="is active",
                    ),
                ),
                migrations.AlterField(
                    model_name="mailtemplate",
                    name="key",
                    field=models.CharField(
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
                            ("account_confirmation", "Address confirmation for a new account"),
                            ("password_reset", "Password reset link (to a customer or an agent)"),
                            ("ticket_link", "Link to a ticket, asked for on the status page"),
                        ],
                        max_length=40,
                        unique=True,
                        verbose_name="key",
                    ),
                ),
                migrations.AlterField(
                    model_name="mailtemplate",
                    name="subject",
                    field=models.CharField(max_length=255, verbose_name="subject"),
                ),
                migrations.AlterField(
                    model_name="mailtemplate",
                    name="text_body",
                    field=models.TextField(
                        help_text="The plain-text version; every mail has one.",
                        verbose_name="text body",
                    ),
                ),
                migrations.AlterField(
                    model_name="mailtemplate",
                    name="updated_at",
                    field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="attempts",
                    field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="cc",
                    field=models.JSONField(blank=True, default=list, verbose_name="cc"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="created_at",
                    field=models.DateTimeField(verbose_name="created at"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="event",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="outbound",
                        to="tickets.event",
                        verbose_name="event",
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="from_email",
                    field=models.CharField(max_length=320, verbose_name="from email"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="html",
                    field=models.TextField(blank=True, verbose_name="HTML"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="in_reply_to",
                    field=models.CharField(blank=True, max_length=255, verbose_name="in reply to"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="kind",
                    field=models.CharField(
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
                            ("account_confirmation", "Address confirmation for a new account"),
                            ("password_reset", "Password reset link (to a customer or an agent)"),
                            ("ticket_link", "Link to a ticket, asked for on the status page"),
                        ],
                        max_length=40,
                        verbose_name="kind",
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="last_error",
                    field=models.TextField(blank=True, verbose_name="last error"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="message_id",
                    field=models.CharField(max_length=255, verbose_name="message ID"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="next_attempt_at",
                    field=models.DateTimeField(
                        blank=True, null=True, verbose_name="next attempt at"
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="references",
                    field=models.TextField(
                        blank=True,
                        help_text="Space-separated Message-IDs.",
                        verbose_name="references",
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="sent_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="subject",
                    field=models.TextField(verbose_name="subject"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="text",
                    field=models.TextField(verbose_name="text"),
                ),
                migrations.AlterField(
                    model_name="outboundmessage",
                    name="to",
                    field=models.JSONField(
                        default=list, help_text="Addresses, as 'Name <address>'.", verbose_name="to"
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            code=create,
            reverse_code=migrations.RunPython.noop,
        ),
        migrations.RunPython(
            code=update,
            reverse_code=migrations.RunPython.noop,
        ),
    ]
