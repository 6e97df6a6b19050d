# The answers to a ticket's topic questions (an asset tag, an order number) are
# in its document now, for agents (documents.build): the tickets that have any
# are marked to be indexed again in the background, as 0004 did. A mark a worker
# holds is handed back (staleness.mark does the same).

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone


def mark_answered(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ticket = apps.get_model("tickets", "Ticket")
    answered = ticket.objects.using(schema_editor.connection.alias).exclude(extra={})
    sql, params = answered.values("id").query.sql_with_params()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_pending (ticket_id, marked_at, claimed_at) "  # noqa: S608
            f"SELECT U.id, %s, NULL FROM ({sql}) U WHERE U.id IS NOT NULL "
            "ON CONFLICT (ticket_id) DO UPDATE SET marked_at = excluded.marked_at, "
            "claimed_at = NULL",
            [timezone.now(), *params],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_followers_in_scope"),
        ("tickets", "0018_attachment_ticket"),
    ]

    operations = [migrations.RunPython(mark_answered, migrations.RunPython.noop)]
