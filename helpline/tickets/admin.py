"""Configuration in Django's admin (administrators only). Tickets themselves are
not edited here: every change to a ticket goes through the lifecycle."""

from django.contrib import admin

from helpline.tickets.models import HelpTopic, Priority, Status, TopicField


class TopicFieldInline(admin.TabularInline):
    model = TopicField
    extra = 1


@admin.register(HelpTopic)
class HelpTopicAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "priority", "sla", "is_public", "is_active"]
    list_filter = ["is_public", "is_active", "department"]
    inlines = [TopicFieldInline]


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "purpose", "order"]


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["name", "urgency", "color", "is_default"]
