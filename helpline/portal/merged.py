"""Merged and linked tickets on the portal.

A merged ticket's number still finds its conversation: its page sends the
customer on to the ticket it was merged into, when they may read that one (its
customer, or a collaborator: the merge made the merged ticket's people follow
it). Nobody learns more than that: a person who may not read the survivor stays
on the merged ticket's page, which says it was merged, with no number; and a
signed link, which acts as its ticket's customer, leads on only to a survivor of
that same customer (never as somebody else).

A ticket's page lists the tickets linked to it (parent, children, related) and
the numbers of those merged into it, only the customer's own: a link made by an
agent must not show a stranger's ticket, not even its number. Two queries a page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from helpline.accounts.models import Customer
from helpline.tickets import lifecycle
from helpline.tickets.links import ticket_path
from helpline.tickets.models import LinkKind, Ticket, TicketLink


def survivor_for(ticket: Ticket, customer: Customer) -> Ticket | None:
    """The ticket `ticket` was merged into, if `customer` may read it; None for a
    ticket that is not merged, or a survivor they may not read."""
    if ticket.merged_into_id is None:
        return None
    survivor = lifecycle.survivor_of(ticket)
    if survivor.pk == ticket.pk or not lifecycle.is_party(customer, survivor):
        return None
    return survivor


def _url(ticket: Ticket, customer: Customer, signed: bool) -> str:
    """A signed link only to a ticket of the link's own customer (a signed link
    acts as its ticket's customer); otherwise the page of a signed-in customer."""
    if signed and ticket.customer_id == customer.pk:
        return ticket_path(ticket)
    return reverse("portal:ticket", kwargs={"number": ticket.number})


def redirect_merged(
    request: HttpRequest, ticket: Ticket, customer: Customer, *, signed: bool
) -> HttpResponse | None:
    """On to the survivor of a merged ticket, with a word of why; None to stay."""
    survivor = survivor_for(ticket, customer)
    if survivor is None or (signed and survivor.customer_id != customer.pk):
        return None
    messages.info(request, _merged_message(ticket, survivor))
    return redirect(_url(survivor, customer, signed))


def _merged_message(ticket: Ticket, survivor: Ticket) -> str:
    return _(
        "Ticket #%(merged)s was merged into #%(survivor)s: its messages, and your "
        "replies, are here now."
    ) % {"merged": ticket.number, "survivor": survivor.number}


def replied(
    request: HttpRequest, ticket: Ticket, got: Ticket, customer: Customer, *, signed: bool
) -> HttpResponse:
    """After a reply sent from a merged ticket's page (opened before the merge): it
    went to the survivor; say so, and go there."""
    messages.success(
        request,
        _("Ticket #%(merged)s was merged into #%(survivor)s: your reply was added there.")
        % {"merged": ticket.number, "survivor": got.number},
    )
    return redirect(_url(got, customer, signed))


def context(ticket: Ticket, customer: Customer, *, signed: bool) -> dict[str, Any]:
    """The page's "Linked tickets" (the customer's own) and, on a merged ticket,
    where it went."""
    rows = (
        TicketLink.objects.filter(
            (Q(ticket=ticket) & Q(other__customer=customer))
            | (Q(other=ticket) & Q(ticket__customer=customer))
        )
        .select_related("ticket__status", "other__status")
        .order_by("pk")
    )
    links = []
    for row in rows:
        mine = row.ticket_id == ticket.pk
        other = row.other if mine else row.ticket
        role = "related" if row.kind == LinkKind.RELATED else ("child" if mine else "parent")
        links.append({"role": role, "ticket": other, "url": _url(other, customer, signed)})
    # Their numbers only: each leads back here.
    merged_here = list(
        Ticket.objects.filter(merged_into=ticket, customer=customer)
        .order_by("number")
        .values_list("number", flat=True)
    )
    found: dict[str, Any] = {"links": links, "merged_here": merged_here}
    if ticket.merged_into_id is not None:
        survivor = survivor_for(ticket, customer)
        # Read-only as an archived ticket is: no reply box, nobody to copy on it.
        found["archived"] = True
        found["merged"] = True
        found["merged_survivor"] = survivor
        found["merged_survivor_url"] = _url(survivor, customer, signed) if survivor else ""
    return found
