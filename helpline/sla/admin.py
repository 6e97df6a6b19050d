from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from helpline.calendar.spans import NoOverlapFormSet
from helpline.sla.models import (
    BusinessSchedule,
    EscalationLevel,
    EscalationPolicy,
    Holiday,
    ScheduleSpan,
    SLAPlan,
)


class ScheduleSpanInline(admin.TabularInline):
    model = ScheduleSpan
    formset = NoOverlapFormSet
    extra = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessSchedule)
class BusinessScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]
    inlines = [ScheduleSpanInline, HolidayInline]


@admin.register(SLAPlan)
class SLAPlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "first_response_hours",
        "resolution_hours",
        "grace_minutes",
        "schedule",
        "business_schedule",
        "escalation_policy",
        "is_active",
        "is_default",
    ]
    list_filter = ["schedule", "is_active"]
    readonly_fields = ["schedule"]
    filter_horizontal = ["pause_statuses"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # tickets.Status, by name: sla sits below tickets and does not import it.
        statuses = apps.get_model("tickets", "Status")
        pausing = statuses._default_manager.filter(pauses_sla=True).values_list("pk", flat=True)
        initial.setdefault("pause_statuses", [str(pk) for pk in pausing])
        return initial


class LevelFormSet(forms.BaseInlineFormSet):
    """Checks across a policy's levels: orders are unique and each level acts."""

    def clean(self) -> None:
        super().clean()
        seen: set[int] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            order = data.get("order")
            if order in seen:
                raise ValidationError(
                    gettext("Two levels have the order %(order)s; give each its own.")
                    % {"order": order}
                )
            seen.add(order)
            acts = any(
                data.get(name)
                for name in (
                    "notify_assignee",
                    "notify_manager",
                    "notify_agents",
                    "assign_team",
                    "assign_agent",
                    "raise_priority_to",
                    "transfer_to",
                )
            )
            if not acts:
                form.add_error(
                    None, gettext("This level does nothing; choose whom to alert or what to do.")
                )


class EscalationLevelInline(admin.StackedInline):
    model = EscalationLevel
    formset = LevelFormSet
    extra = 1
    fieldsets = [
        (None, {"fields": [("order", "name"), ("target", "trigger"), ("minutes", "percent")]}),
        (
            gettext_lazy("Alerts"),
            {"fields": [("notify_assignee", "notify_manager"), "notify_agents"]},
        ),
        (
            gettext_lazy("Actions"),
            {"fields": [("assign_team", "assign_agent"), "raise_priority_to", "transfer_to"]},
        ),
    ]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "level_count"]
    inlines = [EscalationLevelInline]

    @admin.display(description=gettext_lazy("Levels"))
    def level_count(self, obj: EscalationPolicy) -> int:
        return obj.levels.count()
