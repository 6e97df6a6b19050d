"""Admin pages for people, departments and teams (the configuration UI for now)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError

from helpline.accounts.models import (
    Agent,
    AgentShift,
    Customer,
    Department,
    DepartmentAccess,
    Organization,
    Team,
    User,
)
from helpline.sla.schedule import find_overlap

admin.site.register(User, UserAdmin)


class DepartmentAccessInline(admin.TabularInline):
    model = DepartmentAccess
    extra = 1


class ShiftFormSet(forms.BaseInlineFormSet):
    """Refuses overlapping shifts among the rows being saved together (a model's own
    clean() compares only with shifts already saved)."""

    def clean(self) -> None:
        super().clean()
        keys: dict[tuple[int, int, int], Any] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            shift = AgentShift(
                weekday=data["weekday"], start_time=data["start_time"], end_time=data["end_time"]
            )
            keys[shift.key()] = shift
        overlap = find_overlap(keys)
        if overlap:
            raise ValidationError(
                f"{keys[overlap]} overlaps another shift on the same day; shifts must not overlap."
            )


class AgentShiftInline(admin.TabularInline):
    model = AgentShift
    formset = ShiftFormSet
    extra = 1
    verbose_name = "working hours"
    verbose_name_plural = (
        "working hours (in the agent's time zone; none at all means always available)"
    )


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role", "is_on_vacation", "max_open_tickets", "is_active"]
    list_filter = ["role", "is_on_vacation", "user__is_active"]
    list_editable = ["is_on_vacation"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    inlines = [DepartmentAccessInline, AgentShiftInline]
    list_select_related = ["user"]

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj: Agent) -> bool:
        return obj.user.is_active


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "sla", "assignment_mode", "is_public"]
    list_filter = ["assignment_mode"]
    inlines = [DepartmentAccessInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "assignment_mode", "is_active"]
    list_filter = ["assignment_mode", "is_active"]
    filter_horizontal = ["members"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "organization"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


admin.site.register(Organization)
