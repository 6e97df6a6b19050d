"""Tasks inside tickets on the desk: a task's page and the changes made on it,
the new-task form of a ticket, "My tasks" and the count beside its link.

The tasks themselves are helpline.ticket_tasks' (models, the write path, who may
what); these views translate requests into its lifecycle calls, as the ticket
views do for tickets. The ticket page's "Tasks" card is a template of that app
(`ticket_tasks/_ticket_tasks.html`, included by desk/ticket.html), which reads
the ticket's tasks with one query.

Every change is a POST that redirects back (Post/Redirect/Get). A refused change
shows the page again with the reason and what was typed (400); a task changed
meanwhile shows it as it is now (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpline.accounts.models import Agent, Department, Team
from helpline.desk.forms import _PICKER, CHOOSE, NAMES, _local_range
from helpline.desk.views.common import get_ticket_for_agent
from helpline.lib import bounds
from helpline.ticket_tasks import lifecycle as tasks
from helpline.ticket_tasks import queries
from helpline.ticket_tasks.models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Task,
)
from helpline.ticket_tasks.permissions import TaskRole, may_add, role_for
from helpline.tickets.lifecycle import LifecycleError
from helpline.tickets.models import State, Ticket
from helpline.tickets.permissions import TicketAction, can
from helpline.web.auth import agent_required, current_agent

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

MAX_ID = 2**31 - 1  # a larger id in a URL or a form is no row's (SQLite overflows: a 500)

# --- forms ------------------------------------------------------------------------------


def _agents() -> Any:
    return Agent.objects.filter(user__is_active=True).select_related("user")


class DueAtField(forms.DateTimeField):
    """A due date typed in the viewer's time zone, inside helpline.lib.bounds'
    range (as the ticket's due date: desk.forms.DueForm)."""

    def __init__(self, **kwargs: Any) -> None:
        earliest, latest = _local_range()
        super().__init__(
            required=False,
            widget=forms.DateTimeInput(
                attrs={
                    "type": "datetime-local",
                    "min": earliest.strftime(_PICKER),
                    "max": latest.strftime(_PICKER),
                },
                format=_PICKER,
            ),
            input_formats=[_PICKER, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            **kwargs,
        )

    def clean(self, value: Any) -> datetime | None:
        due: datetime | None = super().clean(value)
        if due is not None:
            try:
                bounds.check_datetime(due)
            except bounds.OutOfRange as error:
                raise forms.ValidationError(str(error), code="out_of_range") from None
        return due


def _title(**kwargs: Any) -> forms.CharField:
    return forms.CharField(max_length=TITLE_MAX_LENGTH, label=gettext_lazy("Title"), **kwargs)


def _description() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        label=gettext_lazy("Description (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _agent_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Agent.objects.none(),
        required=False,
        label=gettext_lazy("Agent"),
        empty_label="—",
        widget=NAMES,
    )


def _team_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Team.objects.filter(is_active=True),
        required=False,
        label=gettext_lazy("Team"),
        empty_label="—",
        widget=NAMES,
    )


class NewTaskForm(forms.Form):
    """A new task. The ticket page's card sends the title only: the rest keeps
    its default (the ticket's department, nobody, no due date)."""

    title = _title()
    description = _description()
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(),
        required=False,
        label=gettext_lazy("Department"),
        empty_label=gettext_lazy("The ticket's department"),
        widget=NAMES,
    )
    agent = _agent_field()
    team = _team_field()
    due_at = DueAtField(label=gettext_lazy("Due (your time zone; optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = _agents()  # type: ignore[attr-defined]


class TaskVersionForm(forms.Form):
    """A change to a task, against the version the person was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class DoneForm(TaskVersionForm):
    # Where to go after: the task's page, or its ticket's (the ticket page's card).
    back = forms.ChoiceField(
        choices=[("", ""), ("ticket", "ticket")], required=False, widget=forms.HiddenInput
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Note (agents only)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AssignForm(TaskVersionForm):
    agent = _agent_field()
    team = _team_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = _agents()  # type: ignore[attr-defined]


class EditForm(TaskVersionForm):
    title = _title()
    description = _description()
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(),
        label=gettext_lazy("Department"),
        empty_label=CHOOSE,
        widget=NAMES,
    )
    due_at = DueAtField(label=gettext_lazy("Due (your time zone; empty: none)"))


# --- the actions on a task's page ---------------------------------------------------------

Data = dict[str, Any]


def _note(t: Task, a: Agent, d: Data) -> Task:
    tasks.add_task_note(t, actor=a, text=d["text"])
    return t


def _assign(t: Task, a: Agent, d: Data) -> Task:
    return tasks.assign_task(
        t, actor=a, agent=d.get("agent"), team=d.get("team"), expected_version=d["version"]
    )


def _edit(t: Task, a: Agent, d: Data) -> Task:
    return tasks.edit_task(
        t,
        actor=a,
        title=d["title"],
        description=d["description"],
        department=d["department"],
        due_at=d.get("due_at"),
        expected_version=d["version"],
    )


def _done(t: Task, a: Agent, d: Data) -> Task:
    return tasks.finish_task(t, actor=a, expected_version=d["version"])


def _reopen(t: Task, a: Agent, d: Data) -> Task:
    return tasks.reopen_task(t, actor=a, expected_version=d["version"])


@dataclass(frozen=True)
class TaskAction:
    form: type[forms.Form]
    manage: bool  # only who manages the task (who may edit its ticket)
    run: Callable[[Task, Agent, Data], Task]
    done: str | _StrPromise


ACTIONS: dict[str, TaskAction] = {
    "note": TaskAction(NoteForm, False, _note, gettext_lazy("Note added.")),
    "assign": TaskAction(AssignForm, True, _assign, gettext_lazy("Task assigned.")),
    "edit": TaskAction(EditForm, True, _edit, gettext_lazy("Task updated.")),
    "done": TaskAction(DoneForm, False, _done, gettext_lazy("Task marked done.")),
    "reopen": TaskAction(TaskVersionForm, False, _reopen, gettext_lazy("Task reopened.")),
}


def _make_form(name: str, task: Task, data: Any = None) -> forms.Form:
    initial: dict[str, Any] = {"version": task.version}
    if name == "assign":
        initial.update(agent=task.assignee_id, team=task.team_id)
    elif name == "edit":
        initial.update(
            title=task.title,
            description=task.description,
            department=task.department_id,
            due_at=task.due_at,
        )
    # Each action's controls get ids of their own ("edit-title"), one page holds all.
    return ACTIONS[name].form(data, initial=initial, auto_id=f"{name}-%s")


# --- lookups ------------------------------------------------------------------------------


def get_task_for_agent(request: HttpRequest, pk: int) -> Task:
    """The task, if the agent may see it; 404 otherwise (the same as not existing)."""
    if not 0 < pk <= MAX_ID:
        raise Http404("No such task")
    found = list(
        Task.objects.select_related(
            "ticket__status",
            "ticket__department",
            "department",
            "assignee__user",
            "team",
            "created_by__user",
            "done_by__user",
        ).filter(pk=pk)[:1]
    )
    if not found or role_for(current_agent(request), found[0]) is None:
        raise Http404("No such task")
    return found[0]


# --- pages ----------------------------------------------------------------------------------


def render_task(
    request: HttpRequest,
    task: Task,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    agent = current_agent(request)
    role = role_for(agent, task)
    bound = bound or {}
    allowed = {
        name: role == TaskRole.MANAGE or (role is not None and not spec.manage)
        for name, spec in ACTIONS.items()
    }
    if task.ticket.state == State.ARCHIVED:
        allowed = dict.fromkeys(allowed, False)
    context = {
        "task": task,
        "ticket": task.ticket,
        # Its assignee may work a task whose ticket they cannot open: no link then.
        "ticket_visible": can(agent, TicketAction.VIEW, task.ticket),
        "notes": list(task.notes.all()),
        "events": list(task.events.all()),
        "allowed": allowed,
        "forms": {
            name: bound.get(name) or _make_form(name, task) for name, ok in allowed.items() if ok
        },
        "error_action": error[0] if error else "",
        "error_message": error[1] if error else "",
        "now": timezone.now(),
        "nav": "tasks",
    }
    return render(request, "ticket_tasks/task.html", context, status=status)


@agent_required
@require_safe
def task_view(request: HttpRequest, pk: int) -> HttpResponse:
    return render_task(request, get_task_for_agent(request, pk))


@agent_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    agent = current_agent(request)
    task = get_task_for_agent(request, pk)
    form = _make_form(action, task, request.POST)
    if spec.manage and role_for(agent, task) != TaskRole.MANAGE:
        # Its worker: the page shows them no such form, so say why before any field.
        message = _("You are not allowed to do that on this task.")
        return render_task(request, task, error=(action, message), status=400)
    if not form.is_valid():
        return render_task(request, task, bound={action: form}, status=400)
    try:
        task = spec.run(task, agent, form.cleaned_data)
    except tasks.TaskConflict as exc:
        data = request.POST.copy()
        data["version"] = str(exc.task.version)
        fresh = get_task_for_agent(request, pk)
        sent_again = _make_form(action, fresh, data)
        sent_again.is_valid()
        return render_task(
            request, fresh, bound={action: sent_again}, error=(action, exc.message), status=409
        )
    except LifecycleError as exc:
        return render_task(
            request, task, bound={action: form}, error=(action, exc.message), status=400
        )
    messages.success(request, spec.done)
    if form.cleaned_data.get("back") == "ticket" and can(agent, TicketAction.VIEW, task.ticket):
        return redirect("desk:ticket", number=task.ticket.number)
    if role_for(agent, task) is None:  # no longer theirs to see (they gave it away)
        return redirect("desk:my_tasks")
    return redirect("desk:task", pk=task.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def new_task(request: HttpRequest, number: str) -> HttpResponse:
    """The whole new-task form of a ticket (the ticket page's card sends only a
    title here; a refusal of it shows this page, with the title kept)."""
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    if not may_add(agent, ticket):
        raise Http404("No such ticket")
    if request.method != "POST":
        return _new_task_page(request, ticket, NewTaskForm())
    form = NewTaskForm(request.POST)
    if not form.is_valid():
        return _new_task_page(request, ticket, form, status=400)
    data = form.cleaned_data
    try:
        task = tasks.add_task(
            ticket,
            actor=agent,
            title=data["title"],
            description=data["description"],
            department=data.get("department"),
            agent=data.get("agent"),
            team=data.get("team"),
            due_at=data.get("due_at"),
        )
    except LifecycleError as exc:
        return _new_task_page(request, ticket, form, error=exc.message, status=400)
    messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
    return redirect("desk:ticket", number=ticket.number)


def _new_task_page(
    request: HttpRequest, ticket: Ticket, form: NewTaskForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {"ticket": ticket, "form": form, "error_message": error, "nav": "tasks"}
    return render(request, "ticket_tasks/new_task.html", context, status=status)


@agent_required
@require_safe
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The open tasks given to the agent or their teams, soonest due first."""
    agent = current_agent(request)
    page = queries.mine(agent, request.GET.get("page", "1")[:12])
    rows = list(page.object_list)
    for task in rows:  # from the agent's cached departments and teams: no query
        task.ticket_visible = can(agent, TicketAction.VIEW, task.ticket)  # type: ignore[attr-defined]
    return render(
        request,
        "ticket_tasks/my_tasks.html",
        {
            "page": page,
            "tasks": rows,
            "my_tasks_count": page.paginator.count,
            "now": timezone.now(),
            "nav": "tasks",
        },
    )


@agent_required
@require_safe
def my_tasks_count(request: HttpRequest) -> HttpResponse:
    """The badge beside "My tasks" in the desk's top bar, loaded after the page
    (htmx), so that no page pays a query for it."""
    count = queries.count_mine(current_agent(request))
    return render(
        request,
        "ticket_tasks/_count.html",
        {"my_tasks_count": count, "cap": queries.COUNT_CAP},
    )
