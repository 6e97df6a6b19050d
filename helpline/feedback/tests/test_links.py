"""Signed rating links: they name one resolution, for its customer, and expire."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import signing
from django.utils import timezone

from helpline.conftest import World, make_customer
from helpline.tickets.links import (
    RATING_SALT,
    event_from_rating_token,
    rating_links,
    rating_path,
    rating_token,
    rating_token_expired,
    ticket_token,
)
from helpline.tickets.models import Event, EventKind, Ticket

from .conftest import resolved


def test_a_token_names_its_resolution(world: World) -> None:
    _, resolution = resolved(world)

    found = event_from_rating_token(rating_token(resolution))

    assert found == resolution
    assert found is not None and found.ticket.customer == world.customer


def test_a_tampered_token_names_nothing(world: World) -> None:
    ticket, resolution = resolved(world)
    token = rating_token(resolution)
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    forged = f"{created.pk}.{ticket.customer_id}:{token.split(':', 1)[1]}"

    assert event_from_rating_token(token[:-2] + "xx") is None
    assert event_from_rating_token(forged) is None
    assert event_from_rating_token("nonsense") is None
    assert not rating_token_expired(token[:-2] + "xx")


def test_a_ticket_link_or_another_salt_is_no_rating_link(world: World) -> None:
    ticket, resolution = resolved(world)
    other_salt = signing.TimestampSigner(salt="helpline.portal.ticket").sign(
        f"{resolution.pk}.{ticket.customer_id}"
    )

    assert event_from_rating_token(ticket_token(ticket)) is None
    assert event_from_rating_token(other_salt) is None
    assert RATING_SALT == "helpline.feedback.rate"


def test_a_token_signed_for_a_non_resolution_event_names_nothing(world: World) -> None:
    ticket, _ = resolved(world)
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    token = signing.TimestampSigner(salt=RATING_SALT).sign(f"{created.pk}.{ticket.customer_id}")

    assert event_from_rating_token(token) is None


def test_a_token_stops_working_when_the_ticket_moves_to_another_customer(world: World) -> None:
    ticket, resolution = resolved(world)
    token = rating_token(resolution)
    Ticket.objects.filter(pk=ticket.pk).update(customer=make_customer("New", "new@example.com"))

    assert event_from_rating_token(token) is None


def test_a_token_expires_after_sixty_days(world: World) -> None:
    _, resolution = resolved(world)
    token = rating_token(resolution)

    with time_machine.travel(timezone.now() + timedelta(days=59), tick=False):
        assert event_from_rating_token(token) == resolution
        assert not rating_token_expired(token)
    with time_machine.travel(timezone.now() + timedelta(days=61), tick=False):
        assert event_from_rating_token(token) is None
        assert rating_token_expired(token)


def test_the_max_age_follows_the_setting(world: World, settings) -> None:
    settings.HELPLINE_RATING_LINK_MAX_AGE_DAYS = 5
    _, resolution = resolved(world)
    token = rating_token(resolution)

    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        assert rating_token_expired(token)


def test_the_mail_links_are_absolute_and_preselect_a_score(world: World, settings) -> None:
    settings.HELPLINE_BASE_URL = "https://help.example.com"
    _, resolution = resolved(world)

    with time_machine.travel(timezone.now(), tick=False):  # one timestamp for both
        links = rating_links(resolution)
        token = rating_token(resolution)

    assert links == {
        "good": f"https://help.example.com/rate/{token}/?score=good",
        "okay": f"https://help.example.com/rate/{token}/?score=okay",
        "bad": f"https://help.example.com/rate/{token}/?score=bad",
    }
    with time_machine.travel(timezone.now(), tick=False):
        assert rating_path(resolution, "bad") == f"/rate/{rating_token(resolution)}/?score=bad"
