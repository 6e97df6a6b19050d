"""Sending requests the way osTicket clients do, for the osTicket API tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from helpline.tickets.models import Ticket

VALID = json.dumps({"name": "A", "email": "a@example.com", "subject": "S", "message": "M"})


def php_json(data: Any) -> str:
    """What PHP's json_encode writes: ASCII with \\u escapes, and escaped slashes."""
    return json.dumps(data, separators=(",", ":")).replace("/", "\\/")


def post(
    client: Client,
    path: str,
    body: str | bytes,
    key: str,
    content_type: str = "application/x-www-form-urlencoded",
    **extra: Any,
) -> Any:
    return client.post(path, body, content_type=content_type, headers={"X-API-Key": key}, **extra)


def created(response: Any) -> Ticket:
    """The ticket whose bare number is the body of a 201."""
    assert response.status_code == 201, response.content
    number = response.content.decode()
    assert number.isdigit()
    return Ticket.objects.select_related("customer", "topic", "priority").get(number=number)
