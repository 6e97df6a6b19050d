"""The checks behind /readyz: is this Helpline able to do its work?

Each check answers with a value (how old the thing it watches is, in seconds)
and whether that value is within its bound (settings.HELPLINE_READY_*). They are
cheap on purpose, since monitoring asks every few seconds: one query each (two for
the outbox), each served by an index (`SELECT 1`; the heartbeat's single row; the
oldest unsent mail through the outbox's partial index of pending and sending mail
and the oldest change not fanned out yet through MailBatch's; the oldest
waiting quarantined message through its (state, created_at) index).

ops is the layer above the channels (pyproject's import contract): it imports the
models it watches, so a renamed state or table breaks the type check and the
import contract, not /readyz in silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Min
from django.utils import timezone

from helpline.intake.models import QuarantinedMessage
from helpline.notify.models import MailBatch, OutboundMessage, OutboundStatus
from helpline.worker.models import WorkerHeartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    value: float | str | None  # seconds, a word, or None: nothing to measure
    limit: float | None = None  # the bound the value was held to, in seconds

    def as_json(self) -> dict[str, object]:
        answer: dict[str, object] = {"ok": self.ok, "value": self.value}
        if self.limit is not None:
            answer["limit"] = self.limit
        return answer


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round(max((now - moment).total_seconds(), 0.0), 1)


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check("database", True, "reachable")


def worker(now: datetime) -> Check:
    """How long ago a worker's scheduler loop last beat (None: never)."""
    beat = WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
    age = _age(beat, now)
    limit = settings.HELPLINE_READY_WORKER_SECONDS
    return Check("worker", age is not None and age <= limit, age, limit)


def outbox(now: datetime) -> Check:
    """How long the oldest mail still to be sent has waited (None: none waits),
    counting the changes whose mail the worker has not written yet (MailBatch,
    through its partial index of pending batches)."""
    waiting = [OutboundStatus.PENDING, OutboundStatus.SENDING]
    oldest = OutboundMessage.objects.filter(status__in=waiting).aggregate(oldest=Min("created_at"))[
        "oldest"
    ]
    unwritten = MailBatch.objects.filter(next_attempt_at__isnull=False).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    age = _age(min((t for t in (oldest, unwritten) if t is not None), default=None), now)
    limit = settings.HELPLINE_READY_OUTBOX_SECONDS
    return Check("outbox", age is None or age <= limit, age, limit)


def quarantine(now: datetime) -> Check:
    """How long the oldest quarantined message has waited for an administrator."""
    pending = QuarantinedMessage.objects.filter(state=QuarantinedMessage.State.PENDING)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    age = _age(oldest, now)
    limit = settings.HELPLINE_READY_QUARANTINE_SECONDS
    return Check("quarantine", age is None or age <= limit, age, limit)


def readiness() -> list[Check]:
    """Every check; when the database does not answer, the others are not tried
    (each would only wait for it again) and say so."""
    try:
        first = database()
    except DatabaseError as error:
        log.warning("Readiness: the database does not answer (%s)", error)
        unreachable = "database unreachable"
        return [
            Check("database", False, "unreachable"),
            *(Check(name, False, unreachable) for name in ("worker", "outbox", "quarantine")),
        ]
    now = timezone.now()
    checks = [first]
    measures: list[Callable[[datetime], Check]] = [worker, outbox, quarantine]
    for measure in measures:
        try:
            checks.append(measure(now))
        except DatabaseError as error:  # the database went away meanwhile
            log.warning("Readiness: %s failed (%s)", measure.__name__, error)
            checks.append(Check(measure.__name__, False, "query failed"))
    return checks
