"""Mail templates: administrators' rows, the built-in defaults, and what they render."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.conftest import World
from helpline.lib.html import html_to_text
from helpline.notify.addresses import bare_address, is_own_address
from helpline.notify.defaults import ensure_templates
from helpline.notify.models import MailKind, MailTemplate, OutboundMessage
from helpline.notify.rendering import default_source
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle


def autoresponse() -> OutboundMessage:
    fan_out_pending()
    return OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)


def test_every_kind_of_mail_gets_a_template_row_with_the_built_in_text(
    mail_templates: None,
) -> None:
    assert sorted(MailTemplate.objects.values_list("key", flat=True)) == sorted(MailKind.values)
    row = MailTemplate.objects.get(key=MailKind.REPLY)
    assert row.text_body == default_source("reply").text


def test_seeding_again_keeps_what_an_administrator_wrote(mail_templates: None) -> None:
    MailTemplate.objects.filter(key=MailKind.REPLY).update(subject="Mine")
    MailTemplate.objects.filter(key=MailKind.RESOLVED).delete()

    ensure_templates()

    assert MailTemplate.objects.get(key=MailKind.REPLY).subject == "Mine"
    assert MailTemplate.objects.filter(key=MailKind.RESOLVED).exists()


def test_an_edited_template_is_what_customers_get(world: World, mail_templates: None) -> None:
    MailTemplate.objects.filter(key=MailKind.AUTORESPONSE).update(
        subject="Got it: {{ ticket.subject }} (#{{ ticket.number }})",
        text_body="{{ marker }}\nHi {{ customer.name }}, see {{ link }}",
        html_body="",
    )

    ticket = world.open()

    mail = autoresponse()
    assert mail.subject == f"Got it: Printer on fire (#{ticket.number})"
    assert mail.text.startswith(f"-- Reply above this line to add to ticket #{ticket.number} --")
    assert "Hi Ken Adams, see http://" in mail.text
    assert mail.html == ""


def test_without_its_row_a_template_falls_back_to_the_built_in_default(world: World) -> None:
    MailTemplate.objects.all().delete()  # as after a transactional test's flush

    ticket = world.open()

    assert autoresponse().subject == f"[#{ticket.number}] Printer on fire"
    assert "<strong>#" in autoresponse().html


def test_an_inactive_template_stops_that_kind_of_mail(world: World, mail_templates: None) -> None:
    MailTemplate.objects.filter(key=MailKind.NEW_TICKET_ALERT).update(is_active=False)

    world.open()

    fan_out_pending()
    assert not OutboundMessage.objects.filter(kind=MailKind.NEW_TICKET_ALERT).exists()
    fan_out_pending()
    assert OutboundMessage.objects.filter(kind=MailKind.AUTORESPONSE).exists()


def test_a_broken_template_never_stops_the_change_and_the_default_is_sent(
    world: World, mail_templates: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Saved behind the admin form's back (the form refuses it: see test_admin).
    MailTemplate.objects.filter(key=MailKind.AUTORESPONSE).update(subject="{% if %}")

    ticket = world.open()

    assert autoresponse().subject == f"[#{ticket.number}] Printer on fire"
    assert "autoresponse mail template is broken" in caplog.text


def test_subjects_and_text_are_not_html_escaped_but_the_html_body_is(world: World) -> None:
    ticket = world.open('Q&A <urgent> "now"')

    mail = autoresponse()
    assert mail.subject == f'[#{ticket.number}] Q&A <urgent> "now"'
    assert 'Q&A <urgent> "now"' in mail.text
    assert "Q&amp;A &lt;urgent&gt; &quot;now&quot;" in mail.html


def test_a_reply_carries_the_agents_signature(world: World) -> None:
    world.agent.signature = "Alice\nFirst-line support"
    world.agent.save()

    lifecycle.reply(world.open(), actor=world.agent, body_html="<p>On it.</p>")

    fan_out_pending()
    reply = OutboundMessage.objects.get(kind=MailKind.REPLY)
    assert "On it.\n\nAlice Agent\nAlice\nFirst-line support" in reply.text
    assert "Alice<br>First-line support" in reply.html


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<p>One</p><p>Two<br>lines</p>", "One\n\nTwo\nlines"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        (
            '<p>See <a href="https://x.test/a?b=1&amp;c=2">the docs</a></p>',
            "See the docs (https://x.test/a?b=1&c=2)",
        ),
        ('<a href="https://x.test/">https://x.test/</a>', "https://x.test/"),
        ("<p>1 &lt; 2 &amp;&amp; 3 &gt; 2</p>", "1 < 2 && 3 > 2"),
        ("<p>spread\n   over\nlines</p>", "spread over lines"),
        # What the desk's editor writes: numbered lists, quotes, pictures, links.
        (
            "<div>Steps:<ol><li>one</li><li>two<ul><li>sub</li></ul></li><li>three</li></ol></div>",
            "Steps:\n1. one\n2. two\n- sub\n3. three",
        ),
        (
            "<p>Before</p><blockquote>He said:<br>it broke<blockquote>in</blockquote></blockquote>"
            "<p>After</p>",
            "Before\n\n> He said:\n> it broke\n> > in\n\nAfter",
        ),
        (
            '<div><a href="https://x.test/g">Our guide<br></a>Next line<img src="cid:a@b" '
            'alt="where.png"><img src="cid:c@d"></div>',
            "Our guide (https://x.test/g)\nNext line\n[where.png]",
        ),
        ("<blockquote>" * 20 + "deep", "> " * 8 + "deep"),
    ],
)
def test_html_bodies_become_readable_text(body: str, text: str) -> None:
    assert html_to_text(body) == text


def test_our_own_addresses_are_recognised_whatever_their_form(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Help Desk <helpdesk@example.com>"

    assert is_own_address("helpdesk@example.com")
    assert is_own_address("HelpDesk@Example.COM")
    assert is_own_address("Somebody <helpdesk@example.com>")
    assert not is_own_address("ken@example.com")
    assert not is_own_address("")
    assert not is_own_address("not an address")
    assert bare_address("Ken <Ken@Example.com>") == "ken@example.com"
