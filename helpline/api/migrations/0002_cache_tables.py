"""The database caches' tables, made on `migrate` too.

The rate limits moved to a cache of their own (CACHES["limits"], table
helpline_limits). `make setup` runs `createcachetable`, but an install upgraded
with `helpline migrate` alone would have no such table, and every sign-in (whose
counters django-ratelimit keeps there) would fail. `createcachetable` makes the
tables of every configured database cache that does not have one yet, and does
nothing otherwise; reversing leaves them (they hold only counters).
"""

from django.core.management import call_command
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create_cache_tables(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=True),
    ]
