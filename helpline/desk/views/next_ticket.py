"""The queue's "Next ticket" button: the agent gets the unassigned ticket that is
due soonest among those they may work, assigned to them in one step.

The candidates are the first page of the "Unassigned" queue sorted by due time,
as the agent sees it (helpline.tickets.queues: an index range read, the same at
ten tickets and at a million); `lifecycle.claim_next` claims the first it can,
so two agents pressing at once get two tickets (see there)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from helpline.tickets import lifecycle
from helpline.tickets.queues import queue_page
from helpline.web.auth import agent_required, current_agent

# How many of the soonest-due unassigned tickets are tried: past this many
# claimed by others in the same instant, the agent is told to press again.
CANDIDATES = 10


@agent_required
@require_POST
def next_ticket(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    if request.POST.get("take") != "1":  # not the button's form: change nothing
        return redirect("desk:queue", queue="unassigned")
    page = queue_page(agent, "unassigned", {"sort": "due"}, page_size=CANDIDATES)
    candidates = page.tickets if page else []
    ticket = lifecycle.claim_next(candidates, actor=agent)
    if ticket is None:
        messages.info(
            request,
            gettext("The tickets due soonest were all taken just now: press again.")
            if candidates
            else gettext("No unassigned ticket is waiting for you."),
        )
        return redirect("desk:queue", queue="unassigned")
    messages.success(
        request, gettext("Ticket #%(number)s is yours now.") % {"number": ticket.number}
    )
    return redirect("desk:ticket", number=ticket.number)
