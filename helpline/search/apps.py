from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "helpline.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from helpline.search import staleness
        from helpline.tickets.generate import register_feed
        from helpline.tickets.lifecycle import events_recorded

        # Inside the transaction of every ticket change, as notify's outbox: the
        # ticket is marked for indexing with the change, or not at all; the worker
        # indexes it once the change commits (helpline.search.indexer).
        events_recorded.connect(
            staleness.mark_changed, dispatch_uid="helpline.search.staleness.mark_changed"
        )
        staleness.connect_people_signals()
        # `helpline demo generate` writes tickets behind the lifecycle's back.
        register_feed(staleness.GeneratedFeed)
        post_migrate.connect(_repair, sender=self, dispatch_uid="helpline.search.repair")


def _repair(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from helpline.search import schema

    schema.repair(connections[using])
