"""The worker's heartbeat: one row the scheduler loop moves forward now and then.

/readyz (helpline.ops.health) reads it to tell whether a worker is running. The
scheduler loop turns every few seconds; writing on each turn would be a write a
second or so per worker for nothing, so a `Heartbeat` writes only when its last
write is at least `every` seconds old (settings.HELPLINE_WORKER_HEARTBEAT_SECONDS).
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from django.utils import timezone

from helpline.worker.models import WorkerHeartbeat

NAME = "worker"


def _who() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


class Heartbeat:
    def __init__(self, every: float) -> None:
        self.every = every
        self._last: float | None = None  # time.monotonic() of the last write

    def beat(self, now: datetime | None = None) -> bool:
        """Record a beat unless the last one is younger than `every`; True if written."""
        clock = time.monotonic()
        if self._last is not None and clock - self._last < self.every:
            return False
        now = now or timezone.now()
        updated = WorkerHeartbeat.objects.filter(name=NAME).update(beat_at=now, worker=_who())
        if not updated:  # the first beat ever (two workers at once: one creates it)
            WorkerHeartbeat.objects.update_or_create(
                name=NAME, defaults={"beat_at": now, "worker": _who()}
            )
        self._last = clock
        return True


def last_beat() -> datetime | None:
    """When a worker last showed it was alive; None if never."""
    return WorkerHeartbeat.objects.filter(name=NAME).values_list("beat_at", flat=True).first()
