from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def people(request: HttpRequest) -> dict[str, Any]:
    """`current_agent` and `current_customer` for every template."""
    user = request.user
    if not user.is_authenticated:
        return {"current_agent": None, "current_customer": None}
    return {
        "current_agent": getattr(user, "agent", None),
        "current_customer": getattr(user, "customer", None),
    }
