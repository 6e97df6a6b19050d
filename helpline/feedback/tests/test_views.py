"""The rating page at /rate/<token>/: no login, one rating, clear answers to bad links."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.links import rating_token
from helpline.tickets.models import Event, EventKind, Rating

from .conftest import resolved


def url(resolution: Event) -> str:
    return f"/rate/{rating_token(resolution)}/"


def test_the_page_shows_the_ticket_the_answer_and_the_three_choices(
    client: Client, world: World
) -> None:
    ticket, resolution = resolved(world)

    response = client.get(url(resolution))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Ticket #{ticket.number}" in html and "Printer on fire" in html
    assert "Unplug it, wait a minute, plug it in again." in html
    assert "How did we do?" in html
    for value, label in (("good", "Good"), ("okay", "Okay"), ("bad", "Bad")):
        assert f'id="rate-score-{value}" value="{value}"' in html
        assert f"<span>{label}</span>" in html
    assert 'for="rate-comment"' in html
    assert "checked" not in html
    assert "reopened" not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_score_in_the_link_is_preselected(client: Client, world: World) -> None:
    _, resolution = resolved(world)

    html = client.get(url(resolution) + "?score=bad").content.decode()

    assert 'value="bad" checked' in html
    assert 'value="good" checked' not in html
    assert "checked" not in client.get(url(resolution) + "?score=nope").content.decode()


def test_posting_records_the_rating_and_thanks_the_customer(client: Client, world: World) -> None:
    ticket, resolution = resolved(world)
    link = url(resolution)

    response = client.post(link, {"score": "okay", "comment": "Slow but fine."})

    assert response.status_code == 302
    assert response["Location"] == f"{link}thanks/"
    rating = Rating.objects.get()
    assert (rating.ticket, rating.customer, rating.score, rating.comment) == (
        ticket,
        world.customer,
        "okay",
        "Slow but fine.",
    )
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Thank you for your rating" in html
    assert "Okay" in html and "Slow but fine." in html


def test_the_thank_you_page_without_a_rating_goes_to_the_form(client: Client, world: World) -> None:
    _, resolution = resolved(world)
    link = url(resolution)

    response = client.get(link + "thanks/")

    assert response.status_code == 302 and response["Location"] == link


def test_a_second_submission_shows_the_earlier_rating(client: Client, world: World) -> None:
    _, resolution = resolved(world)
    client.post(url(resolution), {"score": "good", "comment": "Great"})

    again = client.post(url(resolution), {"score": "bad", "comment": "Changed my mind"})
    page = client.get(url(resolution))

    for response in (again, page):
        assert response.status_code == 200
        html = response.content.decode()
        assert "You already rated this answer; thank you." in html
        assert 'data-score="good"' in html and "Great" in html
        assert "Changed my mind" not in html
        assert 'name="score"' not in html
    assert Rating.objects.get().score == "good"


def test_a_missing_score_or_a_long_comment_keeps_what_was_typed(
    client: Client, world: World
) -> None:
    _, resolution = resolved(world)

    missing = client.post(url(resolution), {"comment": "Where do I click?"})
    long = client.post(url(resolution), {"score": "bad", "comment": "x" * 2001})

    assert missing.status_code == 200
    assert "Choose Good, Okay or Bad." in missing.content.decode()
    assert "Where do I click?" in missing.content.decode()
    assert long.status_code == 200
    assert "at most 2000 characters" in long.content.decode()
    assert 'value="bad" checked' in long.content.decode()
    assert not Rating.objects.exists()


def test_the_comment_is_shown_escaped(client: Client, world: World) -> None:
    _, resolution = resolved(world)

    client.post(url(resolution), {"score": "bad", "comment": "<script>alert(1)</script>"})
    html = client.get(url(resolution)).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_forged_link_is_not_found(client: Client, world: World) -> None:
    _, resolution = resolved(world)
    token = rating_token(resolution)

    for bad in (token[:-3] + "abc", "nonsense"):
        response = client.get(f"/rate/{bad}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "This rating link does not work" in html
        assert 'href="/status/"' in html and 'href="/open/"' in html
    assert client.post(f"/rate/{token[:-3]}abc/", {"score": "good"}).status_code == 404
    assert not Rating.objects.exists()


def test_an_expired_link_says_so_and_how_to_reach_support(client: Client, world: World) -> None:
    _, resolution = resolved(world)
    link = url(resolution)

    with time_machine.travel(timezone.now() + timedelta(days=61), tick=False):
        response = client.get(link)
        posted = client.post(link, {"score": "good"})

    assert response.status_code == 410 and posted.status_code == 410
    html = response.content.decode()
    assert "This rating link has expired" in html
    assert "work for 60 days" in html
    assert 'href="/status/"' in html
    assert not Rating.objects.exists()


def test_a_reopened_ticket_says_the_rating_is_about_that_answer(
    client: Client, world: World
) -> None:
    ticket, resolution = resolved(world)
    lifecycle.reopen(ticket, actor=world.agent, reason="Still burning")

    html = client.get(url(resolution)).content.decode()
    client.post(url(resolution), {"score": "bad"})

    assert "This ticket was reopened after this answer" in html
    assert Rating.objects.get().resolution == resolution


def test_posting_needs_the_csrf_token(world: World) -> None:
    _, resolution = resolved(world)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(url(resolution), {"score": "good"})

    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_posts_are_rate_limited_per_address(client: Client, world: World) -> None:
    _, resolution = resolved(world)
    with time_machine.travel(timezone.now(), tick=False):  # all in one rate-limit window
        for _ in range(10):
            assert client.post(url(resolution), {"comment": "no score"}).status_code == 200

        response = client.post(url(resolution), {"score": "good"})

    assert response.status_code == 429
    assert not Rating.objects.exists()
    assert client.get(url(resolution)).status_code == 200  # reading is not limited


def test_a_form_from_the_portal_goes_back_to_the_ticket(client: Client, world: World) -> None:
    ticket, resolution = resolved(world)
    back = f"/tickets/{ticket.number}/"

    response = client.post(url(resolution), {"score": "good", "next": back})
    again = client.post(url(resolution), {"score": "bad", "next": back})
    elsewhere = client.post(url(resolution), {"score": "bad", "next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"] == back
    assert again.status_code == 302 and again["Location"] == back
    assert elsewhere.status_code == 200  # not sent off-site: the "already rated" page
    assert Rating.objects.get().score == "good"
    assert Event.objects.filter(kind=EventKind.RATED).count() == 1
