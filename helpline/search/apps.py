from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "helpline.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from helpline.search import staleness
        from helpline.tickets.lifecycle import events_recorded

        # Inside the transaction of every ticket change, as notify's outbox: the
        # ticket is marked for indexing with the change, or not at all; the worker
        # indexes it once the change commits (helpline.search.indexer).
        events_recorded.connect(
            staleness.mark_changed, dispatch_uid="helpline.search.staleness.mark_changed"
        )
        staleness.connect_people_signals()
