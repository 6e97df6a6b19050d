"""Queued work of a task that moved (issue 10) follows it on upgrade."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.notify.tasks import mail_password_reset

migration = importlib.import_module("helpline.worker.migrations.0003_moved_task_paths")

OLD = "helpline.accounts.tasks.mail_password_reset"


def queued(path: str, status: str = "READY") -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=path,
        status=status,
        args_kwargs={"args": ["customers", "ken@example.com"], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        priority=0,
        enqueued_at=timezone.now(),
    )


@pytest.mark.django_db
def test_a_waiting_reset_under_the_old_path_runs_the_moved_task_after_upgrade() -> None:
    waiting, done = queued(OLD), queued(OLD, status="SUCCESSFUL")

    migration.forwards(apps, None)

    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.task.func is mail_password_reset.func  # importable, the moved task
    assert done.task_path == OLD  # history is left as it happened


@pytest.mark.django_db
def test_going_back_restores_the_old_paths() -> None:
    row = queued("helpline.automation.tasks.sweep_sla")

    migration.backwards(apps, None)

    row.refresh_from_db()
    assert row.task_path == "helpline.sla.tasks.sweep_sla"
