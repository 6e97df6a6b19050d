"""What an event counts in the daily rollups, and where: the one `Replay` the
lifecycle's receiver, the rebuild and the generator's feed all use (see the
package docstring)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings

from helpline.reports.models import (
    Scope,
)
from helpline.tickets.models import EventKind, State

K = EventKind
# The groupings a rollup row can be of; "none" is the whole desk.
DIMS = ("none", "department", "topic", "team", "priority", "source", "agent")
# The histogram: bucket b >= 1 holds [RATIO**(b-1), RATIO**b) seconds, bucket 0
# everything under a second. Its middle RATIO**(b-0.5) is within sqrt(1.1)-1 =
# 4.9 % of any value in it. Ten years are bucket 251: a SmallIntegerField.
RATIO = 1.1
_LOG_RATIO = math.log(RATIO)


def bucket_of(seconds: float) -> int:
    if seconds < 1:
        return 0
    return 1 + math.floor(math.log(seconds) / _LOG_RATIO)


def bucket_value(bucket: int) -> float:
    """The value a percentile in `bucket` is reported as, in seconds."""
    return 0.0 if bucket <= 0 else RATIO ** (bucket - 0.5)


def zone_name() -> str:
    return str(getattr(settings, "REPORTS_TIME_ZONE", None) or settings.TIME_ZONE)


def keeps(tz: str) -> bool:
    """Are the rollups kept in days of time zone `tz`?"""
    try:
        return ZoneInfo(tz).key == ZoneInfo(zone_name()).key
    except (ValueError, KeyError):
        return False


# --- the replay ----------------------------------------------------------------------


class Fact(Protocol):
    """What the replay reads of an event: an Event, or a row of the rebuild's
    read (`_ticket_events`: a named tuple, without building a model per event)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def new_value(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def agent_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass
class TicketState:
    """Where a ticket was counted after its last event (see module docstring)."""

    open: bool = False
    department: int = 0
    topic: int = 0
    team: int = 0
    priority: int = 0
    source: str = ""
    assignee: int = 0
    handled_day: str = ""  # the local day of its last answer, ISO
    handled_by: list[int] = field(default_factory=list)  # agents who answered that day
    # Its resolutions not rated yet: {event id: the agent who resolved}. A rating
    # counts for the agent of the resolution it rates, as Rating.agent says.
    resolvers: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# Which ticket field an event's `field` changes, and so which grouping it moves.
_MOVES = {
    "department": "department",
    "topic": "topic",
    "team": "team",
    "priority": "priority",
    "agent": "assignee",
}


def _id(value: object) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


# (dim, scope, day, key, department, assignee, team, agent) -> {column: amount}
RowKey = tuple[str, int, date, str, int, int, int, int]
Rows = dict[RowKey, dict[str, float]]
# (row key, series, bucket) -> n
Buckets = dict[tuple[RowKey, str, int], int]


def _zeros() -> defaultdict[str, float]:
    return defaultdict(float)  # a module's function, so that the rows pickle


class Replay:
    """Adds up what events count, ticket by ticket, in time order."""

    def __init__(self, zone: ZoneInfo, state_of: Callable[[int], str | None]) -> None:
        self.zone = zone
        self.state_of = state_of  # a status id -> its State (open/closed/archived)
        self.rows: Rows = defaultdict(_zeros)
        self.buckets: Buckets = defaultdict(int)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def apply(self, before: TicketState | None, event: Fact, count: bool = True) -> TicketState:
        """The ticket's state after `event`; with `count`, add what it counts."""
        data = event.data if isinstance(event.data, dict) else {}
        after = (
            replace(before, handled_by=list(before.handled_by), resolvers=dict(before.resolvers))
            if before
            else TicketState()
        )
        kind = event.kind
        if kind == K.CREATED:
            after = TicketState(
                open=True,
                department=_id(data.get("department")),
                topic=_id(data.get("topic")),
                priority=_id(data.get("priority")),
                source=str(data.get("source") or "")[:40],
            )
        elif event.field in _MOVES and ("new" in data or "old" in data):
            setattr(after, _MOVES[event.field], _id(data.get("new")))
        elif event.field == "status" and "new" in data:
            state = self.state_of(_id(data.get("new")))
            if state is not None:
                after.open = state == State.OPEN
        if kind == K.RESOLVED:
            after.resolvers[str(event.id)] = event.agent_id or 0
        if not count:
            self._handled(after, event, None)
            if kind == K.RATED:
                after.resolvers.pop(str(data.get("resolution")), None)
            return after
        day = self.day(event.created_at)
        self._backlog(before, after, day)
        amounts, about = self._amounts(event, data, after)
        own = self._handled(after, event, day)
        if own is not None:
            first_today, first_for_agent = own
            if first_today:
                amounts["handled"] = 1
            if first_for_agent:
                amounts["handled_own"] = 1
        if not amounts:
            return after
        # Each time: its columns and its bucket, worked out once for all its rows.
        times = [
            (f"{k[2:]}_n", f"{k[2:]}_sum", k[2:], v, bucket_of(v))
            for k, v in amounts.items()
            if k.startswith("t_")
        ]
        counts = [(k, v) for k, v in amounts.items() if not k.startswith("t_")]
        # The agent grouping's Handled is the agent's own.
        for_agent = [(k, v) for k, v in counts if k != "handled"]
        if "handled_own" in amounts:
            for_agent.append(("handled", amounts["handled_own"]))
        for dim in DIMS:
            if dim == "agent":
                key, mine = str(about or ""), for_agent
            else:
                key, mine = _key(after, dim), counts
            for row in _row_keys(dim, key, day, after, about or 0):
                target = self.rows[row]
                for name, amount in mine:
                    target[name] += amount
                for n_column, sum_column, series, seconds, bucket in times:
                    target[n_column] += 1
                    target[sum_column] += seconds
                    self.buckets[(row, series, bucket)] += 1
        return after

    def _handled(
        self, after: TicketState, event: Fact, day: date | None
    ) -> tuple[bool, bool] | None:
        """Remember who answered the ticket today; (first answer today, first by
        this agent today) for an agent's answer, else None."""
        if event.kind not in (K.REPLIED, K.RESOLVED) or not event.agent_id:
            return None
        today = (day or self.day(event.created_at)).isoformat()
        if after.handled_day != today:
            after.handled_day, after.handled_by = today, []
        first_today = not after.handled_by
        first_for_agent = event.agent_id not in after.handled_by
        if first_for_agent:
            after.handled_by.append(event.agent_id)
        return first_today, first_for_agent

    def _amounts(
        self, event: Fact, data: dict[str, Any], after: TicketState
    ) -> tuple[dict[str, float], int | None]:
        """What one event counts (times as "t_<series>"), and the agent it is about."""
        kind = event.kind
        out: dict[str, float] = {}
        about: int | None = event.agent_id
        if kind == K.CREATED:
            out["opened"] = 1
            about = after.assignee or None
        elif kind == K.ASSIGNED and event.field == "agent":
            out["assigned"] = 1
            about = _id(data.get("new")) or None
        elif kind == K.OVERDUE and event.new_value == "True":
            out["overdue"] = 1
            target = data.get("target")
            if target == "first_response":
                out["fr_breaches"] = 1
            elif target == "resolution":
                out["res_breaches"] = 1
            about = after.assignee or None
        elif kind == K.CLOSED:
            out["closed"] = 1
        elif kind == K.RATED and data.get("score") in ("good", "okay", "bad"):
            out[f"rated_{data['score']}"] = 1
            about = after.resolvers.pop(str(data.get("resolution")), 0) or None
        elif kind == K.REOPENED:
            out["reopened"] = 1
        if kind == K.RESOLVED:
            out["resolved"] = 1
            _time(out, "res", data.get("seconds"))
            _time(out, "resb", data.get("business_seconds"))
            if "resolution_met" in data:
                out["res_met_n"] = 1
                out["res_met"] = 1 if data["resolution_met"] is True else 0
        replied = kind == K.REPLIED and event.agent_id is not None
        if (kind == K.RESOLVED or replied) and data.get("first_response") is True:
            _time(out, "fr", data.get("first_response_seconds"))
            _time(out, "frb", data.get("first_response_business_seconds"))
            if "first_response_met" in data:
                out["fr_met_n"] = 1
                out["fr_met"] = 1 if data["first_response_met"] is True else 0
        return {k: v for k, v in out.items() if v or k.startswith("t_")}, about

    def _backlog(self, before: TicketState | None, after: TicketState, day: date) -> None:
        """+1 where the open ticket is now, -1 where it was, per grouping and scope."""
        was = before if before is not None and before.open else None
        now = after if after.open else None
        if was is None and now is None:
            return
        if was is not None and now is not None and _groups(was) == _groups(now):
            return  # most events: nothing moved
        for dim in DIMS:
            old = set(_row_keys(dim, _key(was, dim), day, was, was.assignee)) if was else set()
            new = set(_row_keys(dim, _key(now, dim), day, now, now.assignee)) if now else set()
            for row in old - new:
                self.rows[row]["backlog"] -= 1
            for row in new - old:
                self.rows[row]["backlog"] += 1


def _groups(state: TicketState) -> tuple[object, ...]:
    return (
        state.department,
        state.topic,
        state.team,
        state.priority,
        state.source,
        state.assignee,
    )


def _time(out: dict[str, float], series: str, value: object) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        out[f"t_{series}"] = max(float(value), 0.0)


def _key(state: TicketState | None, dim: str) -> str:
    if state is None or dim == "none":
        return ""
    value = state.assignee if dim == "agent" else getattr(state, dim)
    return str(value or "")


def _row_keys(dim: str, key: str, day: date, state: TicketState, agent: int) -> list[RowKey]:
    """The rows a figure goes to: by department, and by who when there is a who
    (a row by who with no assignee, team or agent would match no viewer: an
    agent's own figures need their id, a supervisor's tickets beyond their
    departments are assigned to them or to their teams)."""
    rows: list[RowKey] = [(dim, Scope.DEPARTMENT, day, key, state.department, 0, 0, 0)]
    if state.assignee or state.team or agent:
        rows.append((dim, Scope.WHO, day, key, state.department, state.assignee, state.team, agent))
    return rows


# What the replay reads of an event (the reads of `record` and `rebuild`).
EVENT_FIELDS = (
    "id",
    "ticket_id",
    "kind",
    "field",
    "new_value",
    "data",
    "agent_id",
    "created_at",
)
