"""Merging, linking and splitting on the desk's ticket page.

Each change is a POST to its own URL under the ticket's (`merge/`, `unmerge/`,
`link/`, `unlink/`, `split/`): the view checks its form, finds the other ticket
among those the agent may see (a number they may not see reads as one that does
not exist), calls one lifecycle function and redirects (Post/Redirect/Get). A
refusal shows the ticket page again with the reason and what was typed, 400 (409
after a conflict). The merge is confirmed in two steps: `merge/preview/` (GET,
htmx or a whole page without script) shows the ticket that will stay, then the
confirmation posts to `merge/`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from helpline.accounts.models import Agent
from helpline.desk import linked
from helpline.desk.views.common import get_ticket_for_agent
from helpline.desk.views.ticket import render_ticket
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, LinkKind, Ticket
from helpline.web.auth import agent_required, current_agent


def _refused(
    request: HttpRequest, ticket: Ticket, name: str, form: object, message: str, status: int = 400
) -> HttpResponse:
    return render_ticket(
        request,
        ticket,
        bound={name: form},  # type: ignore[dict-item]
        error=(name, message),
        status=status,
    )


def _first_error(form: object) -> str:
    errors = getattr(form, "errors", {})
    return " ".join(str(e) for field_errors in errors.values() for e in field_errors)


@agent_required
@require_safe
def merge_preview(request: HttpRequest, number: str) -> HttpResponse:
    """The ticket that would stay, before the merge is confirmed: a fragment for
    htmx, else the ticket page with it shown."""
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    lookup = linked.MergeLookupForm(request.GET, auto_id="merge-lookup-%s")
    if not request.headers.get("HX-Request"):
        return render_ticket(request, ticket, bound={"merge_lookup": lookup})
    found = None
    if lookup.is_valid():
        found = linked.preview(agent, ticket, lookup.cleaned_data["into"])
    context = {"ticket": ticket, "merge_preview": found, "merge_lookup": lookup}
    return render(request, "desk/_merge_preview.html", context)


@agent_required
@require_POST
def merge(request: HttpRequest, number: str) -> HttpResponse:
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    form = linked.MergeForm(request.POST, auto_id="merge-%s")
    if not form.is_valid():
        return _refused(request, ticket, "merge", form, _first_error(form))
    typed = form.cleaned_data["into"]
    lookup = linked.MergeLookupForm({"into": typed}, auto_id="merge-lookup-%s")
    target = linked.find_visible(agent, typed)
    if target is None:
        return _refused(request, ticket, "merge_lookup", lookup, linked.not_found(typed))
    try:
        survivor = lifecycle.merge(
            ticket, into=target, actor=agent, expected_version=form.cleaned_data["version"]
        )
    except lifecycle.Conflict as exc:
        fresh = get_ticket_for_agent(request, number)
        return _refused(request, fresh, "merge_lookup", lookup, exc.message, status=409)
    except lifecycle.LifecycleError as exc:
        return _refused(request, ticket, "merge_lookup", lookup, exc.message)
    messages.success(
        request,
        _("Ticket #%(merged)s was merged into this ticket, #%(survivor)s.")
        % {"merged": ticket.number, "survivor": survivor.number},
    )
    return redirect("desk:ticket", number=survivor.number)


@agent_required
@require_POST
def unmerge(request: HttpRequest, number: str) -> HttpResponse:
    """Undo the merge of the ticket in the URL (the merged one)."""
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    form = linked.UnmergeForm(request.POST)
    try:
        restored = lifecycle.unmerge(ticket, actor=agent)
    except lifecycle.LifecycleError as exc:
        # Shown on the ticket that stayed, where the undo is offered, if the agent
        # may see it; else on the merged one.
        shown = linked.visible_survivor(agent, ticket) or ticket
        return _refused(request, shown, "unmerge", form, exc.message)
    messages.success(
        request,
        _("The merge was undone: #%(number)s is back as it was.") % {"number": restored.number},
    )
    return redirect("desk:ticket", number=restored.number)


def _other(agent: Agent, form: linked.LinkForm | linked.UnlinkForm) -> Ticket | None:
    found = linked.find_visible(agent, form.cleaned_data["other"])
    if found is None:
        form.add_error("other", linked.not_found(form.cleaned_data["other"]))
    return found


@agent_required
@require_POST
def link(request: HttpRequest, number: str) -> HttpResponse:
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    form = linked.LinkForm(request.POST, auto_id="link-%s")
    if not form.is_valid() or (other := _other(agent, form)) is None:
        return _refused(request, ticket, "link", form, _first_error(form))
    try:
        if form.cleaned_data["kind"] == "child":  # this ticket is a part of the other
            lifecycle.link(other, other=ticket, kind=LinkKind.PARENT, actor=agent)
        else:
            kind = LinkKind.PARENT if form.cleaned_data["kind"] == "parent" else LinkKind.RELATED
            lifecycle.link(ticket, other=other, kind=kind, actor=agent)
    except lifecycle.LifecycleError as exc:
        return _refused(request, ticket, "link", form, exc.message)
    messages.success(
        request,
        _("#%(number)s is linked to this ticket.") % {"number": other.number},
    )
    return redirect("desk:ticket", number=ticket.number)


@agent_required
@require_POST
def unlink(request: HttpRequest, number: str) -> HttpResponse:
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    form = linked.UnlinkForm(request.POST)
    if not form.is_valid() or (other := _other(agent, form)) is None:
        return _refused(request, ticket, "unlink", form, _first_error(form))
    try:
        lifecycle.unlink(ticket, other=other, actor=agent)
    except lifecycle.LifecycleError as exc:
        return _refused(request, ticket, "unlink", form, exc.message)
    messages.success(
        request, _("#%(number)s is no longer linked to this ticket.") % {"number": other.number}
    )
    return redirect("desk:ticket", number=ticket.number)


@agent_required
@require_POST
def split(request: HttpRequest, number: str) -> HttpResponse:
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    form = linked.SplitForm(request.POST, auto_id="split-%s")
    entry = None
    if form.is_valid():
        entry = Entry.objects.filter(pk=form.cleaned_data["entry"], ticket=ticket).first()
        if entry is None:
            form.add_error("entry", _("That message is not on this ticket."))
    if entry is None:
        return _refused(request, ticket, "split", form, _first_error(form))
    try:
        new = lifecycle.split(entry, actor=agent, subject=form.cleaned_data["subject"])
    except lifecycle.LifecycleError as exc:
        return _refused(request, ticket, "split", form, exc.message)
    messages.success(
        request,
        _("The message is now the new ticket #%(number)s, linked to #%(old)s.")
        % {"number": new.number, "old": ticket.number},
    )
    if linked.find_visible(agent, new.number) is None:  # a routing rule sent it elsewhere
        return redirect("desk:ticket", number=ticket.number)
    return redirect("desk:ticket", number=new.number)
