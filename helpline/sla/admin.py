from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from helpline.sla.models import BusinessSchedule, Holiday, ScheduleSpan, SLAPlan
from helpline.sla.schedule import find_overlap


class SpanFormSet(forms.BaseInlineFormSet):
    """Refuses overlapping spans among the rows being saved (model clean sees only saved ones)."""

    def clean(self) -> None:
        super().clean()
        keys: dict[tuple[int, int, int], Any] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            span = ScheduleSpan(
                weekday=data["weekday"], start_time=data["start_time"], end_time=data["end_time"]
            )
            keys[span.key()] = span
        overlap = find_overlap(keys)
        if overlap:
            raise ValidationError(
                f"{keys[overlap]} overlaps another span on the same day; spans must not overlap."
            )


class ScheduleSpanInline(admin.TabularInline):
    model = ScheduleSpan
    formset = SpanFormSet
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
        "grace_hours",
        "schedule",
        "business_schedule",
        "is_active",
        "is_default",
    ]
    list_filter = ["schedule", "is_active"]
    readonly_fields = ["schedule"]
