"""Background work of the SLA app, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.sla.sweep import sweep


@task()
def sweep_sla() -> dict[str, int]:
    """The periodic SLA sweep (a job in HELPLINE_PERIODIC_JOBS)."""
    return sweep()
