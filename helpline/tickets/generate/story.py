"""One generated ticket's life, told step by step the way the lifecycle writes it.

A `Story` keeps a stand-in of the ticket row (`Sim`) and replays the lifecycle's
functions on it without a database: opening, replies (claiming by replying),
customer messages (reopening, resuming a paused clock), notes, status moves,
resolving, closing (by an agent, or by auto-close after the department's days),
ratings, and the SLA sweep, which runs at each alarm the ticket sets, before any
later step, exactly as `lifecycle.sla_tick` would at that moment (overdue marks,
escalation levels, the next alarm). The SLA arithmetic is the lifecycle's own:
every clock field comes from `helpline.tickets.deadlines` (start, pause, resume,
answered, resolved, next_alarm, elapsed, level_due, overdue_at).

Each step mirrors one lifecycle function (named in its docstring), writing the
same events with the same `data` the reports read, bumping `version` and
`updated_at` where `Change.save` would. A story stops at the generator's "now":
a step that would come later never happens, so recent tickets are still open,
waiting or overdue, as they would be on a live desk.

What the generator leaves out (the lifecycle can do it, the history does not
show it): transfers, plan changes by hand, manual due dates, follow-up tickets,
collaborators, held mail, and escalation levels that transfer or reassign.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from helpline.sla.models import EscalationLevel, SLAPlan, Target
from helpline.tickets import deadlines
from helpline.tickets.models import EntryKind, EventKind, Score, Source, State, Status, Ticket
from helpline.tickets.reasons import OWN_KEY, Own, english, own

if TYPE_CHECKING:
    from helpline.tickets.generate.run import Desk
    from helpline.tickets.generate.world import TopicInfo

K = EventKind


class Now(Exception):
    """The story reached the generator's present: nothing later happens."""


# Who acts: ("agent", id, name), ("customer", id, name), or None for Helpline itself.
Person = tuple[str, int, str]
Actor = Person | None


@dataclass
class Sim:
    """The ticket row as the lifecycle would hold it (what `deadlines` reads)."""

    status_id: int
    state: str
    sla: SLAPlan | None
    created_at: datetime
    sla_started_at: datetime | None = None
    sla_paused_at: datetime | None = None
    sla_paused_seconds: int = 0
    first_response_due_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_breached: bool = False
    due_at: datetime | None = None
    due_is_manual: bool = False
    resolution_breached: bool = False
    is_overdue: bool = False
    sla_alarm_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == State.OPEN

    def set(self, fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            setattr(self, name, value)


BODIES = {
    EntryKind.MESSAGE: (
        "<p>Hello, this started this morning and I cannot work around it. Could you "
        "have a look?</p>",
        "<p>Thanks for the quick answer. I tried that, and it still happens.</p>",
        "<p>Here is more detail: it fails every time I try, on two different machines.</p>",
        "<p>That worked, thank you!</p>",
    ),
    EntryKind.REPLY: (
        "<p>Thanks for reaching out. Could you tell us when it last worked?</p>",
        "<p>We have reproduced it and are working on a fix; we will update you here.</p>",
        "<p>Please try again now and tell us whether it works for you.</p>",
    ),
    EntryKind.NOTE: (
        "<p>Checked the logs: same error as last week's incident.</p>",
        "<p>Waiting for the vendor; they promised an answer by tomorrow.</p>",
    ),
}
RESOLUTIONS = (
    "<p>We fixed the configuration on our side; it works again. Thank you for your patience.</p>",
    "<p>Answered: the steps are in the reply above. Reopen this by replying if needed.</p>",
)
COMMENTS = ("", "", "", "Quick and friendly, thanks.", "Took too long.", "Solved, thank you!")
FILES = (
    ("screenshot.png", "image/png"),
    ("error-log.txt", "text/plain"),
    ("invoice.pdf", "application/pdf"),
    ("photo.jpg", "image/jpeg"),
)
MAX_ENTRIES = 30
HOUR = 3600.0


def _display(value: object) -> str:
    return "" if value is None else str(value)[:255]


class Story:
    def __init__(self, desk: Desk, created_at: datetime) -> None:
        self.desk = desk
        self.rng: random.Random = desk.rng
        self.now: datetime = desk.now
        world = desk.world
        rng = self.rng
        self.topic: TopicInfo = rng.choices(world.topics, world.topic_weights)[0]
        self.department = world.departments[self.topic.department_id]
        self.agents = world.department_agents[self.topic.department_id] or desk.admins
        index = int(world.customers * rng.random() ** 3)  # a long tail of repeat customers
        self.customer: Person = (
            "customer",
            world.customers_first_id + index,
            _customer_name(index),
        )
        self.agent: Person = ("agent", *rng.choice(self.agents))
        self.resolver: Person = self.agent
        self.id = desk.tickets.take_id()
        self.t = created_at
        self.entries = 0
        self.pending: list[dict[str, Any]] = []
        self.pauses: list[list[datetime | None]] = []
        self.fired: list[int] = []
        self.row: dict[str, Any] = {}
        self.status: Status = world.statuses["new"]
        self.tk = Sim(
            status_id=self.status.pk, state=self.status.state, sla=None, created_at=created_at
        )

    # --- time ------------------------------------------------------------------------

    def wait(self, median_hours: float, sigma: float = 1.0) -> None:
        """Let time pass (lognormal: most waits short, some long); run the sweep for
        every alarm on the way, and stop at the present."""
        self.advance(
            self.t + timedelta(seconds=median_hours * HOUR * self.rng.lognormvariate(0, sigma))
        )

    def advance(self, until: datetime) -> None:
        tk = self.tk
        while tk.sla_alarm_at is not None and tk.sla_alarm_at <= min(until, self.now):
            self.sweep(tk.sla_alarm_at)
        if until > self.now:
            raise Now
        self.t = until

    # --- rows ------------------------------------------------------------------------

    def event(
        self,
        kind: str,
        actor: Actor,
        *,
        field: str = "",
        old: object = "",
        new: object = "",
        reason: str = "",
        data: dict[str, Any] | None = None,
        entry: int | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """An event as `Change.event` builds it; written when the step saves."""
        data = dict(data or {})
        if entry is not None:
            data["entry"] = entry
        if isinstance(reason, Own):
            data[OWN_KEY] = True
        row = {
            "id": self.desk.events.take_id(),
            "ticket_id": self.id,
            "kind": kind,
            "agent_id": actor[1] if actor and actor[0] == "agent" else None,
            "customer_id": actor[1] if actor and actor[0] == "customer" else None,
            "actor_name": (actor[2] if actor else "System")[:200],
            "field": field,
            "old_value": _display(old),
            "new_value": _display(new),
            "data": data,
            "reason": reason,
            "created_at": at or self.t,
        }
        self.pending.append(row)
        return row

    def save(self, at: datetime | None = None) -> None:
        """`Change.save`: the events, a version, the update time."""
        for row in self.pending:
            self.desk.add_event(row)
        self.pending = []
        self.row["version"] = self.row.get("version", 0) + 1
        self.row["updated_at"] = at or self.t

    def entry(
        self,
        kind: str,
        actor: Actor,
        body: str,
        *,
        source: str = Source.WEB,
        resolution: bool = False,
    ) -> int:
        desk = self.desk
        pk = desk.entries.take_id()
        desk.entries.add(
            id=pk,
            ticket_id=self.id,
            kind=kind,
            agent_id=actor[1] if actor and actor[0] == "agent" else None,
            customer_id=actor[1] if actor and actor[0] == "customer" else None,
            author_name=(actor[2] if actor else "System")[:200],
            body=body,
            source=source,
            is_resolution=resolution,
            created_at=self.t,
        )
        self.entries += 1
        share = 0.1 if kind == EntryKind.MESSAGE else 0.03
        while self.rng.random() < share:
            name, content_type = self.rng.choice(FILES)
            desk.attachments.add(
                entry_id=pk,
                ticket_id=self.id,
                # Metadata only: no file is written (see the package docstring).
                file=f"attachments/{self.id}/{self.rng.getrandbits(128):032x}",
                filename=name,
                content_type=content_type,
                size=self.rng.randint(2_000, 2_000_000),
            )
            share /= 3
        return pk

    # --- the clock (lifecycle.clock) ----------------------------------------------------

    def set_clock(self, step: Callable[[], dict[str, Any]]) -> None:
        """`clock._set_clock`: apply the clock fields `step` computes, open or end a
        ClockPause. A callable, as there: the deadlines functions update the ticket
        while they compute, so the state before must be read first."""
        tk = self.tk
        was_paused = tk.sla_paused_at is not None
        tk.set(step())
        paused = tk.sla_paused_at is not None
        if was_paused and not paused:
            self.end_pauses()
        elif paused and not was_paused:
            self.pauses.append([self.t, None])

    def end_pauses(self) -> None:
        for pause in self.pauses:
            if pause[1] is None:
                pause[1] = self.t

    def rearm(self) -> None:
        tk = self.tk
        tk.sla_alarm_at = deadlines.next_alarm(self.ticket, tk.sla, self.fired)

    @property
    def ticket(self) -> Ticket:
        return cast(Ticket, self.tk)  # what deadlines reads, duck-typed

    def timing(self) -> dict[str, int]:
        """`clock.timing`."""
        pauses = [(cast(datetime, a), b) for a, b in self.pauses]
        wall, business = deadlines.elapsed(self.ticket, self.tk.sla, self.t, pauses)
        return {"seconds": wall, "business_seconds": business}

    def record_answer(self, actor: Actor, data: dict[str, Any]) -> None:
        """`clock.record_answer`."""
        tk = self.tk
        was_overdue = tk.is_overdue
        if tk.first_response_at is None:
            waited = self.timing()
            data.update(
                first_response=True,
                first_response_seconds=waited["seconds"],
                first_response_business_seconds=waited["business_seconds"],
            )
        fields = deadlines.answered(self.ticket, tk.sla, self.t)
        if not fields:
            return
        tk.set(fields)
        if tk.first_response_due_at is not None:
            data["first_response_met"] = not tk.first_response_breached
        if was_overdue and not tk.is_overdue:
            self.event(
                K.OVERDUE,
                actor,
                field="overdue",
                old=True,
                new=False,
                reason=own("First response sent"),
                data={"target": "first_response"},
            )
        self.rearm()

    def move_status(self, actor: Actor, status: Status) -> None:
        """`status.move_status` with `clock.status_moved`."""
        tk = self.tk
        self.event(
            K.STATUS,
            actor,
            field="status",
            old=self.status.name,
            new=status.name,
            data={"old": self.status.pk, "new": status.pk},
        )
        self.status = status
        tk.status_id, tk.state = status.pk, status.state
        if deadlines.pauses(tk.sla, status.pk):
            self.set_clock(lambda: deadlines.pause(self.ticket, self.t))
        else:
            self.set_clock(lambda: deadlines.resume(self.ticket, tk.sla, self.t))
        self.rearm()

    def sweep(self, at: datetime) -> None:
        """`escalation.sla_tick` at the moment the alarm rings."""
        tk = self.tk
        plan = tk.sla
        self.t = max(self.t, at)
        if plan is None or not tk.is_open or tk.sla_paused_at is not None:
            tk.sla_alarm_at = None
            return
        fr_due = tk.first_response_due_at
        if (
            fr_due is not None
            and tk.first_response_at is None
            and not tk.first_response_breached
            and deadlines.overdue_at(plan, fr_due) <= at
        ):
            self.missed(Target.FIRST_RESPONSE, fr_due, at)
            tk.first_response_breached = True
        if (
            tk.due_at is not None
            and not tk.resolution_breached
            and deadlines.overdue_at(plan, tk.due_at) <= at
        ):
            self.missed(Target.RESOLUTION, tk.due_at, at)
            tk.resolution_breached = True
        for level in deadlines.levels_of(plan):
            if level.pk in self.fired:
                continue
            moment = deadlines.level_due(self.ticket, plan, level)
            if moment is not None and moment <= at:
                self.fire(level, at)
        self.rearm()
        if self.pending:
            self.save(at)

    def missed(self, target: Target, due: datetime, at: datetime) -> None:
        """`escalation._missed`."""
        self.event(
            K.OVERDUE,
            None,
            field="overdue",
            old=self.tk.is_overdue,
            new=True,
            reason=own(f"{english(target.label)} target missed (due {due:%Y-%m-%d %H:%M} UTC)"),
            data={"target": target.value, "due": due.isoformat()},
            at=at,
        )
        self.tk.is_overdue = True

    def fire(self, level: EscalationLevel, at: datetime) -> None:
        """`escalation._fire` for levels that alert and raise the priority."""
        if level.transfer_to_id or level.assign_team_id or level.assign_agent_id:
            raise NotImplementedError("generated history has no reassigning escalation levels")
        self.fired.append(level.pk)
        self.desk.fired.add(ticket_id=self.id, level_id=level.pk, fired_at=at, by_hand=False)
        label = english(level.__str__)
        order = self.row.get("escalation_level", 0)
        self.event(
            K.ESCALATED,
            None,
            field="escalation",
            old=f"Level {order}" if order else "",
            new=label,
            reason=own(f"SLA: {english(level.describe)}"),
            data={
                "level": level.pk,
                "order": level.order,
                "by_hand": False,
                "notify_assignee": level.notify_assignee,
                "notify_manager": level.notify_manager,
                "agents": self.desk.level_agents.get(level.pk, []),
            },
            at=at,
        )
        self.row["escalation_level"] = max(order, level.order)
        raise_to = level.raise_priority_to
        current = self.desk.world.priorities[self.row["priority_id"]]
        if raise_to is not None and raise_to.urgency > current.urgency:
            self.event(
                K.EDITED,
                None,
                field="priority",
                old=current.name,
                new=raise_to.name,
                reason=own(f"Escalation: {label}"),
                data={"old": current.pk, "new": raise_to.pk},
                at=at,
            )
            self.row["priority_id"] = raise_to.pk

    # --- the steps (lifecycle functions) -------------------------------------------------

    def open(self) -> None:
        """`opening.open_ticket` (manual assignment: nobody is picked)."""
        rng, tk, topic = self.rng, self.tk, self.topic
        source = rng.choices((Source.WEB, Source.EMAIL, Source.PHONE, Source.API), (45, 40, 10, 5))[
            0
        ]
        self.source = source
        plan = topic.plan
        self.row = {
            "id": self.id,
            "number": None,  # drawn when the batch is written (run.Desk.flush)
            "subject": rng.choice(topic.subjects),
            "customer_id": self.customer[1],
            "topic_id": topic.id,
            "department_id": topic.department_id,
            "priority_id": topic.priority_id,
            "source": source,
            "sla_id": plan.pk if plan else None,
            "sla_from": topic.sla_from,
            "extra": {},
            "created_at": self.t,
            "last_message_at": self.t,
            "escalation_level": 0,
            "reopen_count": 0,
        }
        tk.set(deadlines.start(self.ticket, plan, self.t))
        tk.sla_alarm_at = deadlines.next_alarm(self.ticket, plan, ())
        entry = self.entry(
            EntryKind.MESSAGE,
            self.customer,
            rng.choice(BODIES[EntryKind.MESSAGE][:3]),
            source=source,
        )
        opener: Actor = self.customer
        reason: str = ""
        if source == Source.PHONE:
            opener = self.agent
            reason = own(f"Opened by {self.agent[2]} for {self.customer[2]}")
        elif source in (Source.EMAIL, Source.API):
            opener = None
        self.event(
            K.CREATED,
            opener,
            new=self.row["subject"],
            entry=entry,
            data={
                "source": source,
                "department": topic.department_id,
                "topic": topic.id,
                "priority": topic.priority_id,
                "autorespond": True,
            },
            reason=reason,
        )
        for row in self.pending:
            self.desk.add_event(row)
        self.pending = []
        self.row["version"] = 1
        self.row["updated_at"] = self.t

    def reply(self, status: Status | None = None) -> None:
        """`thread.reply`: answering an unassigned ticket claims it."""
        agent = self.agent
        entry = self.entry(EntryKind.REPLY, agent, self.rng.choice(BODIES[EntryKind.REPLY]))
        replied = self.event(K.REPLIED, agent, entry=entry)
        self.row["last_response_at"] = self.t
        self.record_answer(agent, replied["data"])
        if self.row.get("assignee_id") is None:
            self.event(
                K.ASSIGNED,
                agent,
                field="agent",
                old=None,
                new=agent[2],
                reason=own("Claimed by replying"),
                data={"old": None, "new": agent[1]},
            )
            self.row["assignee_id"] = agent[1]
        if status is not None and status.pk != self.status.pk:
            self.move_status(agent, status)
        self.save()

    def note(self) -> None:
        """`thread.add_note`."""
        entry = self.entry(EntryKind.NOTE, self.agent, self.rng.choice(BODIES[EntryKind.NOTE]))
        self.event(K.NOTE, self.agent, entry=entry)
        self.save()

    def assign_team(self) -> None:
        """`assignment.assign` of a team by the ticket's agent."""
        team_id, name = self.rng.choice(self.desk.world.teams)
        self.event(
            K.ASSIGNED,
            self.agent,
            field="team",
            old=None,
            new=name,
            data={"old": None, "new": team_id},
        )
        self.row["team_id"] = team_id
        self.save()

    def change_status(self, status: Status) -> None:
        """`status.change_status`."""
        self.move_status(self.agent, status)
        self.save()

    def customer_reply(self) -> None:
        """`thread.customer_reply`: reopens an ended ticket, resumes a paused clock."""
        source = Source.EMAIL if self.rng.random() < 0.6 else Source.WEB
        entry = self.entry(
            EntryKind.MESSAGE,
            self.customer,
            self.rng.choice(BODIES[EntryKind.MESSAGE][1:]),
            source=source,
        )
        self.event(K.CUSTOMER_REPLIED, self.customer, entry=entry)
        self.row["last_message_at"] = self.t
        new = self.desk.world.statuses["new"]
        if not self.tk.is_open:
            self.reopen(new)
        elif self.status.pauses_sla or deadlines.pauses(self.tk.sla, self.status.pk):
            self.move_status(self.customer, new)
            self.pending[-1]["reason"] = "The customer replied"
        self.save()

    def reopen(self, status: Status) -> None:
        """`status.apply_reopen` (the plan stays: the topic's and department's
        plans do not change while the history is written)."""
        tk = self.tk
        self.event(
            K.REOPENED,
            self.customer,
            field="status",
            old=self.status.name,
            new=status.name,
            reason=own("The customer replied"),
            data={"old": self.status.pk, "new": status.pk},
        )
        self.status = status
        tk.status_id, tk.state = status.pk, status.state
        self.row["reopen_count"] += 1
        self.row["resolved_at"] = self.row["closed_at"] = None
        if tk.sla_paused_at is not None:
            self.end_pauses()
        tk.sla_paused_at = None
        self.set_clock(lambda: deadlines.start(self.ticket, tk.sla, self.t))
        self.rearm()

    def resolve(self) -> int:
        """`status.resolve`; returns the RESOLVED event's id (for a rating)."""
        tk = self.tk
        agent = self.agent
        status = self.desk.world.statuses["resolved"]
        entry = self.entry(EntryKind.REPLY, agent, self.rng.choice(RESOLUTIONS), resolution=True)
        resolved = self.event(
            K.RESOLVED,
            agent,
            field="status",
            old=self.status.name,
            new=status.name,
            data={"old": self.status.pk, "new": status.pk},
            entry=entry,
        )
        resolved["data"].update(self.timing())
        self.record_answer(agent, resolved["data"])
        tk.set(deadlines.resolved(self.ticket, tk.sla, self.t))
        if tk.due_at is not None:
            resolved["data"]["resolution_met"] = not tk.resolution_breached
        self.status = status
        tk.status_id, tk.state = status.pk, status.state
        tk.is_overdue, tk.sla_alarm_at = False, None
        self.row["resolved_at"] = self.row["last_response_at"] = self.t
        self.resolver = agent
        self.save()
        return cast(int, resolved["id"])

    def close(self, actor: Actor, reason: str = "") -> None:
        """`status.close`, from open or from resolved."""
        tk = self.tk
        status = self.desk.world.statuses["closed"]
        self.event(
            K.CLOSED,
            actor,
            field="status",
            old=self.status.name,
            new=status.name,
            reason=reason,
            data={"old": self.status.pk, "new": status.pk},
        )
        if tk.is_open:
            tk.set(deadlines.resolved(self.ticket, tk.sla, self.t))
        self.status = status
        tk.status_id, tk.state = status.pk, status.state
        tk.is_overdue, tk.sla_alarm_at = False, None
        self.row["closed_at"] = self.t
        self.save()

    def rate(self, resolution: int, at: datetime) -> None:
        """`rating.rate` at `at`: no version, no update time."""
        rng = self.rng
        score = rng.choices((Score.GOOD, Score.OKAY, Score.BAD), (70, 18, 12))[0]
        comment = rng.choice(COMMENTS)
        pk = self.desk.ratings.take_id()
        agent = self.resolver
        self.desk.ratings.add(
            id=pk,
            ticket_id=self.id,
            resolution_id=resolution,
            customer_id=self.customer[1],
            agent_id=agent[1],
            score=score,
            comment=comment,
            created_at=at,
        )
        row = self.event(
            K.RATED,
            self.customer,
            field="rating",
            new=english(Score(score).label),
            reason=comment,
            data={"rating": pk, "resolution": resolution, "score": score},
            at=at,
        )
        self.pending.remove(row)
        self.desk.add_event(row)

    # --- the plot -------------------------------------------------------------------------

    def tell(self) -> None:
        """The whole story, then the ticket row with the clock as it stands now."""
        self.open()
        with contextlib.suppress(Now):
            self.plot()
        self.advance(self.now)  # the sweep up to the present (never past it)
        self.finish()

    def plot(self) -> None:
        rng = self.rng
        plan = self.topic.plan
        first = (
            float(plan.first_response_hours) * 0.5 if plan and plan.first_response_hours else 1.5
        )
        if rng.random() < 0.03:  # spam or a duplicate
            self.wait(first)
            self.close(self.agent, rng.choice(("Spam", "Duplicate of another ticket")))
            return
        if rng.random() < 0.1:
            self.wait(0.2)
            self.assign_team()
        stalls = rng.random() < 0.2  # left waiting: the desk's open backlog
        for cycle in range(3):
            rounds = 1 + min(int(rng.expovariate(0.5)), 8)
            if cycle == 0 and rng.random() < 0.2:
                rounds = 0  # answered by the resolution itself
            self.exchange(rounds, first if cycle == 0 else 2.0)
            if stalls:
                self.stall()
            self.wait(1.5)
            resolved_at = self.t
            resolution = self.resolve()
            rated = resolved_at + timedelta(hours=8 * rng.lognormvariate(0, 1))
            if rng.random() < 0.3 and rated <= self.now:
                self.rate(resolution, rated)
            if not (rng.random() < 0.08 and cycle < 2 and self.reply_after(resolved_at)):
                break
        days = self.department.auto_close_days
        if days is not None:
            self.advance(resolved_at + timedelta(days=days, minutes=rng.uniform(0, 15)))
            self.close(
                None, own(f"Closed automatically: no reply {days} days after it was resolved")
            )
        elif rng.random() < 0.5:
            self.wait(30.0)
            self.close(self.agent)

    def reply_after(self, resolved_at: datetime) -> bool:
        """The customer writes again after the resolution, inside the reopen window
        and before auto-close: the ticket reopens. False when they did not."""
        later = resolved_at + timedelta(hours=24 * self.rng.lognormvariate(0, 1))
        window = self.department.reopen_window_days
        days = self.department.auto_close_days
        if window is not None and later - resolved_at > timedelta(days=window):
            return False
        if days is not None and later - resolved_at >= timedelta(days=days):
            return False
        self.advance(later)
        self.customer_reply()
        return True

    def stall(self) -> None:
        """Left waiting until now: on hold, in progress, waiting for the customer,
        or simply open (the desk's backlog, overdue ones among it)."""
        world, r = self.desk.world, self.rng.random()
        self.wait(1.0)
        if r < 0.35:
            self.change_status(world.statuses["On Hold"])
        elif r < 0.6 and self.status.name != "In Progress":
            self.change_status(world.statuses["In Progress"])
        elif r < 0.8:
            self.reply(world.statuses["Pending Customer Reply"])
        raise Now

    def exchange(self, rounds: int, first: float) -> None:
        rng, world = self.rng, self.desk.world
        wait = first
        for _ in range(rounds):
            if self.entries >= MAX_ENTRIES - 4:
                return
            self.wait(wait, 1.2)
            wait = 2.0
            if rng.random() < 0.2:
                self.note()
                self.wait(0.3)
            asks = rng.random() < 0.55
            status = None
            if asks and rng.random() < 0.6:
                status = world.statuses["Pending Customer Reply"]
            elif self.status.name == "Open" and rng.random() < 0.3:
                status = world.statuses["In Progress"]
            self.reply(status)
            if asks:
                self.wait(4.0, 1.3)
                self.customer_reply()

    def finish(self) -> None:
        """The ticket row: the story's fields and the clock's, as they stand."""
        tk, row, desk = self.tk, self.row, self.desk
        row.update(
            status_id=self.status.pk,
            state=self.status.state,
            sla_started_at=tk.sla_started_at,
            sla_paused_at=tk.sla_paused_at,
            sla_paused_seconds=tk.sla_paused_seconds,
            first_response_due_at=tk.first_response_due_at,
            first_response_at=tk.first_response_at,
            first_response_breached=tk.first_response_breached,
            due_at=tk.due_at,
            due_is_manual=tk.due_is_manual,
            resolution_breached=tk.resolution_breached,
            is_overdue=tk.is_overdue,
            sla_alarm_at=tk.sla_alarm_at,
        )
        desk.tickets.add(**row)
        for started, ended in self.pauses:
            desk.pauses.add(ticket_id=self.id, started_at=started, ended_at=ended)
        desk.count(
            (
                row["department_id"],
                row.get("assignee_id") or 0,
                row.get("team_id") or 0,
                row["state"],
                row["is_overdue"],
            )
        )


def _customer_name(index: int) -> str:
    from helpline.tickets.generate.world import customer_name

    return customer_name(index)
