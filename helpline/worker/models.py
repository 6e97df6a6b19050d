"""When each periodic job runs next.

One row per job. A scheduler claims a due job with a conditional UPDATE that moves
`next_run_at` forward (`WHERE name = ? AND next_run_at = <the value it read>`) and
checks the row count: of two workers looking at the same moment, exactly one wins,
so a job never runs twice for one tick. States: due (next_run_at <= now) ->
claimed (next_run_at moved one interval ahead, its task queued).
"""

from __future__ import annotations

from django.db import models


class JobSchedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%Y-%m-%d %H:%M:%S})"
