"""The reply-above-this-line marker speaks the customer's language, and intake cuts
a reply at it in every language the site speaks (helpline.notify.rendering)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import Mailbox
from helpline.intake.quotes import strip_quoted, strip_quoted_html
from helpline.intake.tests.helpers import mail
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.rendering import MARKER_START, reply_marker
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_each_languages_marker_starts_with_the_words_intake_looks_for(language: str) -> None:
    with translation.override(language):
        line = reply_marker("123456")
        start = gettext(MARKER_START)
    assert line.startswith(f"-- {start}"), (line, start)
    assert "#123456" in line
    assert strip_quoted(f"New words.\n{line}\nOld words.") == "New words."


def test_a_german_customer_gets_the_german_marker_and_is_cut_at_it(
    world: World, support_mailbox: Mailbox
) -> None:
    world.customer.language = "de"
    world.customer.save(update_fields=["language"])
    ticket = lifecycle.reply(world.open(), actor=world.agent, body_html="<p>Bitte ausstecken.</p>")
    fan_out_pending()
    sent = OutboundMessage.objects.get(ticket=ticket, kind=MailKind.REPLY)
    with translation.override("de"):
        german = reply_marker(ticket.number)
    assert sent.text.startswith(german) and german in sent.html
    assert "Reply above this line" not in sent.text + sent.html

    # The mail client kept our mail below the answer without "> " quoting and
    # without an attribution line: only the marker tells where the answer ends.
    answer = f"Danke, geht wieder.\n\n{sent.text}"
    reply = mail(
        subject=f"Re: {sent.subject}",
        body=answer,
        in_reply_to=sent.message_id,
        references=sent.message_id,
    )
    ingest_message(reply, mailbox=support_mailbox)

    assert Entry.objects.filter(ticket=ticket).latest("pk").body == "<p>Danke, geht wieder.</p>"
    assert strip_quoted_html(f"<p>Danke, geht wieder.</p>{sent.html}") == (
        "<p>Danke, geht wieder.</p>"
    )


def test_a_marker_in_english_is_still_cut_after_the_customer_chose_german() -> None:
    """Mail sent before the change carries the English marker."""
    with translation.override("de"):
        assert strip_quoted(f"Erledigt.\n{reply_marker('123456')}\nAlt.") == "Erledigt."
    with translation.override("en"):
        english = reply_marker("123456")
    with translation.override("de"):
        assert strip_quoted(f"Erledigt.\n{english}\nOld.") == "Erledigt."
