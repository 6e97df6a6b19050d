"""Who is asking: the signed-in agent or customer, and the agents' gate."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from helpline.accounts.models import Agent, Customer
from helpline.lib.access import Audience, declare, sign_in_first

View = Callable[..., HttpResponseBase]


def agent_required(view: View) -> View:
    """Only active agents get in; everybody else is sent to the desk login.

    Also the view's access declaration (helpline/lib/access.py)."""

    @declare(Audience.AGENT)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        agent = getattr(request.user, "agent", None) if request.user.is_authenticated else None
        if agent is None or not request.user.is_active:
            return sign_in_first(request, "desk:login")
        request.agent = agent  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def current_agent(request: HttpRequest) -> Agent:
    """The agent `agent_required` let in."""
    agent: Agent = request.agent  # type: ignore[attr-defined]
    return agent


def current_customer(request: HttpRequest) -> Customer | None:
    """The customer of the signed-in login, if it is one."""
    if not request.user.is_authenticated:
        return None
    customer: Customer | None = getattr(request.user, "customer", None)
    return customer
