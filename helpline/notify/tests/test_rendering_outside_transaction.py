"""The text of a message is rendered before the change's transaction opens, not by
the outbox inside it.

The outbox queues mail inside the transaction that makes the change (so a
committed change always has its mail), and each mail about a message carries the
message's text part (`html_to_text`). Issue 9: that rendering ran there, holding
SQLite's write lock, and was quadratic on sibling blocks (0.5 s for a 228 KB
body). The lifecycle now renders the text while it prepares the body, before the
transaction, and `html_to_text` remembers it for the outbox.

A spy on the rendering itself (`lib.html._to_text`, what html_to_text does when
it does not remember the body) records whether a transaction was open.
Transactional tests: the test itself opens none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from helpline.conftest import World
from helpline.lib import html as lib_html
from helpline.notify.models import MailKind, OutboundMessage
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

BODY = "<div>" + "".join(f"<div>Step {i} of the repair.</div>" for i in range(2_000)) + "</div>"


@pytest.fixture
def rendered_inside(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Sizes of the bodies whose text was rendered with a transaction open."""
    sizes: list[int] = []
    real = lib_html._to_text

    def to_text(body: str) -> str:
        if connection.in_atomic_block:
            sizes.append(len(body))
        return real(body)

    monkeypatch.setattr(lib_html, "_to_text", to_text)
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
def test_the_outbox_does_not_render_a_messages_text_inside_the_transaction(
    world: World, rendered_inside: list[int], change: str
) -> None:
    ticket = world.open()
    make, kind = CHANGES[change]
    before = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    rendered_inside.clear()

    make(world, ticket)

    mails = OutboundMessage.objects.filter(kind=kind, pk__gt=before or 0)
    assert mails and all("Step 0 of the repair." in m.text for m in mails)
    assert rendered_inside == []
