# The customers in copy join their tickets' scope (documents.scope_of): a customer
# searches the tickets they are copied on, as the portal lists them. Documents
# written before hold the owner only: the tickets with followers are marked to be
# indexed again, by the worker's periodic `search.index` job (or `helpline search
# pending`), in the background. No text is read here.

from datetime import datetime
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone

BATCH = 5_000


def mark_followed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    collaborator = apps.get_model("tickets", "Collaborator")
    pending = apps.get_model("search", "Pending")
    now = timezone.now()
    ids = collaborator.objects.order_by("ticket_id").values_list("ticket_id", flat=True).distinct()
    batch: list[int] = []
    for ticket_id in ids.iterator(chunk_size=BATCH):
        batch.append(ticket_id)
        if len(batch) == BATCH:
            _mark(pending, batch, now)
            batch = []
    _mark(pending, batch, now)


def _mark(pending: Any, ids: list[int], now: datetime) -> None:
    pending.objects.bulk_create(
        [pending(ticket_id=pk, marked_at=now) for pk in ids], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_scope"),
        ("tickets", "0017_collaborator_removed_event"),
    ]

    operations = [migrations.RunPython(mark_followed, migrations.RunPython.noop)]
