"""Which language a person reads: the browser's (Accept-Language) until they
choose one; a choice is kept in a cookie, and on the signed-in customer or agent
(so it follows them to other browsers and into their mail)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from helpline.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

GERMAN = "Zum Inhalt springen"  # base.html's skip link, in German
ENGLISH = "Skip to content"


def page(client: Client, path: str = "/login/", *, accept: str = "") -> str:
    response = client.get(path, headers={"accept-language": accept} if accept else None)
    assert response.status_code == 200
    return response.content.decode()


def test_a_german_browser_gets_german_pages_and_an_english_one_english(world: World) -> None:
    german = page(Client(), accept="de-DE,de;q=0.9,en;q=0.5")
    english = page(Client(), accept="en-US,en;q=0.9")
    nothing = page(Client())

    assert '<html lang="de">' in german and GERMAN in german
    assert '<html lang="en">' in english and ENGLISH in english
    assert ENGLISH in nothing  # the site's default


def test_a_chosen_language_wins_over_the_browser_and_leads_back_to_the_page(
    world: World,
) -> None:
    client = Client()

    response = client.post(
        "/i18n/language/", {"language": "de"}, HTTP_REFERER="http://testserver/status/"
    )

    assert response.status_code == 302 and response["Location"] == "http://testserver/status/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert GERMAN in page(client, accept="en")


def test_choosing_no_language_follows_the_browser_again(world: World) -> None:
    client = Client()
    client.post("/i18n/language/", {"language": "de"})

    client.post("/i18n/language/", {"language": ""})

    assert ENGLISH in page(client, accept="en")


def test_an_unknown_language_is_refused_and_a_foreign_way_back_is_not_followed(
    world: World,
) -> None:
    client = Client()

    unknown = client.post("/i18n/language/", {"language": "xx"})
    foreign = client.post("/i18n/language/", {"language": "de", "next": "https://evil.example/"})

    assert unknown.status_code == 400
    assert "not available in that language" in unknown.content.decode()
    assert foreign.status_code == 302 and foreign["Location"] == "/"


def test_a_signed_in_customers_choice_is_saved_and_follows_them_to_another_browser(
    world: World,
) -> None:
    laptop = Client()
    laptop.post("/login/", {"email": "ken@example.com", "password": PASSWORD})

    laptop.post("/i18n/language/", {"language": "de"})
    phone = Client()
    phone.post("/login/", {"email": "ken@example.com", "password": PASSWORD})

    world.customer.refresh_from_db()
    assert world.customer.language == "de"
    assert GERMAN in page(phone, "/my/", accept="en")


def test_an_agent_chooses_the_desk_language_on_the_profile_page(world: World) -> None:
    client = Client()
    client.force_login(world.agent.user)

    before = page(client, "/desk/profile/", accept="en")
    saved = client.post("/desk/profile/", {"language": "de"}, HTTP_ACCEPT_LANGUAGE="en")
    after = page(client, "/desk/profile/", accept="en")

    assert ENGLISH in before
    assert saved.status_code == 302
    world.agent.refresh_from_db()
    assert world.agent.language == "de"
    assert GERMAN in after and "Ihr Profil ist gespeichert." in after


def test_the_profile_refuses_a_language_helpline_does_not_have(world: World) -> None:
    client = Client()
    client.force_login(world.agent.user)

    response = client.post("/desk/profile/", {"language": "xx"})

    assert response.status_code == 400
    world.agent.refresh_from_db()
    assert world.agent.language == ""
