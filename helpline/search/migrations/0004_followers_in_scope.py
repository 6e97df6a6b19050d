# The customers in copy join their tickets' scope (documents.scope_of): a customer
# searches the tickets they are copied on, as the portal lists them. Documents
# written before hold the owner only: the tickets with followers are marked to be
# indexed again, by the worker's periodic `search.index` job (or `helpline search
# pending`), in the background. One statement, no text read here. A mark a worker
# already holds is handed back (claimed_at emptied, as staleness.mark does): a
# worker still on the old code would otherwise write the scope without followers.

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone

# Our own SQL, no value in it but the time. Both databases take ON CONFLICT; SQLite
# needs the SELECT to have a WHERE to tell its ON from a join's.
MARK_FOLLOWED = (
    "INSERT INTO search_pending (ticket_id, marked_at, claimed_at) "
    # The DISTINCT inside: outside, PostgreSQL would type the time and the NULL as
    # text for its sort, and refuse them for the timestamp columns.
    "SELECT U.ticket_id, %s, NULL FROM (SELECT DISTINCT ticket_id FROM tickets_collaborator) U "
    "WHERE U.ticket_id IS NOT NULL "
    "ON CONFLICT (ticket_id) DO UPDATE SET marked_at = excluded.marked_at, claimed_at = NULL"
)


def mark_followed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(MARK_FOLLOWED, [timezone.now()])


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_scope"),
        ("tickets", "0017_collaborator_removed_event"),
    ]

    operations = [migrations.RunPython(mark_followed, migrations.RunPython.noop)]
