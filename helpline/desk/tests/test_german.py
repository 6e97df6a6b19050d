"""The desk in German: an agent whose browser asks for German (Accept-Language: de)
gets the desk's pages, messages, timeline, SLA panel and reports in German, while
people's data stays as typed and a browser that asks for nothing gets English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from helpline.conftest import World
from helpline.desk.tests.test_desk import login
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind
from helpline.tickets.reasons import translate_reason

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def german(client: Client, path: str) -> str:
    response = client.get(path, **GERMAN)  # type: ignore[arg-type]
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_speaks_german_to_a_german_browser(world: World, client: Client) -> None:
    world.open()
    html = german(login(client, world.agent), "/desk/")
    assert 'lang="de"' in html
    for text in ("Listen", "Neues Ticket", "Alle Abteilungen", "Sortieren nach", "Abmelden"):
        assert text in html, text
    assert '<th scope="col">Subject</th>' not in html and "Sign out" not in html


def test_the_dashboard_stays_english_for_a_browser_that_asks_for_nothing(
    world: World, client: Client
) -> None:
    html = login(client, world.agent).get("/desk/").content.decode()
    assert "New ticket" in html and "Sign out" in html and "Neues Ticket" not in html


def test_the_ticket_page_is_german_and_keeps_the_customers_words(
    world: World, client: Client
) -> None:
    ticket = world.open("Drucker brennt nicht")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Looked at it</p>")
    html = german(login(client, world.agent), f"/desk/tickets/{ticket.number}/")
    for text in ("Zurück zu den Tickets", "Interne Notiz", "Ereignisse", "Aktionen", "Kunde"):
        assert text in html, text
    assert "hat das Ticket eröffnet" in html  # the timeline, as whole German sentences
    assert "hat eine interne Notiz hinzugefügt" in html
    # People's data is shown as typed, marked so that translators and checks skip it.
    assert '<h1 id="ticket-subject" translate="no">Drucker brennt nicht</h1>' in html
    assert "Looked at it" in html


def test_the_sla_panel_counts_time_in_german(world: World, client: Client) -> None:
    world.sla.first_response_hours = 2
    world.sla.save()
    with time_machine.travel(MONDAY, tick=False):
        ticket = world.open()
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=5), tick=False):
        html = german(login(client, world.agent), f"/desk/tickets/{ticket.number}/")
    assert "Erste Antwort" in html and "Lösung" in html
    assert "noch " in html and " Std." in html
    assert 'data-testid="sla-resolution"' in html  # the test ids do not follow the language


def test_a_reason_the_lifecycle_wrote_is_shown_in_the_viewers_language(
    world: World, client: Client
) -> None:
    ticket = world.open()
    Event.objects.create(
        ticket=ticket,
        kind=EventKind.OVERDUE,
        actor_name="System",
        field="overdue",
        old_value="True",
        new_value="False",
        reason="New due date",
        data={"own_reason": True},  # written by the lifecycle, not typed
        created_at=ticket.created_at,
    )
    html = german(login(client, world.agent), f"/desk/tickets/{ticket.number}/")
    assert "— Neue Fälligkeit" in html
    assert "<strong>System</strong> hat die Markierung „überfällig“ entfernt" in html


def test_reasons_with_names_are_translated_and_typed_reasons_are_left_alone() -> None:
    from django.utils import translation

    with translation.override("de"):
        assert translate_reason("Opened by Ann Agent for Ken Adams") == (
            "Von Ann Agent für Ken Adams eröffnet"
        )
        assert translate_reason("The customer called back") == "The customer called back"
        assert translate_reason("Set priority to High; Stopped processing further rules") == (
            "Priorität auf High gesetzt; Weitere Regeln nicht mehr ausgeführt"
        )


def test_a_desk_message_after_an_action_is_german(world: World, client: Client) -> None:
    ticket = world.open()
    login(client, world.agent)
    response = client.post(
        f"/desk/tickets/{ticket.number}/claim/",
        {"version": ticket.version},
        **GERMAN,  # type: ignore[arg-type]
    )
    assert response.status_code == 302
    assert "Sie haben das Ticket übernommen." in german(client, response["Location"])


def test_the_new_ticket_page_and_its_errors_are_german(world: World, client: Client) -> None:
    login(client, world.agent)
    html = german(client, "/desk/tickets/new/")
    for text in ("Neues Ticket", "Anliegen des Kunden", "Ticket eröffnen", "Abbrechen"):
        assert text in html, text
    response = client.post("/desk/tickets/new/", {"name": "Ken"}, **GERMAN)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert "Bitte korrigieren Sie die unten markierten Felder." in response.content.decode()


def test_the_reports_page_is_german_with_german_numbers(world: World, client: Client) -> None:
    for i in range(3):
        world.open(f"Problem {i}")
    login(client, world.admin)
    html = german(client, "/desk/reports/?preset=30d")
    for text in ("Berichte", "Bericht anzeigen", "Was die Zahlen bedeuten", "Zeitraum"):
        assert text in html, text
    assert "Show report" not in html


def test_reports_write_german_decimals() -> None:
    from django.utils import translation

    from helpline.reports.views import hours_text, share_text

    with translation.override("de"):
        assert hours_text(5.5) == "5,5 Std."
        assert share_text(0.875) == "87,5 %"
    with translation.override("en"):
        assert hours_text(5.5) == "5.5 h"


def test_an_api_error_is_german_and_keeps_its_machine_fields(client: Client) -> None:
    response = client.get("/api/v1/tickets", **GERMAN)  # type: ignore[arg-type]
    assert response.status_code == 401
    body = response.json()
    assert "API-Schlüssel" in body["detail"]
    assert set(body) >= {"detail", "field"}
