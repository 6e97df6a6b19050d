"""A form sent with a stale CSRF token (signed in or out in another tab, the
session ended) gets a 403 page in the site's style that says nothing was saved,
links back to the form's page and shows back, escaped, what was typed."""

from __future__ import annotations

import re
from html import unescape

from django.test import Client

from helpline.conftest import World
from helpline.lib.errorpages import TYPED_LIMIT


def _typed_box(html: str) -> str:
    found = re.search(r'<textarea id="typed-text" readonly[^>]*>\n(.*?)</textarea>', html, re.S)
    assert found, "no read-only box with the typed text"
    return unescape(found.group(1))


def test_a_desk_reply_with_a_stale_token_says_nothing_was_saved_and_shows_the_reply(
    world: World,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent.user)
    reply = "Dear Ken,\n<script>alert(1)</script> the printer is fixed & tested."

    response = client.post(
        "/desk/tickets/123456/reply/",
        {"body": reply, "csrfmiddlewaretoken": "stale"},
        headers={"referer": "http://testserver/desk/tickets/123456/?tab=reply"},
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert "This form had expired" in html and "signed in or out in another tab" in html
    assert "Nothing was saved." in html
    assert 'href="/desk/tickets/123456/?tab=reply"' in html
    assert "Back to the page the form was on" in html
    assert 'aria-label="Desk"' in html  # the desk's own menu
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _typed_box(html) == reply
    assert "no-store" in response["Cache-Control"]
    assert "CSRF verification failed" not in html


def test_a_portal_form_from_another_site_links_home_not_back_there(db: None) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/open/",
        {"description": "My printer is on fire"},
        headers={"referer": "https://evil.example/open/"},
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert 'aria-label="Help desk"' in html  # the portal's navigation
    assert "evil.example" not in html
    assert 'href="/"' in html and "Go to the help desk home" in html
    assert 'id="typed-text"' not in html  # another site's words are not shown as ours
    assert "My printer is on fire" not in html
    assert "no-store" in response["Cache-Control"]


def test_a_cross_site_post_does_not_get_its_text_shown_on_our_page(db: None) -> None:
    """Review finding: another site could auto-submit a form at us and have its
    text ("your account is locked, call ...") shown on our page, under our name."""
    phish = "Your account is locked. Call +1 555 0100 and give your password."
    client = Client(enforce_csrf_checks=True)
    for headers in (
        {"origin": "https://evil.example", "referer": "https://evil.example/x"},
        {"origin": "null"},
        {},
    ):
        response = client.post("/desk/tickets/123456/reply/", {"body": phish}, headers=headers)

        assert response.status_code == 403
        assert phish not in response.content.decode(), headers

    ours = client.post(
        "/desk/tickets/123456/reply/", {"body": phish}, headers={"origin": "http://testserver"}
    )
    assert _typed_box(ours.content.decode()) == phish


def test_a_referer_that_is_no_page_of_this_site_is_never_the_way_back(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    for referer in (
        "//evil.example/x",
        "javascript:alert(1)",
        "http://testserver.evil/x",
        "/x",
        "http://testserver/\\evil.example",  # "/\\evil.example" in an href is off-site
    ):
        response = client.post("/desk/login/", {}, headers={"referer": referer})

        assert response.status_code == 403
        html = response.content.decode()
        assert "Back to the desk" in html and 'href="/desk/"' in html, referer
        assert 'id="typed-text"' not in html  # nothing typed, no box


def test_a_very_long_text_is_shown_cut(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent.user)

    response = client.post(
        "/desk/tickets/new/",
        {"body": "x" * (TYPED_LIMIT + 10)},
        headers={"origin": "http://testserver"},
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert _typed_box(html) == "x" * TYPED_LIMIT
    assert "Only the beginning of a very long text is shown." in html
