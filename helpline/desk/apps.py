from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "helpline.desk"
    label = "desk"
    verbose_name = _("Desk")

    def ready(self) -> None:
        from helpline.desk import on_it
        from helpline.tickets.lifecycle import events_recorded

        # Inside the transaction of every ticket change, from any channel: a reply
        # or release by an "I'm on it" marker's agent ends it, and so do resolving,
        # closing and transferring the ticket (helpline.desk.on_it).
        events_recorded.connect(on_it.ended_by_events, dispatch_uid="helpline.desk.on_it.ended")
