"""Task templates in the admin (administrators only). Tasks themselves are not
edited here: every change to a task goes through helpline.ticket_tasks.lifecycle."""

from django.contrib import admin

from helpline.ticket_tasks.models import TaskTemplate


@admin.register(TaskTemplate)
class TaskTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "department", "assignee", "team", "due_hours", "is_active"]
    list_filter = ["is_active", "topic"]
    search_fields = ["title", "topic__name"]
    list_select_related = ["topic", "department", "assignee__user", "team"]
    fields = [
        "topic",
        "title",
        "description",
        "department",
        "assignee",
        "team",
        "due_hours",
        "order",
        "is_active",
    ]
