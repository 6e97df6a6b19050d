"""A customer without an email address (a caller an agent took on the phone,
issue 13) is mailed nothing: no autoresponse, no reply, no resolution notice with
its rating links; what is written stays on the ticket. Agents' alerts name the
caller without an empty "<>", and people following the ticket still get its mail.
The real path: the lifecycle, the outbox, the worker, a real SMTP server."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from helpline.accounts.customers import create_customer_without_email
from helpline.conftest import World, make_customer
from helpline.notify.defaults import ensure_templates
from helpline.notify.models import MailTemplate, OutboundMessage, OutboundStatus
from helpline.notify.rendering import default_source
from helpline.notify.tests.helpers import deliver_pending, run_worker
from helpline.notify.tests.smtp import SMTPServer
from helpline.tickets import lifecycle
from helpline.tickets.models import EntryKind, Source

migration = import_module("helpline.notify.migrations.0008_alerts_without_customer_email")


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_a_caller_without_email_is_kept_on_the_ticket_and_mailed_to_nobody(
    world: World, smtp_server: SMTPServer
) -> None:
    walter = create_customer_without_email(name="Walter Walkin", phone="555-0123")
    ticket = world.open(
        "Printer jammed", customer=walter, actor=world.agent, source=Source.PHONE, phone="555-0123"
    )
    run_worker()
    ticket = lifecycle.reply(ticket, actor=world.agent, body_html="<p>Tray 2 is fixed.</p>")
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Cleared the jam.</p>")
    run_worker()

    replies = ticket.entries.filter(kind=EntryKind.REPLY)
    assert replies.filter(body__contains="Tray 2 is fixed.").count() == 1
    # Only the agents' alert about the new ticket went out (Alice opened it
    # herself: only Sam); nothing to the caller, nothing failed or left pending.
    recipients = {r for m in smtp_server.messages for r in m.rcpt_tos}
    assert recipients == {"sam.super@example.com"}
    assert "Tray 2 is fixed." not in str([m.text for m in smtp_server.messages])
    assert not OutboundMessage.objects.exclude(status=OutboundStatus.SENT).exists()
    [alert] = smtp_server.messages
    assert "Walter Walkin (no email address) opened ticket" in alert.text
    assert "Walter Walkin (no email address) opened ticket" in alert.html
    assert "<>" not in alert.text and "&lt;&gt;" not in alert.html


@pytest.mark.django_db
def test_followers_of_a_ticket_without_customer_email_still_get_its_replies(
    world: World, smtp_server: SMTPServer
) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    carol = make_customer("Carol Cc", "carol@example.net")
    ticket = world.open(customer=walter, actor=world.agent, source=Source.PHONE)
    lifecycle.add_collaborator(ticket, actor=world.agent, customer=carol)
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>On our way.</p>")
    deliver_pending()

    [copy] = smtp_server.to("carol@example.net")
    assert "On our way." in copy.text
    assert "/t/" not in copy.text  # the customer's own signed link is never a follower's
    assert {r for m in smtp_server.messages for r in m.rcpt_tos} == {
        "carol@example.net",
        "sam.super@example.com",
    }


@pytest.mark.django_db
def test_an_assignment_alert_names_the_caller_without_an_empty_address(
    world: World, smtp_server: SMTPServer
) -> None:
    walter = create_customer_without_email(name="Walter Walkin")
    ticket = world.open(customer=walter, actor=world.supervisor, source=Source.PHONE)
    lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)
    deliver_pending()

    [assigned] = [m for m in smtp_server.to("alice.agent@example.com") if "assigned" in m.text]
    assert "Customer: Walter Walkin" in assigned.text.splitlines()
    assert "Customer: Walter Walkin<br>" in assigned.html


@pytest.mark.django_db
def test_unedited_alert_templates_get_the_new_text_and_edited_ones_are_kept() -> None:
    """notify 0008: the rows an install has hold the text its migrations wrote."""
    ensure_templates()
    MailTemplate.objects.filter(key="new_ticket_alert").update(
        text_body=PREVIOUS_NEW_TICKET_TEXT, html_body=PREVIOUS_NEW_TICKET_HTML
    )
    MailTemplate.objects.filter(key="assigned_alert").update(subject="Our own subject")

    migration.update(apps, None)

    row = MailTemplate.objects.get(key="new_ticket_alert")
    shipped = default_source("new_ticket_alert")
    assert (row.text_body, row.html_body) == (shipped.text, shipped.html)
    assert "(no email address)" in row.text_body
    assert MailTemplate.objects.get(key="assigned_alert").subject == "Our own subject"


# The new-ticket alert's built-in text before notify 0008.
PREVIOUS_NEW_TICKET_TEXT = """{% load i18n %}{% blocktranslate with name=recipient.name %}Hello {{ name }},{% endblocktranslate %}

{% with name=customer.name email=customer.email number=ticket.number department=ticket.department topic=ticket.topic priority=ticket.priority %}{% if topic %}{% blocktranslate %}{{ name }} <{{ email }}> opened ticket #{{ number }} in
{{ department }} ({{ topic }}), priority {{ priority }}.{% endblocktranslate %}{% else %}{% blocktranslate %}{{ name }} <{{ email }}> opened ticket #{{ number }} in
{{ department }}, priority {{ priority }}.{% endblocktranslate %}{% endif %}{% endwith %}
{% if reason %}{{ reason }}
{% endif %}
{% translate "Subject:" %} {{ ticket.subject }}

{{ message.text }}

{% translate "Open the ticket:" %} {{ desk_url }}
"""  # noqa: E501
PREVIOUS_NEW_TICKET_HTML = """{% load i18n %}<p>{% blocktranslate with name=recipient.name %}Hello {{ name }},{% endblocktranslate %}</p>
<p>{% with name=customer.name email=customer.email number=ticket.number department=ticket.department topic=ticket.topic priority=ticket.priority %}{% if topic %}{% blocktranslate trimmed %}{{ name }} &lt;{{ email }}&gt; opened ticket
<strong>#{{ number }}</strong> in {{ department }} ({{ topic }}), priority {{ priority }}.{% endblocktranslate %}{% else %}{% blocktranslate trimmed %}{{ name }} &lt;{{ email }}&gt; opened ticket
<strong>#{{ number }}</strong> in {{ department }}, priority {{ priority }}.{% endblocktranslate %}{% endif %}{% endwith %}{% if reason %}<br>{{ reason }}{% endif %}</p>
<p><strong>{{ ticket.subject }}</strong></p>
<blockquote>{{ message.html }}</blockquote>
<p><a href="{{ desk_url }}">{% translate "Open the ticket" %}</a></p>
"""  # noqa: E501
