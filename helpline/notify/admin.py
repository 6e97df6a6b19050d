"""Mail templates and the outbox in Django's admin (administrators only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from helpline.notify.models import MailKind, MailTemplate, OutboundMessage, OutboundStatus
from helpline.notify.rendering import check_template, default_source, lazy_reply_marker
from helpline.notify.sending import retry

# What every template may use, with made-up values to check templates against.
SAMPLE_CONTEXT: dict[str, Any] = {
    "ticket": {
        "number": "123456",
        "subject": "Printer on fire",
        "department": "Support",
        "topic": "Printers",
        "priority": "Normal",
        "status": "Open",
        "public_status": "Open",
    },
    "customer": {"name": "Ken Adams", "email": "ken@example.com"},
    "recipient": {"name": "Alice Agent"},
    "actor": "Sam Super",
    "reason": "",
    "marker": lazy_reply_marker("123456"),
    "link": "https://help.example.com/t/token/",
    "desk_url": "https://help.example.com/desk/tickets/123456/",
    "message": {"author": "Alice Agent", "html": mark_safe("<p>Hello</p>"), "text": "Hello"},
    "signature": "Alice",
    "assignee": {"name": "Alice Agent"},
    "team": {"name": "Level II"},
    "department": {"name": "Sales"},
    "old_department": {"name": "Support"},
    "level": "Level II",
    "due": None,
    "valid_for": "3 days",
    "rating_links": {
        "good": "https://help.example.com/rate/token/?score=good",
        "okay": "https://help.example.com/rate/token/?score=okay",
        "bad": "https://help.example.com/rate/token/?score=bad",
    },
}

VARIABLES_HELP = gettext_lazy(
    "Django template language. Variables: ticket.number, ticket.subject, "
    "ticket.department, ticket.topic, ticket.priority, ticket.status, "
    "ticket.public_status, customer.name, customer.email, recipient.name, actor, "
    "reason, message.author, message.text, message.html. Mail to customers (autoresponse, "
    "reply, resolution) also has link (their signed link to the ticket), marker (the "
    "reply-above-this-line line: keep it first, intake cuts replies there) and, in "
    "replies, signature; alerts to agents have desk_url, and assignee.name or team.name "
    "(assignment), department.name and old_department.name (transfer); overdue and "
    "escalation alerts have due and, for escalations, level; the resolution mail to the "
    "customer has rating_links.good, .okay and .bad (signed links to rate the answer). "
    "Account mail (address confirmation, password reset, ticket link) has only "
    "recipient.name, link and valid_for (how long the link works), and ticket.number "
    "and ticket.subject in the ticket link. Text to translate: {% load i18n %} first, "
    "then {% translate %} and {% blocktranslate %}; each mail is rendered in the "
    "language of its recipient."
)


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ["key", "is_active", "subject", "text_body", "html_body"]
        help_texts = {"text_body": VARIABLES_HELP}

    def clean(self) -> dict[str, Any]:
        """Refuse a template that does not compile or render, field by field."""
        data = super().clean() or {}
        for name, escape in (("subject", False), ("text_body", False), ("html_body", True)):
            source = data.get(name)
            if not source:
                continue
            try:
                check_template(source, escape=escape, context=SAMPLE_CONTEXT)
            except Exception as error:
                self.add_error(name, _("This template does not work: %(error)s") % {"error": error})
        return data


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    form = MailTemplateForm
    list_display = ["key", "subject", "is_active", "updated_at"]
    list_filter = ["is_active"]
    actions = ["restore_default"]

    @admin.action(description=gettext_lazy("Restore the built-in text of the selected templates"))
    def restore_default(self, request: HttpRequest, queryset: QuerySet[MailTemplate]) -> None:
        for row in queryset:
            source = default_source(MailKind(row.key).value)
            row.subject, row.text_body, row.html_body = source.subject, source.text, source.html
            row.save()
        count = queryset.count()
        self.message_user(
            request,
            ngettext("Restored %(count)d template.", "Restored %(count)d templates.", count)
            % {"count": count},
        )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "ticket_number",
        "recipients",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["ticket__number", "subject", "message_id"]
    list_select_related = ["ticket"]
    actions = ["retry_now"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The outbox is a record of what was (or will be) sent: read-only.
        return [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=gettext_lazy("Ticket"), ordering="ticket__number")
    def ticket_number(self, obj: OutboundMessage) -> str:
        return f"#{obj.ticket.number}" if obj.ticket else "—"

    @admin.display(description=gettext_lazy("To"))
    def recipients(self, obj: OutboundMessage) -> str:
        return ", ".join([*obj.to, *obj.cc])

    @admin.display(description=gettext_lazy("Last error"))
    def short_error(self, obj: OutboundMessage) -> str:
        return obj.last_error[:120]

    @admin.action(description=gettext_lazy("Retry now (failed or waiting messages)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        # Only queued here: the worker sends them, never this request.
        chosen = retry(queryset.exclude(status=OutboundStatus.SENT).values_list("pk", flat=True))
        if chosen:
            self.message_user(
                request,
                ngettext(
                    "Queued %(count)d message to be sent again.",
                    "Queued %(count)d messages to be sent again.",
                    len(chosen),
                )
                % {"count": len(chosen)},
            )
        else:
            self.message_user(request, _("Nothing to retry."), level=messages.WARNING)
