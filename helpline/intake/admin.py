"""Mail intake in the admin: mailboxes (with their last error), quarantine (retry,
discard, download the source) and the ledger (read only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from helpline.intake.fetch import poll_mailbox
from helpline.intake.ingest import discard_quarantined, retry_quarantined
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage, QuarantinedMessage

PREVIEW_BYTES = 20_000


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        label=_("Password"),
        help_text=_("Stored encrypted. Leave empty to keep the stored password."),
    )
    clear_password = forms.BooleanField(required=False, label=_("Forget the stored password"))

    class Meta:
        model = Mailbox
        fields = [
            "address", "department", "topic", "is_active", "protocol", "host", "port",
            "security", "username", "password_env", "folder", "after_import",
            "archive_folder", "agent_replies_as_notes", "poll_interval", "authserv_ids",
        ]  # fmt: skip

    def save(self, commit: bool = True) -> Mailbox:
        mailbox: Mailbox = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            mailbox.set_password("")
        elif self.cleaned_data.get("password"):
            mailbox.set_password(self.cleaned_data["password"])
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = [
        "address",
        "department",
        "protocol",
        "host",
        "is_active",
        "last_polled_at",
        "status",
    ]
    list_filter = ["is_active", "protocol", "department"]
    search_fields = ["address", "host", "username"]
    list_select_related = ["department"]
    readonly_fields = [
        "has_password",
        "last_polled_at",
        "last_success_at",
        "last_error",
        "last_error_at",
    ]
    fieldsets = [
        (None, {"fields": ["address", "department", "topic", "is_active"]}),
        (
            _("Server"),
            {
                "fields": [
                    "protocol",
                    "host",
                    "port",
                    "security",
                    "username",
                    "has_password",
                    "password",
                    "clear_password",
                    "password_env",
                    "folder",
                ]
            },
        ),
        (
            _("Import"),
            {
                "fields": [
                    "after_import",
                    "archive_folder",
                    "agent_replies_as_notes",
                    "poll_interval",
                    "authserv_ids",
                ]
            },
        ),
        (
            _("Last poll"),
            {"fields": ["last_polled_at", "last_success_at", "last_error", "last_error_at"]},
        ),
    ]
    actions = ["poll_now"]

    @admin.display(description=_("Status"))
    def status(self, obj: Mailbox) -> str:
        if obj.last_error:
            return gettext("Error: %(error)s") % {"error": obj.last_error[:80]}
        return "OK" if obj.last_success_at else "—"

    @admin.display(boolean=True, description=_("Password stored"))
    def has_password(self, obj: Mailbox) -> bool:
        return bool(obj.password_encrypted)

    @admin.action(description=_("Poll the selected mailboxes now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset.exclude(protocol=Mailbox.Protocol.PIPE):
            result = poll_mailbox(mailbox)
            if result.error:
                self.message_user(request, f"{mailbox}: {result.error}", messages.ERROR)
            else:
                self.message_user(request, _poll_summary(mailbox, result.outcomes))


def _poll_summary(mailbox: Mailbox, outcomes: Mapping[str, int]) -> str:
    """What a poll imported, in the administrator's language and with the ledger's
    labels rather than its codes: "support@example.com: 4 messages imported (New
    ticket: 3, Reply: 1)." """
    total = sum(outcomes.values())
    if not total:
        return gettext("%(mailbox)s: no new mail.") % {"mailbox": mailbox}
    each = ", ".join(
        gettext("%(outcome)s: %(count)d") % {"outcome": outcome.label, "count": outcomes[outcome]}
        for outcome in LedgerOutcome
        if outcomes.get(outcome)
    )
    return ngettext(
        "%(mailbox)s: %(count)d message imported (%(outcomes)s).",
        "%(mailbox)s: %(count)d messages imported (%(outcomes)s).",
        total,
    ) % {"mailbox": mailbox, "count": total, "outcomes": each}


@admin.register(QuarantinedMessage)
class QuarantinedMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "from_address", "subject", "short_reason", "mailbox", "state"]
    list_filter = ["state", "channel", "mailbox"]
    search_fields = ["from_address", "subject", "message_id", "reason"]
    list_select_related = ["mailbox"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "state",
        "reason",
        "from_address",
        "subject",
        "message_id",
        "mailbox",
        "channel",
        "size",
        "created_at",
        "ticket",
        "resolved_at",
        "resolved_by",
        "source",
    ]
    exclude = ["raw"]
    actions = ["retry", "retry_as_person", "discard"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("Reason"))
    def short_reason(self, obj: QuarantinedMessage) -> str:
        return obj.reason[:120]

    @admin.display(description=_("Source"))
    def source(self, obj: QuarantinedMessage) -> str:
        raw = bytes(obj.raw or b"")
        if not raw:
            return gettext("(discarded)")
        url = reverse("admin:intake_quarantinedmessage_download", args=[obj.pk])
        preview = raw[:PREVIEW_BYTES].decode("utf-8", "replace")
        more = "\n…" if len(raw) > PREVIEW_BYTES else ""
        return format_html(
            '<a href="{}">{}</a><pre class="raw-message">{}{}</pre>',
            url,
            gettext("Download the message (.eml)"),
            preview,
            more,
        )

    def get_urls(self) -> list[URLPattern]:
        download = self.admin_site.admin_view(self.download)
        return [
            path("<int:pk>/download/", download, name="intake_quarantinedmessage_download"),
            *super().get_urls(),
        ]

    def download(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = get_object_or_404(QuarantinedMessage, pk=pk)
        if not self.has_view_permission(request, message):
            return HttpResponse(status=403)
        response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="quarantined-{pk}.eml"'
        return response

    def _retry(self, request: HttpRequest, queryset: QuerySet[Any], **options: bool) -> None:
        for message in queryset.filter(state=QuarantinedMessage.State.PENDING):
            result = retry_quarantined(message, by=request.user, **options)  # type: ignore[arg-type]
            if result.outcome == "quarantined":
                self.message_user(
                    request,
                    gettext("%(message)s: still %(reason)s")
                    % {"message": message, "reason": result.reason},
                    messages.WARNING,
                )
            else:
                where = (
                    " " + gettext("(ticket #%(number)s)") % {"number": result.ticket.number}
                    if result.ticket
                    else ""
                )
                outcome = LedgerOutcome(result.outcome).label
                self.message_user(request, f"{message}: {outcome}{where}.")

    @admin.action(description=_("Retry the selected messages"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[QuarantinedMessage]) -> None:
        self._retry(request, queryset)

    @admin.action(
        description=_("Retry, treating automatic messages as mail from a person"),
        permissions=["change"],
    )
    def retry_as_person(self, request: HttpRequest, queryset: QuerySet[QuarantinedMessage]) -> None:
        self._retry(request, queryset, accept_automatic=True)

    @admin.action(description=_("Discard the selected messages"), permissions=["change"])
    def discard(self, request: HttpRequest, queryset: QuerySet[QuarantinedMessage]) -> None:
        count = sum(discard_quarantined(m, by=request.user) for m in queryset)  # type: ignore[arg-type]
        self.message_user(
            request,
            ngettext("Discarded %(count)d message.", "Discarded %(count)d messages.", count)
            % {"count": count},
        )


@admin.register(ProcessedMessage)
class ProcessedMessageAdmin(admin.ModelAdmin):
    """The ledger, read only: deleting a row would let its message be imported again."""

    list_display = ["created_at", "message_id", "mailbox", "uid", "outcome", "ticket"]
    list_filter = ["outcome", "mailbox"]
    search_fields = ["message_id", "uid"]
    list_select_related = ["mailbox", "ticket"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
