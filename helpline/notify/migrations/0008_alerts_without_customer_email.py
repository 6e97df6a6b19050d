"""Agents' alerts name a customer without an email address (a caller taken on the
phone, issue 13) without an empty "<>": the new-ticket, assignment and transfer
alerts' built-in templates changed. Rows still holding the previous built-in text,
unchanged by an administrator, get the new one; edited rows are left as they are
(as notify 0005 did)."""

import hashlib

from django.db import migrations

# sha256 of "subject\0text\0html" of each kind's built-in template before this change.
OLD_DEFAULTS = {
    "new_ticket_alert": "13d4fad7f5d753abcfe700473f0706b1026b7357f3b604c7f4394d9c68b8f6c4",
    "assigned_alert": "ac91cf8c1926970acedb5e9fb2587441415602316c31937c0d14b5d7be80f90c",
    "transfer_alert": "a47899ddb38e3dcff0a3316019fdbe631b70742273af1d40d40873bd11048472",
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
    dependencies = [("notify", "0007_mail_batch")]

    operations = [migrations.RunPython(update, migrations.RunPython.noop)]
