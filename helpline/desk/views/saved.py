"""Saved views in the desk: a view's page (its queue, shaped), and the form that
makes, changes and deletes one (helpline.desk.saved_views says who may what)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpline.accounts.models import Agent
from helpline.desk import saved_views
from helpline.desk.models import Density, SavedView, Sharing
from helpline.desk.views.common import filter_options
from helpline.desk.views.dashboard import queue_response
from helpline.search.query import BadSearch
from helpline.search.service import search
from helpline.tickets.queues import FILTERS, SORTS, id_number
from helpline.web.auth import agent_required, current_agent


def _view_for(agent: Agent, pk: int) -> SavedView:
    view = saved_views.shown_to(agent).filter(pk=pk).first()
    if view is None:
        raise Http404("No such view")
    return view


@agent_required
@require_safe
def view_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The view's queue with its filters; a header's sort and the pages' cursors
    come in the query string, the rest is the view's."""
    agent = current_agent(request)
    views = saved_views.sidebar_views(agent)  # the sidebar's, read once
    view = next((v for v in views if v.pk == pk), None) or _view_for(agent, pk)
    params = saved_views.query_of(view)
    for key in ("sort", "cursor"):
        if value := request.GET.get(key, ""):
            params[key] = value[:500]
    if params["sort"] not in SORTS:
        params["sort"] = view.sort
    return queue_response(
        request, agent, view.queue, params, reverse("desk:view", args=[view.pk]), view, views
    )


LIST_MAX = 500


@agent_required
@require_safe
def view_list(request: HttpRequest) -> HttpResponse:
    """Every view the agent may open (the sidebar shows the first MAX_SHOWN), each
    with who it is for and, where the agent may change it, its edit link."""
    agent = current_agent(request)
    views = list(saved_views.shown_to(agent).order_by(Lower("name"), "pk")[: LIST_MAX + 1])
    rows = [
        (view, saved_views.queue_of(view), saved_views.may_change(agent, view))
        for view in views[:LIST_MAX]
    ]
    context = {"nav": "queues", "rows": rows, "more": len(views) > LIST_MAX, "limit": LIST_MAX}
    return render(request, "desk/saved_view_list.html", context)


@agent_required
@require_safe
def view_counts(request: HttpRequest) -> HttpResponse:
    """The sidebar's views not counted yet (htmx, once the page is shown): each
    count in its place, read now (saved_views.view_counts says how)."""
    agent = current_agent(request)
    views = saved_views.sidebar_views(agent)
    counts, _pending = saved_views.view_counts(agent, views, read=True)
    shown = [(view, counts[view.pk]) for view in views if view.pk in counts]
    return render(request, "desk/_view_counts.html", {"shown": shown})


# --- the form -------------------------------------------------------------------------


def _choices(items: list[Any], any_label: str, none_label: str | None = None) -> list[Any]:
    head = [("", any_label)] + ([("none", none_label)] if none_label else [])
    return head + [(str(item.pk), str(item)) for item in items]


class SavedViewForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        error_messages={"required": gettext_lazy("Give the view a name.")},
    )
    queue = forms.ChoiceField(label=gettext_lazy("Queue"), choices=())
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    topic = forms.ChoiceField(label=gettext_lazy("Help topic"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    # A customer's tickets: kept from the queue the view was saved from (there is
    # no list of every customer to choose from).
    customer = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    search = forms.CharField(
        label=gettext_lazy("Search words and filters"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "Optional, as typed in the search box (for example: printer org:acme "
            "has:attachment). A view with a search lists the newest tickets first."
        ),
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), choices=())
    columns = forms.MultipleChoiceField(
        label=gettext_lazy("Columns"),
        choices=[(c.key, c.label) for c in saved_views.COLUMNS.values()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one column.")},
    )
    density = forms.ChoiceField(
        label=gettext_lazy("Density"),
        choices=Density.choices,
        widget=forms.RadioSelect,
    )
    share = forms.ChoiceField(label=gettext_lazy("Visible to"), choices=())

    def __init__(
        self, *args: Any, agent: Agent, view: SavedView | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.view = view
        options = filter_options(agent)
        f = self.fields
        f["queue"].choices = saved_views.QUEUE_CHOICES  # type: ignore[attr-defined]
        f["sort"].choices = [(k, s.label) for k, s in SORTS.items()]  # type: ignore[attr-defined]
        f["department"].choices = _choices(options["departments"], _("All departments"))  # type: ignore[attr-defined]
        f["topic"].choices = _choices(options["topics"], _("All topics"))  # type: ignore[attr-defined]
        f["priority"].choices = _choices(options["priorities"], _("All priorities"))  # type: ignore[attr-defined]
        f["status"].choices = _choices(options["statuses"], _("All statuses"))  # type: ignore[attr-defined]
        f["assignee"].choices = _choices(options["agents"], _("Anyone"), _("Unassigned"))  # type: ignore[attr-defined]
        f["team"].choices = _choices(options["teams"], _("Any team"), _("No team"))  # type: ignore[attr-defined]
        # Someone else's view stays theirs or shared: "Only me" would hand a
        # shared view to its owner alone, out of the changer's sight.
        share = (
            [] if view and view.owner_id != agent.pk else [(Sharing.PERSONAL.value, _("Only me"))]
        )
        share += [
            (f"department:{d.pk}", _("Department: %(name)s") % {"name": d.name})
            for d in saved_views.share_departments(agent)
        ]
        share += [
            (f"team:{t.pk}", _("Team: %(name)s") % {"name": t.name})
            for t in saved_views.share_teams(agent)
        ]
        f["share"].choices = share  # type: ignore[attr-defined]
        if view is not None:
            self._keep_stored_choices(view)
        f["density"].help_text = ngettext(
            "Compact fits a whole page of %(count)s ticket on one screen.",
            "Compact fits a whole page of %(count)s tickets on one screen.",
            settings.HELPLINE_QUEUE_PAGE_SIZE,
        ) % {"count": settings.HELPLINE_QUEUE_PAGE_SIZE}
        f["share"].help_text = _(
            "A department's supervisors may share a view with it; a team's members with the team."
        )

    def _keep_stored_choices(self, view: SavedView) -> None:
        """What the view holds stays a choice for whoever changes it, though it is
        not in their own lists (another department, an agent since deactivated,
        a team they left): otherwise the form would show, and save, "All"."""
        for key in FILTERS:
            stored = str((view.filters or {}).get(key) or "")
            field = self.fields.get(key)
            if not stored or not isinstance(field, forms.ChoiceField) or key == "customer":
                continue
            offered: list[tuple[str, str]] = field.choices  # type: ignore[assignment]
            if stored not in {str(value) for value, _label in offered}:
                label = _("#%(id)s (not among your choices)") % {"id": stored}
                field.choices = [*offered, (stored, label)]
        share = self.fields["share"]
        assert isinstance(share, forms.ChoiceField)
        current = _share_value(view)
        shares: list[tuple[str, str]] = share.choices  # type: ignore[assignment]
        if current not in {str(value) for value, _label in shares}:
            if view.department is not None:
                label = _("Department: %(name)s") % {"name": view.department.name}
            elif view.team is not None:
                label = _("Team: %(name)s") % {"name": view.team.name}
            else:
                label = _("Only me")
            share.choices = [(current, label), *shares]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].replace("\x00", "").strip()
        if not name:
            raise ValidationError(_("Give the view a name."))
        owner = self.view.owner_id if self.view else self.agent.pk
        twins = SavedView.objects.filter(owner_id=owner, name__iexact=name)
        if self.view is not None:
            twins = twins.exclude(pk=self.view.pk)
        if twins.exists():
            raise ValidationError(_("There is a view of that name already: choose another."))
        return name

    def clean_search(self) -> str:
        typed: str = self.cleaned_data.get("search") or ""
        typed = typed.replace("\x00", "").strip()
        if typed:
            try:  # a search that cannot run (an unknown filter, a name no one has)
                search(typed, agent=self.agent, limit=1, counts=False, snippets=False)
            except BadSearch as bad:
                raise ValidationError(bad.message) from None
        return typed

    def clean_customer(self) -> str:
        raw: str = self.cleaned_data.get("customer") or ""
        if raw and id_number(raw) is None:
            raise ValidationError(_("Not a valid customer number."))
        return raw

    def clean_columns(self) -> list[str]:
        # The ticket's number is always a column (it holds the selection box and
        # the link): first, unless the agent placed it.
        chosen = list(dict.fromkeys(self.cleaned_data["columns"]))
        return chosen if "number" in chosen else ["number", *chosen]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("queue") == saved_views.EVERY and not data.get("search"):
            self.add_error(
                "queue",
                _("“Every ticket you can see” is for a view with a search: choose a queue."),
            )
        return data

    def filters(self) -> dict[str, str]:
        return {k: self.cleaned_data[k] for k in FILTERS if self.cleaned_data.get(k)}

    def apply(self, view: SavedView) -> SavedView:
        data = self.cleaned_data
        view.name = data["name"]
        view.queue = data["queue"]
        view.filters = self.filters()
        view.search = data["search"]
        view.sort = data["sort"]
        view.columns = list(data["columns"])
        view.density = data["density"]
        kind, _sep, pk = data["share"].partition(":")
        view.sharing = kind
        view.department_id = int(pk) if kind == Sharing.DEPARTMENT else None
        view.team_id = int(pk) if kind == Sharing.TEAM else None
        return view


def _initial(view: SavedView | None, query: dict[str, str]) -> dict[str, Any]:
    """The form's first values: the view's, or the queue's the agent came from."""
    if view is not None:
        return {
            "name": view.name,
            "queue": view.queue,
            **(view.filters or {}),
            "search": view.search,
            "sort": view.sort,
            "columns": [c.key for c in saved_views.columns_of(view.columns)],
            "density": view.density,
            "share": _share_value(view),
        }
    return {
        # From the search page (its words in `q`): every ticket the search finds.
        "queue": query.get("queue") or (saved_views.EVERY if query.get("q") else "open"),
        **{
            k: query[k][:40]
            for k in FILTERS
            if query.get(k) and (k != "customer" or id_number(query[k][:40]) is not None)
        },
        # From the search page: its words and filters.
        "search": query.get("q", "")[:500],
        "sort": query.get("sort", "updated"),
        "columns": list(saved_views.DEFAULT_COLUMNS),
        "density": Density.COMFORTABLE,
        "share": Sharing.PERSONAL,
    }


def _narrower_for_some(view: SavedView) -> str:
    """A word for whoever shares a view of another department's tickets: its
    agents see only the tickets they may see, perhaps none."""
    department = (view.filters or {}).get("department")
    if view.sharing != Sharing.DEPARTMENT or not department:
        return ""
    if str(view.department_id) == str(department):
        return ""
    return _(
        "The view is shared with %(shared)s but lists another department's tickets: "
        "agents of %(shared)s see only the ones they may see, perhaps none."
    ) % {"shared": view.department.name if view.department else ""}


def _share_value(view: SavedView) -> str:
    if view.sharing == Sharing.DEPARTMENT:
        return f"department:{view.department_id}"
    if view.sharing == Sharing.TEAM:
        return f"team:{view.team_id}"
    return str(Sharing.PERSONAL)


def _column_rows(chosen: list[str], moved: str) -> list[tuple[saved_views.Column, bool]]:
    """The columns as the form lists them: the chosen ones in their order (with
    `moved`, "key:up" or "key:down", applied), then the others."""
    order = [k for k in dict.fromkeys(chosen) if k in saved_views.COLUMNS]
    if "number" not in order:
        order.insert(0, "number")
    key, _sep, way = moved.partition(":")
    if key in order:
        i = order.index(key)
        j = i - 1 if way == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
    rest = [k for k in saved_views.COLUMNS if k not in order]
    return [(saved_views.COLUMNS[k], True) for k in order] + [
        (saved_views.COLUMNS[k], False) for k in rest
    ]


@agent_required
@never_cache
@require_http_methods(["GET", "POST"])
def view_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Make a view (from the queue the agent was on) or change one. A column's
    "up" or "down" shows the form again with the column moved, saving nothing."""
    agent = current_agent(request)
    view = _view_for(agent, pk) if pk is not None else None
    if view is not None and not saved_views.may_change(agent, view):
        raise Http404("Not yours to change")
    status = 200
    moved = request.POST.get("move", "")[:40] if request.method == "POST" else ""
    if request.method == "POST" and moved:
        # Not a save: the form as it was typed, unchecked, with the column moved.
        chosen = request.POST.getlist("columns")
        typed = {
            k: request.POST.get(k, "")[: getattr(field, "max_length", None) or 100]
            for k, field in SavedViewForm.base_fields.items()
        }
        form = SavedViewForm(initial={**typed, "columns": chosen}, agent=agent, view=view)
    elif request.method == "POST":
        form = SavedViewForm(request.POST, agent=agent, view=view)
        chosen = request.POST.getlist("columns")
        if form.is_valid():
            if view is None and SavedView.objects.filter(owner=agent).count() >= (
                saved_views.MAX_OWN
            ):
                form.add_error(
                    None,
                    _("You can keep at most %(limit)s views: delete one to make room.")
                    % {"limit": saved_views.MAX_OWN},
                )
            else:
                made = form.apply(view or SavedView(owner=agent))
                made.save()
                messages.success(request, _("View “%(name)s” saved.") % {"name": made.name})
                if warning := _narrower_for_some(made):
                    messages.warning(request, warning)
                return redirect("desk:view", pk=made.pk)
        status = 400
    else:
        form = SavedViewForm(initial=_initial(view, request.GET.dict()), agent=agent, view=view)
        chosen = list(form.initial["columns"])
    at_limit = view is None and (
        SavedView.objects.filter(owner=agent).count() >= saved_views.MAX_OWN
    )
    rows = _column_rows(chosen, moved)
    context = {
        "nav": "queues",
        "form": form,
        "view": view,
        "column_rows": rows,
        "chosen_count": sum(1 for _column, on in rows if on),
        # The button pressed, pressed again with the keyboard: focus stays on it.
        "moved": moved,
        "at_limit": at_limit,
        "limit": saved_views.MAX_OWN,
    }
    return render(request, "desk/saved_view_form.html", context, status=status)


@agent_required
@require_POST
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    agent = current_agent(request)
    view = _view_for(agent, pk)
    if not saved_views.may_change(agent, view):
        raise Http404("Not yours to delete")
    view.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("desk:dashboard")
