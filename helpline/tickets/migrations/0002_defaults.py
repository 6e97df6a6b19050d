"""The statuses and priorities every install starts with (admins may add more)."""

from django.db import migrations

from helpline.tickets.defaults import ensure_defaults


def create(apps, schema_editor):
    ensure_defaults(apps.get_model("tickets", "Status"), apps.get_model("tickets", "Priority"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
