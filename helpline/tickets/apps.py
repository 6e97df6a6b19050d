from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "helpline.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from helpline.tickets import signals  # noqa: F401
