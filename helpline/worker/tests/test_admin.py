"""The admin's list of background tasks stays readable across upgrades."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.conftest import World


def task_row(path: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path=path,
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        # Was a task until the outbox took over its mail; still a function.
        ("helpline.portal.tasks.mail_ticket_link", "mail_ticket_link"),
        ("helpline.gone.tasks.old_task", "old_task"),  # the module is gone
        ("helpline.notify.tasks.send_outbound", "send_outbound"),  # a task today
    ],
)
def test_the_task_list_shows_rows_whose_function_is_no_longer_a_task(
    world: World, path: str, shown: str
) -> None:
    """django-tasks-db names each row by importing its task; a row left by an
    earlier version whose function is no task any more raised
    SuspiciousOperation, and the whole list answered 400."""
    row = task_row(path)
    client = Client()
    client.force_login(world.admin.user)

    listing = client.get("/admin/django_tasks_database/dbtaskresult/")
    detail = client.get(f"/admin/django_tasks_database/dbtaskresult/{row.pk}/change/")

    assert listing.status_code == 200
    assert shown in listing.content.decode()
    assert detail.status_code == 200
