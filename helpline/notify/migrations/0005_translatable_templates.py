"""The built-in mail templates became translatable ({% translate %}: each mail is
written in its recipient's language). Rows still holding the old built-in English
text, unchanged by an administrator, get the new text; edited rows are left as
they are (an administrator may restore the built-in text in the admin)."""

import hashlib

from django.db import migrations

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
    dependencies = [("notify", "0004_account_mail")]

    operations = [migrations.RunPython(update, migrations.RunPython.noop)]
