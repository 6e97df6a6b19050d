"""Reports: the help desk's figures for a period, grouped, as the desk's report
page shows them (`helpline.reports.metrics.as_json`, the JSON its charts draw).

Who may read them:
- an agent's personal token: that agent, as on the page (administrators and
  supervisors every ticket they may see, agents only their own figures);
- an API key needs the `reports:read` scope (or `admin`); a key that acts as an
  agent then sees what that agent would, a key without one (the API channel)
  sees every ticket.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from helpline.api.common import caller_of
from helpline.api.inputs import BadInput
from helpline.api.models import Scope
from helpline.api.schemas import Day, ErrorOut
from helpline.api.security import keys
from helpline.reports import exports
from helpline.reports.metrics import as_json

router = Router(tags=["reports"], auth=keys(Scope.REPORTS))
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}

Group = Literal["none", "department", "topic", "agent", "team", "priority", "source"]
Preset = Literal["today", "7d", "30d", "quarter", "custom"]


class ReportParams(Schema):
    preset: Preset | None = Field(
        None,
        description="today, 7d (today and the 6 days before), 30d, quarter (from the "
        "quarter's first day), or custom with start and end. Nothing given: 7d.",
    )
    start: Day | None = Field(None, description="First day (YYYY-MM-DD), with preset=custom.")
    end: Day | None = Field(None, description="Last day, included (YYYY-MM-DD).")
    group: Group = Field("none", description="One row per department, topic, agent, ...")
    tz: str | None = Field(
        None,
        max_length=64,
        description="The time zone whose days the period counts, e.g. Europe/Berlin. "
        "Default: the agent's own time zone, else the server's.",
    )


@router.get("", response={200: dict[str, Any], **ERRORS}, summary="A report")
def read_report(request: HttpRequest, params: Query[ReportParams]) -> dict[str, Any]:
    """The figures of a period, one row per group and a total, the backlog and the
    opened and resolved tickets per day: the same JSON as the desk's report page.
    Every figure is defined in docs/metrics.md."""
    caller = caller_of(request)
    agent = caller.agent
    query = {
        "preset": params.preset or "",
        "start": params.start.isoformat() if params.start else "",
        "end": params.end.isoformat() if params.end else "",
        "group": params.group,
        "tz": params.tz or "",
    }
    # The desk's report zone (the rollups' days) unless `tz` asks for another.
    default_tz = exports.default_zone()
    # Periods are bounded where they are made (helpline.reports.periods), so only
    # its refusals are the client's fault; anything else is a bug and a logged 500.
    try:
        parsed = exports.parse_query(query, tz=default_tz)
    except exports.BadReportInput as bad:
        raise BadInput(bad.message, bad.field) from None
    return as_json(exports.run(parsed, agent))
