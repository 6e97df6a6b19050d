from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "helpline.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from helpline.automation.rules import route
        from helpline.tickets.lifecycle.hooks import register_opening_rule

        # The lifecycle imports nothing from automation: the routing rules reach
        # every new ticket through this registry.
        register_opening_rule(route)
