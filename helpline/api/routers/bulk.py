"""Bulk actions (helpline.bulk): one change to many tickets, as the desk's
selection bar makes it.

`POST /api/v1/bulk` takes an action, its parameters (the same as the desk's:
ids of the agent, team, department, status or priority; `text` for a note or a
resolution; `reason`; `into` for a merge) and the tickets, either by number
(`tickets`, each "NUMBER" or "NUMBER:VERSION", the version the client saw) or as
every ticket of a queue with its filters (`queue`, `filters`). Up to
HELPLINE_BULK_INLINE tickets are changed before the answer (200, `state`
"done"); more are queued for the worker (202): poll `GET /api/v1/bulk/{id}`.
Numbers the caller cannot see are listed in `unknown` and left out.

Each ticket is changed through the lifecycle with the caller's agent's rights;
a refusal is that ticket's outcome ("refused", with the sentence), never the
end of the rest. Results come a page at a time: `after` is the last `position`
read.

Why numbers are capped at MAX_NUMBERS per request: the JSON bounds of every
request (helpline.api.inputs, 20,000 values) hold about that many; a larger
selection is a queue and its filters, bounded by HELPLINE_BULK_MAX.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.responses import Status as Answer
from pydantic import Field

from helpline.api.common import TICKET_NUMBER, ApiError, agent_of
from helpline.api.models import Scope
from helpline.api.schemas import ErrorOut
from helpline.api.security import keys
from helpline.bulk import runner, selection
from helpline.bulk.actions import BadBulkInput, check, summary
from helpline.bulk.models import BulkItem, BulkJob, JobState
from helpline.tickets import queues
from helpline.tickets.models import Ticket

router = Router(tags=["bulk actions"])

MAX_NUMBERS = 5_000
RESULTS_PAGE = 500
# The action's parameters, as helpline.bulk.actions.check reads them.
PARAMETERS = ("agent", "team", "department", "status", "priority", "text", "reason", "into")


class BulkIn(Schema):
    action: str = Field(
        max_length=20,
        description=(
            "assign, release, transfer, status, priority, note, resolve, close, reopen or merge"
        ),
    )
    tickets: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list,
        max_length=MAX_NUMBERS,
        description='Ticket numbers, each "NUMBER" or "NUMBER:VERSION" (the version you saw).',
    )
    queue: str | None = Field(
        default=None,
        max_length=20,
        description=(
            "Instead of `tickets`: every ticket of this queue "
            "(open, mine, unassigned, overdue, closed)."
        ),
    )
    filters: dict[Annotated[str, Field(max_length=20)], Annotated[str, Field(max_length=40)]] = (
        Field(default_factory=dict, max_length=10, description="The queue's filters and `sort`.")
    )
    agent: int | None = None
    team: int | None = None
    department: int | None = None
    status: int | None = None
    priority: int | None = None
    text: str = Field(default="", max_length=20_000)
    reason: str = Field(default="", max_length=500)
    into: str = Field(default="", max_length=21)


class ItemOut(Schema):
    position: int
    number: str
    outcome: str
    message: str


class BulkOut(Schema):
    id: int
    action: str
    state: str
    total: int
    done: int
    refused: int
    summary: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str
    unknown: list[str] = []
    results: list[ItemOut]
    next_after: int | None


class ResultsQuery(Schema):
    after: int = Field(default=-1, ge=-1, le=2**31)


def _numbers(agent: Any, raw: list[str]) -> tuple[list[selection.Target], list[str]]:
    """The tickets named (each once, in order) that the agent can see, and the
    numbers it cannot (not found, or not theirs: the same to the client)."""
    wanted: dict[str, int | None] = {}
    for value in raw:
        number, sep, version = value.strip().partition(":")
        if not TICKET_NUMBER.fullmatch(number) or (
            sep and not (version.isascii() and version.isdigit() and len(version) < 10)
        ):
            raise ApiError(
                422,
                _("Not a ticket number: %(value)s.") % {"value": repr(value[:40])},
                "tickets",
            )
        wanted.setdefault(number, int(version) if sep else None)
    found: dict[str, int] = {}
    names = list(wanted)
    for start in range(0, len(names), 1000):
        found.update(
            Ticket.objects.visible_to(agent)
            .filter(number__in=names[start : start + 1000])
            .values_list("number", "pk")
        )
    targets = [selection.Target(found[n], n, v) for n, v in wanted.items() if n in found]
    return targets, [n for n in wanted if n not in found]


def _out(
    request: HttpRequest, job: BulkJob, after: int = -1, unknown: list[str] | None = None
) -> dict[str, Any]:
    items = list(
        BulkItem.objects.filter(job=job, position__gt=after)
        .exclude(outcome="pending")
        .order_by("position")
        .values("position", "number", "outcome", "message")[: RESULTS_PAGE + 1]
    )
    more = len(items) > RESULTS_PAGE
    items = items[:RESULTS_PAGE]
    return {
        "id": job.pk,
        "action": job.action,
        "state": job.state,
        "total": job.total,
        "done": job.done,
        "refused": job.refused,
        "summary": summary(job.action, job.done, job.refused),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": f"{request.META.get('SCRIPT_NAME', '')}/api/v1/bulk/{job.pk}",
        "unknown": unknown or [],
        "results": items,
        "next_after": items[-1]["position"] if more else None,
    }


@router.post(
    "/bulk",
    response={
        200: BulkOut,
        202: BulkOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Change many tickets at once",
    auth=keys(Scope.WRITE, agent=True),
)
def start_bulk(request: HttpRequest, payload: BulkIn) -> Answer[dict[str, Any]]:
    agent = agent_of(request)
    unknown: list[str] = []
    try:
        if payload.queue is not None:
            if payload.tickets:
                raise BadBulkInput(_("Give `tickets` or `queue`, not both."), "queue")
            params = queues.filter_params(payload.filters)
            if sort := payload.filters.get("sort"):
                params["sort"] = sort
            targets = selection.matching(agent, payload.queue, params)
        else:
            targets, unknown = _numbers(agent, payload.tickets)
        if not targets:
            raise BadBulkInput(_("No ticket you can see was named."), "tickets")
        values = payload.model_dump(include=set(PARAMETERS))
        job_params = check(payload.action, values, agent)
        job = runner.start(agent, payload.action, job_params, targets, channel="api")
    except BadBulkInput as bad:
        raise ApiError(422, bad.message, bad.field) from None
    except runner.TooMany as many:
        raise ApiError(429, str(many)) from None
    return Answer(200 if job.state == JobState.DONE else 202, _out(request, job, unknown=unknown))


@router.get(
    "/bulk/{job_id}",
    response={200: BulkOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A bulk action's progress and results",
    auth=keys(Scope.WRITE, agent=True),
)
def read_bulk(
    request: HttpRequest,
    job_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    query: Query[ResultsQuery],
) -> dict[str, Any]:
    job = BulkJob.objects.filter(pk=job_id, agent=agent_of(request)).first()
    if job is None:
        raise ApiError(404, _("No such bulk action."))
    return _out(request, job, after=query.after)
