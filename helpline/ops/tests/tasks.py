"""A task for the log tests: it fails, so the worker logs its traceback."""

from __future__ import annotations

from django.tasks import task


@task()
def fail_loudly() -> None:
    raise RuntimeError("zz-broken on purpose\nwith a second line")
