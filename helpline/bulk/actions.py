"""What a bulk action can do, and how its input is checked.

Each action is one lifecycle function applied to each ticket. Its input is
checked once, when the job is made (`check`): ids must name existing rows and
text must fit, so a job never starts that would fail on every ticket. Text
bodies (a note, a resolution) are sanitized then, in the web request and before
any transaction, and stored as the safe HTML; the runner turns the stored ids
back into rows once per run (`load`), not once per ticket.

The desk's form and the API both hand `check` a flat mapping of strings (ids as
digits), so both refuse the same input with the same sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from helpline.accounts.models import Agent, Department, Team
from helpline.lib.html import text_to_html
from helpline.tickets import lifecycle, queues
from helpline.tickets.models import Priority, State, Status, Ticket
from helpline.tickets.permissions import ROLE_ACTIONS, TicketAction, department_roles

# The longest reason or comment, as on the ticket page's forms.
MAX_REASON = 500
# The longest note or resolution typed for many tickets at once (characters).
MAX_TEXT = 20_000


class BadBulkInput(ValueError):
    """Input a bulk action cannot use: a sentence to show, and the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Loaded:
    """A job's parameters as rows, read once per run."""

    agent: Agent | None = None
    team: Team | None = None
    department: Department | None = None
    status: Status | None = None
    priority: Priority | None = None
    body: lifecycle.Body | None = None
    reason: str = ""
    into: Ticket | None = None


Run = Callable[[Ticket, Agent, Loaded, int | None], Ticket]


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str | Promise  # the menu's word: "Close"
    fields: tuple[str, ...]  # the inputs it reads
    run: Run
    # What the agent's role must allow in some department for it to be offered.
    permission: TicketAction
    # "%(shown)s closed": how the result counts the tickets it changed (an
    # ngettext_lazy of "count", the number; "shown" is it as written).
    done: Promise

    def done_text(self, count: int) -> str:
        return str(self.done % {"count": count, "shown": f"{count:,}"})


def _assign(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    return lifecycle.assign(
        t, actor=a, agent=p.agent, team=p.team, reason=p.reason, expected_version=v
    )


def _release(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    if t.assignee_id is None and t.team_id is None:
        raise lifecycle.Refused(_("It was not assigned."))
    return lifecycle.release(t, actor=a, agent=True, team=bool(t.team_id), expected_version=v)


def _transfer(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    assert p.department is not None
    return lifecycle.transfer(
        t, actor=a, department=p.department, reason=p.reason, expected_version=v
    )


def _status(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    assert p.status is not None
    return lifecycle.change_status(t, actor=a, status=p.status, reason=p.reason, expected_version=v)


def _priority(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    assert p.priority is not None
    return lifecycle.change_priority(t, actor=a, priority=p.priority, expected_version=v)


def _note(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    # A note never overwrites anything: it goes on whatever changed meanwhile.
    assert p.body is not None
    return lifecycle.add_note(t, actor=a, body_html=p.body)


def _resolve(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    assert p.body is not None
    return lifecycle.resolve(t, actor=a, explanation_html=p.body, expected_version=v)


def _close(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    return lifecycle.close(t, actor=a, reason=p.reason, expected_version=v)


def _reopen(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    return lifecycle.reopen(t, actor=a, reason=p.reason, expected_version=v)


def _merge(t: Ticket, a: Agent, p: Loaded, v: int | None) -> Ticket:
    assert p.into is not None
    if t.pk == p.into.pk:
        raise lifecycle.Refused(_("It is the ticket the others were merged into."))
    return lifecycle.merge(t, into=p.into, actor=a, expected_version=v)


ACTIONS: dict[str, BulkAction] = {
    a.key: a
    for a in [
        BulkAction(
            "assign",
            gettext_lazy("Assign"),
            ("agent", "team", "reason"),
            _assign,
            TicketAction.ASSIGN,
            ngettext_lazy("%(shown)s assigned", "%(shown)s assigned", "count"),
        ),
        BulkAction(
            "release",
            gettext_lazy("Release to the queue"),
            (),
            _release,
            TicketAction.RELEASE,
            ngettext_lazy("%(shown)s released", "%(shown)s released", "count"),
        ),
        BulkAction(
            "transfer",
            gettext_lazy("Transfer"),
            ("department", "reason"),
            _transfer,
            TicketAction.TRANSFER,
            ngettext_lazy("%(shown)s transferred", "%(shown)s transferred", "count"),
        ),
        BulkAction(
            "status",
            gettext_lazy("Change status"),
            ("status", "reason"),
            _status,
            TicketAction.STATUS,
            ngettext_lazy("%(shown)s changed status", "%(shown)s changed status", "count"),
        ),
        BulkAction(
            "priority",
            gettext_lazy("Change priority"),
            ("priority",),
            _priority,
            TicketAction.PRIORITY,
            ngettext_lazy("%(shown)s changed priority", "%(shown)s changed priority", "count"),
        ),
        BulkAction(
            "note",
            gettext_lazy("Add an internal note"),
            ("text",),
            _note,
            TicketAction.NOTE,
            ngettext_lazy("%(shown)s noted", "%(shown)s noted", "count"),
        ),
        BulkAction(
            "resolve",
            gettext_lazy("Resolve"),
            ("text",),
            _resolve,
            TicketAction.RESOLVE,
            ngettext_lazy("%(shown)s resolved", "%(shown)s resolved", "count"),
        ),
        BulkAction(
            "close",
            gettext_lazy("Close"),
            ("reason",),
            _close,
            TicketAction.CLOSE,
            ngettext_lazy("%(shown)s closed", "%(shown)s closed", "count"),
        ),
        BulkAction(
            "reopen",
            gettext_lazy("Reopen"),
            ("reason",),
            _reopen,
            TicketAction.REOPEN,
            ngettext_lazy("%(shown)s reopened", "%(shown)s reopened", "count"),
        ),
        BulkAction(
            "merge",
            gettext_lazy("Merge into one"),
            ("into",),
            _merge,
            TicketAction.CLOSE,
            ngettext_lazy("%(shown)s merged", "%(shown)s merged", "count"),
        ),
    ]
}


def offered(agent: Agent) -> list[BulkAction]:
    """The actions the agent's role allows in at least one of their departments
    (an agent who may assign nowhere is not offered "Assign"): each ticket is
    still checked on its own."""
    if agent.is_admin:
        return list(ACTIONS.values())
    roles = set(department_roles(agent).values()) | {agent.role}
    allowed = set().union(*(ROLE_ACTIONS.get(role, frozenset()) for role in roles))
    return [spec for spec in ACTIONS.values() if spec.permission in allowed]


def _id(values: Mapping[str, Any], name: str) -> int | None:
    raw = str(values.get(name) or "").strip()
    if not raw:
        return None
    if (value := queues.id_number(raw)) is None:
        raise BadBulkInput(_("This is not one of the choices."), name)
    return value


def _exists(model: type[Any], pk: int | None, name: str, **where: Any) -> int | None:
    if pk is not None and not model.objects.filter(pk=pk, **where).exists():
        raise BadBulkInput(_("This is not one of the choices."), name)
    return pk


def _text(values: Mapping[str, Any], name: str, limit: int) -> str:
    text = str(values.get(name) or "").strip()
    if len(text) > limit:
        raise BadBulkInput(
            _("At most %(limit)s characters, please (this has %(count)s).")
            % {"limit": f"{limit:,}", "count": f"{len(text):,}"},
            name,
        )
    return text


def check(action: str, values: Mapping[str, Any], agent: Agent) -> dict[str, Any]:
    """The job's parameters for `action` from `values` (a flat mapping, ids as
    digits), or BadBulkInput. What each ticket allows is the lifecycle's to say."""
    spec = ACTIONS.get(action)
    if spec is None or spec not in offered(agent):
        raise BadBulkInput(_("Choose what to do with the selected tickets."), "action")
    params: dict[str, Any] = {}
    if "reason" in spec.fields:
        params["reason"] = _text(values, "reason", MAX_REASON)
    if action == "assign":
        params["agent"] = _exists(Agent, _id(values, "agent"), "agent", user__is_active=True)
        params["team"] = _exists(Team, _id(values, "team"), "team", is_active=True)
        if params["agent"] is None and params["team"] is None:
            raise BadBulkInput(_("Choose an agent, a team, or both."), "agent")
    elif action == "transfer":
        params["department"] = _exists(Department, _id(values, "department"), "department")
        if params["department"] is None:
            raise BadBulkInput(_("Choose a department."), "department")
    elif action == "status":
        params["status"] = _exists(Status, _id(values, "status"), "status", state=State.OPEN)
        if params["status"] is None:
            raise BadBulkInput(_("Choose a status."), "status")
    elif action == "priority":
        params["priority"] = _exists(Priority, _id(values, "priority"), "priority")
        if params["priority"] is None:
            raise BadBulkInput(_("Choose a priority."), "priority")
    elif action in ("note", "resolve"):
        text = _text(values, "text", MAX_TEXT)
        if not text:
            message = (
                _("Write the note.")
                if action == "note"
                else _("Explain the resolution: the customers will read it.")
            )
            raise BadBulkInput(message, "text")
        # Sanitized here, in the request, before any transaction: see the module.
        try:
            params["html"] = str(lifecycle.prepare_body(text_to_html(text)).html)
        except lifecycle.LifecycleError as error:
            raise BadBulkInput(error.message, "text") from None
    elif action == "merge":
        number = str(values.get("into") or "").strip().lstrip("#")[:20]
        into = Ticket.objects.visible_to(agent).filter(number=number).first() if number else None
        if into is None:
            raise BadBulkInput(
                _("Type the number of a ticket you can see: the others are merged into it."),
                "into",
            )
        params["into"] = into.pk
    return params


def load(params: Mapping[str, Any]) -> Loaded:
    """The rows a job's parameters name (None where one has gone since: its
    lifecycle function then refuses each ticket with its own reason)."""

    def row(model: type[Any], name: str, *related: str) -> Any:
        pk = params.get(name)
        rows = model.objects.select_related(*related) if related else model.objects.all()
        return rows.filter(pk=pk).first() if pk else None

    html = params.get("html")
    return Loaded(
        agent=row(Agent, "agent", "user"),
        team=row(Team, "team"),
        department=row(Department, "department"),
        status=row(Status, "status"),
        priority=row(Priority, "priority"),
        body=lifecycle.prepare_body(html) if html else None,
        reason=str(params.get("reason") or ""),
        into=row(Ticket, "into"),
    )


def missing(action: str, loaded: Loaded) -> str | None:
    """Why no ticket can be changed, when a row the job names has gone since it was
    made (deleted or deactivated): every ticket is then refused with it."""
    needs = {
        "transfer": loaded.department,
        "status": loaded.status,
        "priority": loaded.priority,
        "merge": loaded.into,
    }
    if action in needs and needs[action] is None:
        return _("What it was to be set to no longer exists.")
    if action == "assign" and loaded.agent is None and loaded.team is None:
        return _("The agent or team no longer exists.")
    return None


def summary(action: str, done: int, refused: int) -> str:
    """The result in one line: "18 closed; 2 refused"."""
    spec = ACTIONS.get(action)
    parts = [spec.done_text(done) if spec else f"{done:,}"]
    if refused:
        parts.append(
            ngettext("%(count)s refused", "%(count)s refused", refused) % {"count": f"{refused:,}"}
        )
    return "; ".join(parts)
