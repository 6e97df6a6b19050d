from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "helpline.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from helpline.reports.rollups import GeneratedFeed, record
        from helpline.tickets.generate import register_feed
        from helpline.tickets.lifecycle import events_recorded

        # Inside the transaction of every ticket change, as notify's outbox: the
        # daily rollups change with the ticket, or not at all.
        events_recorded.connect(record, dispatch_uid="helpline.reports.rollups.record")
        # `helpline demo generate` writes tickets and events behind the lifecycle's
        # back: it replays them into the rollups as it writes them.
        register_feed(GeneratedFeed)
