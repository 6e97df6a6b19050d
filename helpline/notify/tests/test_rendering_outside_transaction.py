"""No mail is rendered while a transaction is open: neither in the change, nor by
the fan-out in the worker.

Issue 9: the outbox rendered each mail's text part (`html_to_text`) inside the
change's transaction, holding SQLite's write lock, quadratic on sibling blocks
(0.5 s for a 228 KB body). Issue 11: it rendered every mail there (7 per new
ticket). Now the change only records a MailBatch; the fan-out
(`helpline.notify.fanout`) plans and renders with no transaction open and opens
one only to write the rendered rows.

Spies on the rendering itself (`lib.html._to_text`, what html_to_text does when it
does not remember the body, and `Renderer.render`, the templates) record whether a
transaction was open. Transactional tests: the test itself opens none; the
fan-out runs as the worker runs it (`fan_out_pending` calls the task's function).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from helpline.conftest import World
from helpline.lib import html as lib_html
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.rendering import Renderer
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

BODY = "<div>" + "".join(f"<div>Step {i} of the repair.</div>" for i in range(2_000)) + "</div>"


@pytest.fixture
def rendered_inside(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Sizes of the bodies whose text was rendered with a transaction open."""
    sizes: list[int] = []
    real = lib_html._to_text
    real_render = Renderer.render

    def to_text(body: str) -> str:
        if connection.in_atomic_block:
            sizes.append(len(body))
        return real(body)

    def render(self: Renderer, kind: MailKind, context: dict[str, Any]) -> Any:
        if connection.in_atomic_block:
            sizes.append(-1)
        return real_render(self, kind, context)

    monkeypatch.setattr(lib_html, "_to_text", to_text)
    monkeypatch.setattr(Renderer, "render", render)
    lib_html._remembered_text.cache_clear()
    yield sizes


def _resolved(world: World, ticket: Ticket) -> Ticket:
    return lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")


# Each change that queues mail quoting a message: (the change, the mail it queues).
CHANGES: dict[str, tuple[Callable[[World, Ticket], object], MailKind]] = {
    "a new ticket alerts agents": (
        lambda w, t: w.open(body_html=BODY),
        MailKind.NEW_TICKET_ALERT,
    ),
    "a reply mails the customer": (
        lambda w, t: lifecycle.reply(t, actor=w.agent, body_html=BODY),
        MailKind.REPLY,
    ),
    "a customer's message reopens and alerts": (
        lambda w, t: lifecycle.customer_reply(_resolved(w, t), actor=w.customer, body_html=BODY),
        MailKind.REOPENED_ALERT,
    ),
    "a resolution mails the customer": (
        lambda w, t: lifecycle.resolve(t, actor=w.agent, explanation_html=BODY),
        MailKind.RESOLVED,
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", CHANGES)
def test_no_mail_is_rendered_inside_a_transaction(
    world: World, rendered_inside: list[int], change: str
) -> None:
    ticket = world.open()
    fan_out_pending()
    make, kind = CHANGES[change]
    before = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    rendered_inside.clear()

    make(world, ticket)
    assert not OutboundMessage.objects.filter(pk__gt=before or 0).exists()  # in the worker
    assert fan_out_pending()

    mails = OutboundMessage.objects.filter(kind=kind, pk__gt=before or 0)
    assert mails and all("Step 0 of the repair." in m.text for m in mails)
    assert rendered_inside == []
