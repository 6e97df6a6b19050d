"""Keep the queue counters true when people leave.

Deleting an agent or a team empties the assignee/team of their tickets by
SET_NULL, outside the lifecycle; the counters are rebuilt so the dashboard stays
right. Deletions are rare; a rebuild reads one grouped query.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from helpline.accounts.models import Agent, Team


@receiver(post_delete, sender=Agent)
@receiver(post_delete, sender=Team)
def _recount_after_delete(sender: type, **kwargs: Any) -> None:
    from helpline.tickets.lifecycle import recount_queues

    transaction.on_commit(recount_queues)
