"""The built-in mail templates, as rows administrators can edit."""

from django.db import migrations

from helpline.notify.defaults import ensure_templates


def create(apps, schema_editor):
    ensure_templates(apps.get_model("notify", "MailTemplate"))


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
