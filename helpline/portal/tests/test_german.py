"""The portal in German: its pages, its messages and the shipped status names.

Each page is asked for with `Accept-Language: de` (what LocaleMiddleware reads)
inside `translation.override("de")` (so the test does not depend on which of the
two chose the language). English stays the default: the other portal tests read
English pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import Client
from django.utils import translation
from django.utils.timezone import localtime

from helpline.conftest import World
from helpline.portal.tests.conftest import ticket_form
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Refused
from helpline.tickets.links import rating_token, ticket_token
from helpline.tickets.models import Status, Ticket


@contextmanager
def german() -> Iterator[None]:
    with translation.override("de"):
        yield


def get_de(client: Client, path: str) -> str:
    with german():
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, path
    return response.content.decode()


def post_de(client: Client, path: str, data: dict[str, Any]) -> str:
    with german():
        response = client.post(path, data, HTTP_ACCEPT_LANGUAGE="de")
    return response.content.decode()


def signed_in(client: Client, world: World) -> Client:
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    return client


def test_the_home_page_speaks_german(client: Client, world: World) -> None:
    html = get_de(client, "/")

    assert "Wie können wir helfen?" in html
    assert "Neues Ticket eröffnen" in html and "Ticketstatus prüfen" in html
    assert "How can we help?" not in html


def test_the_home_page_stays_english_without_a_german_request(client: Client, world: World) -> None:
    html = client.get("/").content.decode()

    assert "How can we help?" in html
    assert "Wie können wir helfen?" not in html


def test_the_new_ticket_form_has_german_labels_and_help(client: Client, world: World) -> None:
    html = get_de(client, "/open/")

    assert "Vollständiger Name" in html and "E-Mail-Adresse" in html
    assert "Hilfethema wählen…" in html
    assert "Beschreiben Sie das Problem" in html
    assert "Bis zu 5 Dateien" in html  # the attachment limits, with German plurals
    assert "(optional)" in html and "Abbrechen" in html


def test_the_new_ticket_form_refuses_in_german(client: Client, world: World) -> None:
    html = post_de(client, "/open/", ticket_form(world, subject="   ", email="no-at-sign"))

    assert "Bitte korrigieren Sie die markierten Felder unten." in html
    assert "Dieses Feld ist zwingend erforderlich." in html  # Django's own catalog
    assert "Ticket.objects" not in html
    assert not Ticket.objects.exists()


def test_a_shipped_status_shows_translated_on_the_ticket_page(client: Client, world: World) -> None:
    ticket = world.open()

    html = get_de(signed_in(client, world), f"/tickets/{ticket.number}/")

    assert '<span class="badge badge-open">Offen</span>' in html
    assert "Ticketdetails" in html and "Antwort senden" in html
    assert '<h1 translate="no">Printer on fire</h1>' in html
    assert ">Open</span>" not in html


def test_an_admins_own_status_shows_as_typed_in_german(client: Client, world: World) -> None:
    waiting = Status.objects.create(name="Waiting for parts", state="open", order=35)
    ticket = lifecycle.change_status(world.open(), actor=world.agent, status=waiting)

    html = get_de(signed_in(client, world), f"/tickets/{ticket.number}/")

    shown_as_typed = '<span translate="no">Waiting for parts</span>'
    assert f'<span class="badge badge-open">{shown_as_typed}</span>' in html


def test_a_customer_label_shows_as_typed_even_on_a_shipped_status(
    client: Client, world: World
) -> None:
    Status.objects.filter(name="In Progress").update(customer_label="Wir sind dran")
    ticket = lifecycle.change_status(
        world.open(), actor=world.agent, status=world.status("In Progress")
    )

    html = get_de(signed_in(client, world), f"/tickets/{ticket.number}/")

    assert "Wir sind dran" in html and "In Bearbeitung" not in html


def test_a_closed_ticket_invites_a_reply_in_german(client: Client, world: World) -> None:
    ticket = lifecycle.close(world.open(), actor=world.agent)

    html = get_de(Client(), f"/t/{ticket_token(ticket)}/")

    assert "Dieses Ticket hat den Status „Geschlossen“." in html
    assert "Antwort senden und wieder öffnen" in html
    assert "persönlichen Link" in html


def test_my_tickets_lists_german_words_and_german_dates(client: Client, world: World) -> None:
    ticket = world.open()

    html = get_de(signed_in(client, world), "/my/")

    assert "Meine Tickets" in html and "Letzte Änderung" in html
    assert ">Offen</span>" in html
    # German short dates: day.month.year and the 24-hour clock, as Django's German
    # formats give them.
    assert localtime(ticket.created_at).strftime("%d.%m.%Y %H:%M") in html


def test_the_status_and_sign_in_pages_speak_german(client: Client, world: World) -> None:
    status = get_de(client, "/status/")
    login = get_de(Client(), "/login/")

    assert "Link per E-Mail senden" in status and "Ticketnummer" in status
    assert "Passwort vergessen?" in login and "Mitarbeiterbereich" in login


def test_the_rating_page_speaks_german(client: Client, world: World) -> None:
    ticket = world.open()
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Unplug it.</p>")
    resolution = ticket.events.get(kind="resolved")

    html = get_de(client, f"/rate/{rating_token(resolution)}/")

    assert "Wie zufrieden sind Sie?" in html
    for label in ("Gut", "In Ordnung", "Schlecht"):  # as in the mail and the reports
        assert f"<span>{label}</span>" in html
    assert "Bewertung senden" in html


def test_a_lifecycle_refusal_reads_in_german_with_the_status_translated(world: World) -> None:
    ticket = world.open()

    with german():
        try:
            lifecycle.change_status(ticket, actor=world.agent, status=world.status("Open"))
        except Refused as error:
            message = error.message
        else:
            raise AssertionError("the same status twice was not refused")

    assert message == "Das Ticket hat bereits den Status „Offen“."
