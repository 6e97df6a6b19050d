"""The reply token in the Reply-To of mail a customer may answer, as received by a
real SMTP server (aiosmtpd)."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.conftest import World
from helpline.lib.mailids import parse_reply_token, reply_token_matches
from helpline.notify.tests.helpers import deliver_pending
from helpline.notify.tests.smtp import SMTPServer
from helpline.tickets import lifecycle

pytestmark = pytest.mark.django_db


def token_of(reply_to: str) -> tuple[str, str]:
    local = reply_to.rpartition("<")[2].rstrip(">").partition("@")[0]
    parsed = parse_reply_token(local.partition("+")[2])
    assert parsed is not None, reply_to
    return parsed


def test_each_customer_and_collaborator_gets_a_reply_address_of_their_own(
    world: World, smtp_server: SMTPServer, settings: Any, mail_templates: None
) -> None:
    settings.HELPLINE_REPLY_ADDRESS_TOKENS = True
    settings.DEFAULT_FROM_EMAIL = "Helpline <support@helpline.test>"
    ticket = world.open(collaborators=[world.outsider])
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it.</p>")

    deliver_pending()

    for address in ("ken@example.com", "olive@example.org"):
        for received in smtp_server.to(address):  # the autoresponse (Ken's) and the reply
            reply_to = received.header("Reply-To")
            assert reply_to.startswith("Helpline <support+t.") and "@helpline.test>" in reply_to
            number, signature = token_of(reply_to)
            assert number == ticket.number
            assert reply_token_matches(number, signature, address)
    agents = smtp_server.to(world.agent.user.email) + smtp_server.to(world.supervisor.user.email)
    assert agents and not [m for m in agents if m.header("Reply-To")]  # alerts: none


def test_without_the_setting_our_mail_has_no_reply_to(
    world: World, smtp_server: SMTPServer, mail_templates: None
) -> None:
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it.</p>")

    deliver_pending()

    assert smtp_server.to("ken@example.com")
    assert not [m for m in smtp_server.messages if m.header("Reply-To")]
