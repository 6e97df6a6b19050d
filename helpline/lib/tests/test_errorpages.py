"""Error pages a person can read: a web path's 405 in the desk's or the portal's
style, the admin's 403 for an agent who is not an administrator; the API keeps
its JSON."""

from __future__ import annotations

import json

from django.test import Client

from helpline.conftest import World


def test_a_desk_form_address_opened_in_the_browser_explains_itself(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)

    response = client.get("/desk/two-factor/start/")

    assert response.status_code == 405 and response["Allow"] == "POST"
    html = response.content.decode()
    assert "This page cannot be opened this way" in html
    assert "Nothing was changed" in html
    assert 'href="/desk/"' in html and "Back to the desk" in html
    assert 'aria-label="Desk"' in html  # the desk's own navigation
    assert "no-store" in response["Cache-Control"]


def test_a_portal_form_address_opened_in_the_browser_explains_itself(client: Client) -> None:
    response = client.get("/logout/")

    assert response.status_code == 405 and response["Allow"] == "POST"
    html = response.content.decode()
    assert "This page cannot be opened this way" in html
    assert 'aria-label="Help desk"' in html  # the portal's navigation
    assert "Go to the help desk home" in html


def test_a_form_sent_to_a_page_that_only_shows_says_so(client: Client, world: World) -> None:
    client.force_login(world.agent.user)

    response = client.post("/desk/two-factor/")

    assert response.status_code == 405
    html = response.content.decode()
    assert "it takes no form" in html and 'href="/desk/two-factor/"' in html


def test_head_of_a_post_only_page_is_a_bare_405(client: Client) -> None:
    response = client.head("/logout/")

    assert response.status_code == 405 and response.content == b""


def test_the_api_keeps_its_json_405(client: Client) -> None:
    response = client.delete("/api/v1/tickets")

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert set(json.loads(response.content)) >= {"detail"}


def test_an_agent_who_is_not_an_administrator_is_told_so_in_the_admin(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    html = response.content.decode()
    assert "Administrators only" in html
    assert "You are signed in as Alice Agent, an agent but not an administrator." in html
    assert 'href="/desk/"' in html and "Back to the desk" in html
    assert 'name="password"' not in html  # no sign-in form they have passed already


def test_the_admin_still_sends_others_to_the_desks_sign_in(client: Client, world: World) -> None:
    anonymous = client.get("/admin/", follow=True)

    assert anonymous.redirect_chain[-1][0].startswith("/desk/login/")
    admin = Client()
    admin.force_login(world.admin.user)
    assert admin.get("/admin/").status_code == 200
