"""The table of the rate-limit counters a stranger can create (CACHES
["limits_strangers"], table helpline_limits_strangers), made on `migrate` too, as
0002 made the others': every sign-in counts there (django-ratelimit), so an
install upgraded with `helpline migrate` alone must have it. `createcachetable`
makes only the tables that are missing; reversing leaves them (counters only)."""

from django.core.management import call_command
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create_cache_tables(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("api", "0002_cache_tables")]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=True),
    ]
