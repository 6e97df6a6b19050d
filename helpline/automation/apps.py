from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "helpline.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        from helpline.automation.rules import route
        from helpline.tickets.lifecycle.hooks import register_opening_rule

        # The lifecycle imports nothing from automation: the routing rules reach
        # every new ticket through this registry.
        register_opening_rule(route)
