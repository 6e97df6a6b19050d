from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketTasksConfig(AppConfig):
    name = "helpline.ticket_tasks"
    # Not "tasks": every app has a tasks.py of background jobs.
    label = "ticket_tasks"
    verbose_name = _("Tasks inside tickets")

    def ready(self) -> None:
        from helpline.ticket_tasks.lifecycle import closing_refusal
        from helpline.ticket_tasks.topic_templates import tasks_from_templates
        from helpline.tickets.lifecycle import events_recorded
        from helpline.tickets.lifecycle.hooks import register_closing_guard

        # The lifecycle imports nothing from here: a ticket with open tasks is
        # refused resolving and closing through this registry, on every channel.
        register_closing_guard(closing_refusal)
        # A new ticket's tasks from its help topic, in the opening's transaction.
        events_recorded.connect(
            tasks_from_templates, dispatch_uid="helpline.ticket_tasks.tasks_from_templates"
        )
