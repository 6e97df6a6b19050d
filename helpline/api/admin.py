"""API keys and agent tokens in Django's admin (administrators only).

The secret is shown once, on the page that answers the form that created it, and
never stored: not in the database (only its hash), and not in a flash message,
which would keep it in a cookie or the session until displayed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from helpline.api.models import AgentToken, ApiKey, Scope, parse_networks


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "A key without an agent to act as can only create and read tickets."
        ),
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "allowed_ips", "agent", "default_topic", "is_active"]
        widgets = {"allowed_ips": forms.Textarea(attrs={"rows": 3})}

    def clean_allowed_ips(self) -> str:
        text: str = self.cleaned_data.get("allowed_ips") or ""
        networks = parse_networks(text)  # raises ValidationError with the bad entry
        return "\n".join(str(n) for n in networks)


class ShowSecretOnce(admin.ModelAdmin):
    """After adding, answer with a page that shows the new secret once."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            request._new_secret = obj.set_secret()  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = getattr(request, "_new_secret", None)
        if secret is None:  # pragma: no cover - every add sets one
            return super().response_add(request, obj, post_url_continue)
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "object": obj,
            "secret": secret,
            "title": gettext("Copy the new %(thing)s now") % {"thing": opts.verbose_name},
            "list_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        }
        response = TemplateResponse(request, "api/admin/secret_once.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ApiKey)
class ApiKeyAdmin(ShowSecretOnce):
    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "scope_list",
        "agent",
        "allowed_ips",
        "is_active",
        "created_at",
        "last_used_at",
        "last_used_ip",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "last_used_ip"]
    list_select_related = ["agent__user"]
    actions = ["deactivate"]

    @admin.display(description=gettext_lazy("Scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes) or "—"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Deactivate the selected keys"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = queryset.update(is_active=False)
        messages.success(
            request,
            ngettext("%(count)d key deactivated.", "%(count)d keys deactivated.", count)
            % {"count": count},
        )


@admin.register(AgentToken)
class AgentTokenAdmin(ShowSecretOnce):
    fields = ["agent", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_display = ["name", "agent", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "agent__user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    list_select_related = ["agent__user"]
    actions = ["revoke"]

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[AgentToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
        )
