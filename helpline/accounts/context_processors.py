from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def people(request: HttpRequest) -> dict[str, Any]:
    """`current_agent` and `current_customer` for every template."""
    user = request.user
    if not user.is_authenticated:
        return {"current_agent": None, "current_customer": None}
    agent = getattr(user, "agent", None)
    # Staff are never customers here; skipping the lookup saves a query per page.
    customer = None if agent is not None else getattr(user, "customer", None)
    return {"current_agent": agent, "current_customer": customer}
