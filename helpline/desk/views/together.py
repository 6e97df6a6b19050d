"""The ticket page's live parts: its reply and note saved as drafts while typed,
and who else is on the ticket, what they type, what changed since the page was
opened (helpline.desk.together), and who is on it (helpline.desk.on_it). Both
answer htmx with a fragment."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from helpline.automation.canned import MAX_PICKED_FILES
from helpline.desk import on_it, together
from helpline.desk.forms import IdListField
from helpline.desk.models import DraftKind
from helpline.desk.views.common import get_ticket_for_agent
from helpline.tickets.permissions import TicketAction, can
from helpline.web.auth import agent_required, current_agent

WRITES = {DraftKind.REPLY: TicketAction.REPLY, DraftKind.NOTE: TicketAction.NOTE}


@agent_required
@require_POST
def save_draft(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    if kind not in DraftKind.values:
        raise Http404("No such draft")
    draft_kind = DraftKind(kind)
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    if not can(agent, WRITES[draft_kind], ticket):
        return _status(request, gettext("You may not write this here."), 403)
    # NUL is no text (PostgreSQL refuses it; the reply form, on send, too).
    body = request.POST.get("body", "").replace("\x00", "")
    if len(body) > together.MAX_DRAFT_CHARS:
        return _status(request, gettext("Too long to keep as a draft."), 413)
    opened = together.page_time(request.POST.get("opened", ""))
    try:  # ids only (who may use them is checked when they are shown or sent)
        files = IdListField(most=MAX_PICKED_FILES).clean(request.POST.getlist("canned_files"))
    except ValidationError:
        files = []
    draft = together.save_draft(agent, ticket, draft_kind, body, opened, files)
    return render(request, "desk/_draft_status.html", {"draft": draft})


def _status(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request, "desk/_draft_status.html", {"draft": None, "problem": message}, status=status
    )


@agent_required
@require_POST
def presence(request: HttpRequest, number: str) -> HttpResponse:
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    together.seen(agent, ticket)
    opened = together.page_time(request.POST.get("opened", ""))
    changes, changed = together.changes_since(ticket, opened, agent) if opened else ([], 0)
    marker = on_it.current(ticket)
    on_it.touch(marker, agent, active=False)  # the page is open, no more
    context = {
        "ticket": ticket,
        "others": together.others(agent, ticket),
        "changes": changes,
        "more_changes": changed - len(changes),
        # The "I'm on it" box, if the marker is not the one the page shows.
        "on_it_changed": on_it.key(marker) != request.POST.get("on_it_shown", ""),
        **on_it.page_context(agent, ticket, marker),
    }
    return render(request, "desk/_presence.html", context)
