from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "helpline.notify"
    label = "notify"
    verbose_name = _("Mail out")

    def ready(self) -> None:
        from helpline.notify.outbox import queue_mail
        from helpline.tickets.lifecycle import events_recorded

        # Inside the transaction of every ticket change: the outbox row is written
        # with the change, or not at all.
        events_recorded.connect(queue_mail, dispatch_uid="helpline.notify.queue_mail")
