"""The instances test's periodic job: each run leaves a row (in the job schedule's
own table, under a name of its own), so the test can count runs per tick."""

from __future__ import annotations

import uuid

from django.tasks import task
from django.utils import timezone

from helpline.worker.models import JobSchedule

RUN_PREFIX = "instances.tick.ran."


@task()
def record_tick() -> None:
    JobSchedule.objects.create(name=f"{RUN_PREFIX}{uuid.uuid4().hex}", next_run_at=timezone.now())
