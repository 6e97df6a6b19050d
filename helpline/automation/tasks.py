"""Background work of the automation app, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.automation.autoclose import close_resolved
from helpline.automation.sla_sweep import sweep


@task()
def auto_close() -> dict[str, int]:
    """The periodic auto-close (a job in HELPLINE_PERIODIC_JOBS)."""
    return close_resolved()


@task()
def sweep_sla() -> dict[str, int]:
    """The periodic SLA sweep (a job in HELPLINE_PERIODIC_JOBS): overdue marking
    and escalation levels whose moment has come."""
    return sweep()
