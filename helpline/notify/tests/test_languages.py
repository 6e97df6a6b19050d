"""Mail in the recipient's language: each mail is rendered in the language of the
person it goes to (their saved choice, else the language they used the portal in,
else the site's default), whoever caused it and in whatever language they work.
The real path: the lifecycle's change, the outbox row, the worker's send, a real
SMTP server."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from helpline.accounts.models import Customer
from helpline.accounts.passwords import Audience
from helpline.conftest import World, make_customer
from helpline.notify.accountmail import send_reset
from helpline.notify.models import MailKind, MailTemplate, OutboundMessage
from helpline.notify.tests.helpers import run_worker
from helpline.notify.tests.smtp import SMTPServer
from helpline.tickets import lifecycle
from helpline.tickets.models import Priority, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_german_customer_gets_the_autoresponse_and_the_reply_in_german(
    world: World, smtp_server: SMTPServer
) -> None:
    world.customer.language = "de"
    world.customer.save(update_fields=["language"])
    ticket = world.open("Drucker brennt")
    run_worker()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Bitte ausstecken.</p>")
    run_worker()

    autoresponse, reply = smtp_server.to("ken@example.com")
    assert autoresponse.header("Subject") == f"[#{ticket.number}] Drucker brennt"
    assert "Hallo Ken Adams," in autoresponse.text
    assert "vielen Dank für Ihre Nachricht" in autoresponse.text
    assert "thank you" not in autoresponse.text
    assert f"Ticket <strong>#{ticket.number}</strong> eröffnet" in autoresponse.html
    assert "Bitte ausstecken." in reply.text
    assert "Antworten Sie auf diese E-Mail" in reply.text
    assert "Reply to this mail" not in reply.text + reply.html


def test_an_english_customer_gets_english_mail_from_a_german_agent(
    world: World, smtp_server: SMTPServer
) -> None:
    world.agent.language = "de"
    world.agent.save(update_fields=["language"])
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it.</p>")
    run_worker()

    autoresponse, reply = smtp_server.to("ken@example.com")
    assert "thank you for contacting us" in autoresponse.text
    assert "Reply to this mail to answer" in reply.text
    assert "Antworten" not in autoresponse.text + reply.text


def test_each_collaborator_and_agent_reads_their_own_language(
    world: World, smtp_server: SMTPServer
) -> None:
    greta = make_customer("Greta Gast", "greta@example.de")
    greta.language = "de"
    greta.save(update_fields=["language"])
    world.supervisor.language = "de"
    world.supervisor.save(update_fields=["language"])
    ticket = world.open(collaborators=[greta])
    lifecycle.assign(ticket, actor=world.admin, agent=world.supervisor)
    lifecycle.resolve(ticket, actor=world.supervisor, explanation_html="<p>Done.</p>")
    run_worker()

    resolved_for_ken = smtp_server.to("ken@example.com")[-1]
    resolved_for_greta = smtp_server.to("greta@example.de")[-1]
    [alert] = [m for m in smtp_server.to(world.supervisor.user.email) if "zugewiesen" in m.text]
    assert resolved_for_ken.header("Subject").startswith("Resolved: ")
    assert resolved_for_greta.header("Subject").startswith("Gelöst: ")
    assert "wurde gelöst" in resolved_for_greta.text
    assert alert.header("Subject").startswith(f"Ticket #{ticket.number} Sam Super zugewiesen")
    assert "Ticket öffnen:" in alert.text


def test_a_customer_who_opened_the_ticket_on_a_german_portal_gets_german_mail(
    world: World, smtp_server: SMTPServer
) -> None:
    form = {
        "name": "Grete Gast",
        "email": "grete@example.de",
        "phone": "",
        "topic": str(world.topic.pk),
        "subject": "Scanner klemmt",
        "description": "Der Scanner klemmt bei jeder Seite.",
    }

    response = Client().post("/open/", form, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    run_worker()

    assert response.status_code == 302
    assert Customer.objects.get(email="grete@example.de").last_language == "de"
    [autoresponse] = smtp_server.to("grete@example.de")
    assert "vielen Dank für Ihre Nachricht" in autoresponse.text


def test_the_password_reset_mail_and_its_lifetime_are_in_the_agents_language(
    world: World, smtp_server: SMTPServer
) -> None:
    world.agent.language = "de"
    world.agent.save(update_fields=["language"])

    send_reset(Audience.AGENTS, world.agent.user)
    run_worker()

    [reset] = smtp_server.to(world.agent.user.email)
    assert reset.header("Subject") == "Wählen Sie ein neues Passwort für Ihr Helpdesk-Konto"
    assert "Der Link gilt 1\xa0Stunde, einmal." in reset.text
    assert OutboundMessage.objects.get(kind=MailKind.PASSWORD_RESET).subject.startswith("Wählen")


def test_a_registration_from_a_german_page_is_confirmed_in_german_with_its_lifetime(
    world: World, client: Client, smtp_server: SMTPServer
) -> None:
    response = client.post("/register/", {"email": "neu@example.de"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    run_worker()

    [confirmation] = smtp_server.to("neu@example.de")
    # The lifetime in words is rendered in the worker, in the page's language.
    assert "Der Link gilt 3\xa0Tage" in confirmation.text


def test_a_ticket_link_mail_states_its_lifetime_in_the_customers_language(
    world: World, client: Client, smtp_server: SMTPServer
) -> None:
    world.customer.language = "de"
    world.customer.save(update_fields=["language"])
    ticket = world.open()

    client.post("/status/", {"email": world.customer.email, "number": ticket.number})
    run_worker()

    subject = OutboundMessage.objects.get(kind=MailKind.TICKET_LINK).subject
    [link] = [m for m in smtp_server.to(world.customer.email) if m.header("Subject") == subject]
    assert "Tage" in link.text and " days" not in link.text


def test_an_agents_alert_names_a_shipped_priority_in_their_language(
    world: World, smtp_server: SMTPServer
) -> None:
    world.supervisor.language = "de"
    world.supervisor.save(update_fields=["language"])
    world.agent.language = "en"
    world.agent.save(update_fields=["language"])
    ticket = world.open(actor=world.admin, priority=Priority.objects.get(name="High"))
    lifecycle.assign(ticket, actor=world.admin, agent=world.supervisor)
    # A German admin's change: the English agent still reads English.
    with translation.override("de"):
        lifecycle.assign(ticket, actor=world.admin, agent=world.agent)
    run_worker()

    [german] = [m for m in smtp_server.to(world.supervisor.user.email) if "zugewiesen" in m.text]
    [english] = [m for m in smtp_server.to(world.agent.user.email) if "assigned" in m.text]
    assert "Abteilung: Support, Priorität Hoch" in german.text
    assert "Priorität Hoch" in german.html
    assert "Department: Support, priority High" in english.text
    assert "Hoch" not in english.text + english.html


def test_an_admins_own_names_in_an_alert_stay_as_typed_in_every_language(
    world: World, smtp_server: SMTPServer
) -> None:
    world.supervisor.language = "de"
    world.supervisor.save(update_fields=["language"])
    MailTemplate.objects.update_or_create(
        key=MailKind.ASSIGNED_ALERT,
        defaults={
            "subject": "#{{ ticket.number }}",
            "text_body": "{{ ticket.priority }}|{{ ticket.status }}|{{ ticket.public_status }}",
            "html_body": "",
        },
    )
    blocker = Priority.objects.create(name="Blocker", urgency=9)
    shipped, own = world.open(), world.open(actor=world.admin, priority=blocker)
    for ticket in (shipped, own):
        lifecycle.assign(ticket, actor=world.admin, agent=world.supervisor)
    # Names are read when the mail is rendered (by the fan-out): before the relabel.
    run_worker()
    Status.objects.filter(name="Open").update(customer_label="Eingegangen")
    labelled = world.open()
    lifecycle.assign(labelled, actor=world.admin, agent=world.supervisor)
    run_worker()

    bodies = {
        m.header("Subject"): m.text.strip() for m in smtp_server.to(world.supervisor.user.email)
    }
    assert bodies[f"#{shipped.number}"] == "Normal|Offen|Offen"
    assert bodies[f"#{own.number}"] == "Blocker|Offen|Offen"
    assert bodies[f"#{labelled.number}"] == "Normal|Offen|Eingegangen"
