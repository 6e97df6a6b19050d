"""What the desk's ticket page shows of merges, links and splits: its forms, and
the context of its parts (desk/_links.html, _merge.html, _merged.html, _split.html).

What it costs the page: one query for the links (both sides, with the linked
tickets and their statuses); the tickets merged into this one are read from the
page's events, which the page has already. A few more only where there is
something to undo: the last change of the ticket is a merge into it, or the ticket
itself is merged (then also its survivor's number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from helpline.accounts.models import Agent
from helpline.desk.forms import VersionedForm
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle.merging import QUIET
from helpline.tickets.models import (
    Event,
    EventKind,
    LinkKind,
    State,
    Ticket,
    TicketLink,
)
from helpline.tickets.permissions import TicketAction, can

NUMBER = re.compile(r"[A-Za-z0-9-]{1,20}")


class TicketNumberField(forms.CharField):
    """A ticket number as typed: "#123456", " 123456 " and "123456" are the same."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        typed = str(super().clean(value) or "").strip().lstrip("#").strip()
        if not NUMBER.fullmatch(typed):
            raise forms.ValidationError(_("Type a ticket number, such as 123456."))
        return typed


class MergeLookupForm(forms.Form):
    """The number typed into "Merge into…", before the merge is confirmed."""

    into = TicketNumberField(
        label=gettext_lazy("Number of the ticket to keep"),
        help_text=gettext_lazy("You see the ticket before anything changes."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class MergeForm(VersionedForm):
    into = TicketNumberField(widget=forms.HiddenInput)


class UnmergeForm(forms.Form):
    """Nothing to fill in: the ticket in the URL is the merged one."""


class LinkForm(forms.Form):
    other = TicketNumberField(
        label=gettext_lazy("Ticket number"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # What this ticket is to the other.
    kind = forms.ChoiceField(
        label=gettext_lazy("This ticket is"),
        choices=[
            ("related", gettext_lazy("related to it")),
            ("parent", gettext_lazy("its parent (it is a part of this one)")),
            ("child", gettext_lazy("its child (this is a part of it)")),
        ],
    )


class UnlinkForm(forms.Form):
    other = TicketNumberField(widget=forms.HiddenInput)


class SplitForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    subject = forms.CharField(
        label=gettext_lazy("Subject of the new ticket"), max_length=255, required=False
    )


def find_visible(agent: Agent, number: str) -> Ticket | None:
    """The ticket with this number if the agent may see it; None otherwise (the
    same answer as for a number that does not exist)."""
    found = list(
        Ticket.objects.visible_to(agent)
        .select_related("status", "customer", "department")
        .filter(number=number)[:1]
    )
    return found[0] if found else None


def not_found(number: str) -> str:
    return _("There is no ticket #%(number)s that you can see.") % {"number": number}


# --- the merge preview ------------------------------------------------------------------


@dataclass
class MergePreview:
    """What "Merge into…" shows before the agent confirms: the ticket found (or
    why none), and what the merge will do that they should know."""

    typed: str = ""
    target: Ticket | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    form: MergeForm | None = None


def preview(agent: Agent, ticket: Ticket, typed: str) -> MergePreview:
    target = find_visible(agent, typed)
    if target is None:
        return MergePreview(typed, error=not_found(typed))
    if target.pk == ticket.pk:
        return MergePreview(typed, error=_("A ticket cannot be merged into itself."))
    if target.merged_into_id is not None:
        survivor = lifecycle.survivor_of(target)
        return MergePreview(
            typed,
            error=_("#%(number)s was itself merged into #%(into)s: merge into #%(into)s instead.")
            % {"number": target.number, "into": survivor.number},
        )
    warnings = []
    if target.customer_id != ticket.customer_id:
        warnings.append(
            _(
                "The customers differ: %(name)s will follow #%(number)s and read its whole "
                "conversation."
            )
            % {"name": ticket.customer.name, "number": target.number}
        )
    if target.department_id != ticket.department_id:
        warnings.append(
            _("#%(number)s is in %(department)s: this conversation moves there.")
            % {"number": target.number, "department": target.department.name}
        )
    if target.state != State.OPEN:
        warnings.append(
            _("#%(number)s is not open; a merge does not reopen it.") % {"number": target.number}
        )
    form = MergeForm(initial={"into": target.number, "version": ticket.version}, auto_id="merge-%s")
    return MergePreview(typed, target=target, warnings=warnings, form=form)


# --- the page's context ------------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """One linked ticket as the page lists it: what it is to this ticket, and
    whether the agent may see it (only then its subject and state are shown)."""

    role: str  # "parent", "child", "related"
    ticket: Ticket
    visible: bool


def _links(agent: Agent, ticket: Ticket) -> list[Linked]:
    rows = (
        TicketLink.objects.filter(Q(ticket=ticket) | Q(other=ticket))
        .select_related("ticket__status", "other__status")
        .order_by("pk")
    )
    found = []
    for row in rows:
        mine = row.ticket_id == ticket.pk
        other = row.other if mine else row.ticket
        role = "related" if row.kind == LinkKind.RELATED else ("child" if mine else "parent")
        found.append(Linked(role, other, can(agent, TicketAction.VIEW, other)))
    order = {"parent": 0, "child": 1, "related": 2}
    return sorted(found, key=lambda link: (order[link.role], link.ticket.number))


def _merged_here(events: list[Event]) -> dict[int, str]:
    """{ticket id: number} of the tickets merged into this one now, from its events."""
    here: dict[int, str] = {}
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        pk = int(data.get("ticket") or 0)
        if event.kind == EventKind.MERGED_IN and pk:
            here[pk] = str(data.get("number", ""))
        elif event.kind == EventKind.UNMERGED and event.field == "merged":
            here.pop(pk, None)
    return here


def _undoable_event(events: list[Event]) -> Event | None:
    """The merge into this ticket that its undo would take back: only its last
    change (the clock's marks aside), and only while it can be undone."""
    for event in reversed(events):
        if event.kind in QUIET and event.agent_id is None and event.customer_id is None:
            continue
        if event.kind != EventKind.MERGED_IN:
            return None
        merged = Ticket.objects.filter(pk=event.data.get("ticket")).first()
        if merged is None or lifecycle.undo_blocker(merged) is not None:
            return None
        return event
    return None


def ticket_context(
    agent: Agent, ticket: Ticket, *, events: list[Event], bound: dict[str, forms.Form]
) -> dict[str, Any]:
    writable = ticket.merged_into_id is None and ticket.state != State.ARCHIVED
    may_edit = writable and can(agent, TicketAction.EDIT, ticket)
    links = _links(agent, ticket)
    open_children = [
        link for link in links if link.role == "child" and link.ticket.state == State.OPEN
    ]
    context: dict[str, Any] = {
        "links": links,
        "merged_numbers": _merged_here(events),
        "undo_event": _undoable_event(events) if ticket.merged_into_id is None else None,
        "may_link": may_edit,
        "may_split": may_edit,
        "may_merge": writable and can(agent, TicketAction.CLOSE, ticket),
        "link_form": bound.get("link") or LinkForm(auto_id="link-%s"),
        "split_form": bound.get("split"),
        # The resolve form offers to resolve the open children with the parent.
        "resolve_fields": "explanation children" if open_children else "explanation",
        "open_children": open_children,
    }
    lookup = bound.get("merge_lookup")
    if lookup is not None and lookup.is_valid():
        context["merge_preview"] = preview(agent, ticket, lookup.cleaned_data["into"])
    context["merge_lookup"] = lookup or MergeLookupForm(auto_id="merge-lookup-%s")
    if ticket.merged_into_id is not None:
        context.update(_merged_context(agent, ticket))
    return context


def _merged_context(agent: Agent, ticket: Ticket) -> dict[str, Any]:
    """The banner of a merged ticket: its survivor (if the agent may see it), and
    whether the merge can still be undone, or why not."""
    survivor = lifecycle.survivor_of(ticket)
    seen = Ticket.objects.visible_to(agent).filter(pk=survivor.pk).exists()
    blocker = lifecycle.undo_blocker(ticket)
    return {
        "merged_survivor": survivor if seen else None,
        "undo_blocker": blocker,
        "may_undo": blocker is None and seen and can(agent, TicketAction.CLOSE, ticket),
    }


def visible_survivor(agent: Agent, ticket: Ticket) -> Ticket | None:
    """Where a merged ticket's number leads: its survivor, if the agent may see it."""
    survivor = lifecycle.survivor_of(ticket)
    if survivor.pk == ticket.pk:
        return None
    return find_visible(agent, survivor.number)


# --- resolving a parent's children (the resolve form's checkbox) ------------------------


def report_children(request: HttpRequest, data: dict[str, Any]) -> None:
    """What resolving the children did, as messages on the parent's page."""
    done: lifecycle.ChildrenResolved | None = data.get("children_resolved")
    if done is None:
        return
    if done.resolved:
        count = len(done.resolved)
        messages.success(
            request,
            ngettext(
                "%(count)d child ticket resolved with the same explanation: %(numbers)s.",
                "%(count)d child tickets resolved with the same explanation: %(numbers)s.",
                count,
            )
            % {"count": count, "numbers": ", ".join(f"#{t.number}" for t in done.resolved)},
        )
    if done.refused:
        count = len(done.refused)
        messages.warning(
            request,
            ngettext(
                "%(count)d child ticket was not resolved: %(reasons)s",
                "%(count)d child tickets were not resolved: %(reasons)s",
                count,
            )
            % {
                "count": count,
                "reasons": " ".join(f"#{t.number}: {reason}" for t, reason in done.refused),
            },
        )
