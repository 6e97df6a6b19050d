"""What every desk view shares: the logged-in agent and the ticket lookup."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from helpline.accounts.models import Agent
from helpline.lib.access import Audience, declare
from helpline.tickets.models import Ticket

View = Callable[..., HttpResponseBase]


def agent_required(view: View) -> View:
    """Only active agents get in; everybody else is sent to the desk login.

    Also the view's access declaration (helpline/lib/access.py)."""

    @declare(Audience.AGENT)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        agent = getattr(request.user, "agent", None) if request.user.is_authenticated else None
        if agent is None or not request.user.is_active:
            return redirect_to_login(request.get_full_path(), "desk:login")
        request.agent = agent  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def current_agent(request: HttpRequest) -> Agent:
    agent: Agent = request.agent  # type: ignore[attr-defined]
    return agent


def get_ticket_for_agent(request: HttpRequest, number: str) -> Ticket:
    """The ticket, if the agent may see it; 404 otherwise (same as not existing)."""
    if "\x00" in number or len(number) > 20:  # PostgreSQL refuses NUL in text: a 500
        raise Http404("No such ticket")
    agent = current_agent(request)
    ticket = (
        Ticket.objects.visible_to(agent)
        .select_related(
            "customer__organization",
            "status",
            "priority",
            "department",
            "topic",
            "assignee__user",
            "team",
            "sla",
            "follows",
        )
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket")
    return ticket
