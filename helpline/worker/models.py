"""When each periodic job runs next.

One row per job. A scheduler claims a due job with a conditional UPDATE that moves
`next_run_at` forward (`WHERE name = ? AND next_run_at = <the value it read>`) and
checks the row count: of two workers looking at the same moment, exactly one wins,
so a job never runs twice for one tick. States: due (next_run_at <= now) ->
claimed (next_run_at moved one interval ahead, its task queued).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobSchedule(models.Model):
    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    next_run_at = models.DateTimeField(verbose_name=_("next run at"))
    last_run_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last run at"))

    class Meta:
        verbose_name = _("job schedule")
        verbose_name_plural = _("job schedules")

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%Y-%m-%d %H:%M:%S})"


class WorkerHeartbeat(models.Model):
    """The worker's last sign of life, read by /readyz (helpline.ops.health).

    One row (`name` "worker"), shared by every worker: the scheduler loop of each
    moves `beat_at` forward at most every HELPLINE_WORKER_HEARTBEAT_SECONDS (one
    UPDATE of one row, not a write per task), so "the last beat is recent" means
    "some worker's loop is turning". `worker` names the last one (host and pid).
    """

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    beat_at = models.DateTimeField(verbose_name=_("beat at"))
    worker = models.CharField(max_length=200, blank=True, verbose_name=_("worker"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.name}: {self.beat_at:%Y-%m-%d %H:%M:%S} ({self.worker})"
