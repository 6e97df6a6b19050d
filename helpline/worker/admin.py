"""django-tasks-db's list of background tasks, readable across upgrades.

Its admin names each row by importing the row's task. A row left by an earlier
version whose function still exists but is no task any more (as
`helpline.portal.tasks.mail_ticket_link`, once the outbox took over its mail)
raises SuspiciousOperation there, and the whole list answered 400 for good. The
worker already marks such a row failed; here it is named by its path.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult


@admin.display(description=_("task name"))
def task_name(row: DBTaskResult) -> str:
    try:
        return str(row.task_name)
    except SuspiciousOperation:  # a function that is no task (any more)
        return row.task_path.rpartition(".")[2] or row.task_path


class TaskResultAdmin(DBTaskResultAdmin):
    list_display = tuple(  # type: ignore[assignment]  # a column may be a function
        task_name if column == "task_name" else column for column in DBTaskResultAdmin.list_display
    )


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
