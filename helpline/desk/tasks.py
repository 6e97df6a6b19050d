"""Background work of the desk, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.desk import together


@task()
def tidy() -> int:
    """Presence long gone and drafts left behind: the periodic job `desk.tidy`."""
    return together.tidy()
