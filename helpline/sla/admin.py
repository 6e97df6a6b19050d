from django.contrib import admin

from helpline.sla.models import SLAPlan


@admin.register(SLAPlan)
class SLAPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "grace_hours", "schedule", "is_active", "is_default"]
