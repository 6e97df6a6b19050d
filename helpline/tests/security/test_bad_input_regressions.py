"""Server errors the bad-input sweep found outside the parts other engineers
own, each pinned by the smallest request that caused it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from helpline.conftest import PASSWORD, World
from helpline.tests.security.routes import Scene, build_scene
from helpline.tickets.links import event_from_rating_token, rating_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world: World, settings: Any, tmp_path: Any) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    return build_scene(world, admin_rows=False)


@pytest.mark.parametrize("target", ["x", "desk:dashboard", "admin:index"])
def test_a_desk_sign_in_whose_next_is_no_path_lands_on_the_dashboard(
    client: Client, world: World, target: str
) -> None:
    """`next=x` made `redirect()` look up a URL named "x": NoReverseMatch, 500."""
    response = client.post(
        reverse("desk:login"),
        {"username": world.agent.user.username, "password": PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:dashboard")


def test_a_desk_sign_in_still_follows_a_next_path_of_this_site(
    client: Client, world: World
) -> None:
    response = client.post(
        reverse("desk:login"),
        {"username": world.agent.user.username, "password": PASSWORD, "next": "/desk/go/?number=1"},
    )

    assert response["Location"] == "/desk/go/?number=1"


@pytest.mark.parametrize("target", ["x", "portal:home"])
def test_a_rating_whose_next_is_no_path_is_thanked_on_its_own_page(
    client: Client, scene: Scene, target: str
) -> None:
    resolution = scene.resolved.events.get(kind="resolved")
    path = rating_path(resolution)

    first = client.post(path, {"score": "good", "next": target})
    again = client.post(path, {"score": "bad", "next": target})

    assert first.status_code == 302
    # The link is signed with a timestamp: compare what it points at, not its text
    # (a second may pass between making the scene and this request).
    thanks = resolve(first["Location"])
    assert thanks.view_name == "feedback:thanks"
    assert event_from_rating_token(thanks.kwargs["token"]) == resolution
    assert again.status_code == 200  # rated already: shows the rating


def test_a_rating_from_the_portal_still_goes_back_to_the_ticket(
    client: Client, scene: Scene
) -> None:
    path = rating_path(scene.resolved.events.get(kind="resolved"))
    back = reverse("portal:signed_ticket", args=["token"])

    response = client.post(path, {"score": "good", "next": back})

    assert response["Location"] == back


@pytest.mark.parametrize("view", ["change", "delete"])
@pytest.mark.parametrize("where", ["query", "form"])
def test_the_admin_refuses_an_empty_to_field_instead_of_failing(
    client: Client, world: World, view: str, where: str
) -> None:
    """Django's change and delete pages look an object up by the field `_to_field`
    names, and check the name only when it is not empty: `_to_field=` reached
    `Options.get_field("")`, FieldDoesNotExist, 500."""
    client.force_login(world.admin.user)
    url = reverse(f"admin:accounts_department_{view}", args=[world.support.pk])

    if where == "query":
        response = client.get(url + "?_to_field=")
    else:
        response = client.post(url, {"_to_field": "", "name": "Renamed"})

    assert response.status_code == 400
    world.support.refresh_from_db()
    assert world.support.name == "Support"


def test_the_admin_still_takes_a_to_field_that_names_a_field(client: Client, world: World) -> None:
    client.force_login(world.admin.user)
    url = reverse("admin:accounts_department_change", args=[world.support.pk])

    response = client.get(url + "?_to_field=id&_popup=1")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/desk/tickets/%00/",
        "/desk/tickets/a%00b/files/1/",
        "/desk/tickets/%00/reply/",
        "/tickets/%00/",
        "/tickets/a%00b/reply/",
        "/tickets/%00/files/1/",
        "/desk/tickets/1.0/",
        "/tickets/1%202/",
    ],
)
def test_a_ticket_number_of_no_ticket_shape_is_not_found_before_any_query(
    client: Client, world: World, path: str
) -> None:
    """A NUL byte in a ticket number reached the ticket query, which PostgreSQL
    refuses (DataError, 500); now the URL does not match a ticket page at all."""
    person = world.admin.user if path.startswith("/desk/") else world.customer.user
    assert person is not None
    client.force_login(person)

    with pytest.raises(Resolver404):
        resolve(unquote(path))
    assert client.get(path).status_code in (404, 405)
    assert client.post(path).status_code in (404, 405)


@pytest.mark.parametrize("number", ["9" * 25, "\u0661\u0662", "\u00b2"])
def test_the_go_to_ticket_box_takes_any_run_of_digits(
    client: Client, world: World, number: str
) -> None:
    """The old box (/desk/go/) now searches: any run of digits (`str.isdigit`) is
    a search that finds no ticket, answered with a page, never an error."""
    client.force_login(world.agent.user)

    response = client.get(reverse("desk:jump"), {"number": number}, follow=True)

    assert response.status_code == 200
    assert "No ticket you can see matches this search." in response.content.decode()


@pytest.mark.parametrize("number", ["1" * 21, "9" * 30])
def test_a_ticket_number_longer_than_any_is_not_found(
    client: Client, world: World, number: str
) -> None:
    """Numbers are at most 20 characters; a longer one is refused before the query."""
    client.force_login(world.admin.user)

    assert client.get(f"/desk/tickets/{number}/").status_code == 404
    assert client.get(f"/desk/tickets/{number}/files/1/").status_code == 404
    assert client.post(f"/desk/tickets/{number}/note/", {"body": "x"}).status_code == 404


@pytest.mark.parametrize("file_id", ["9" * 25, str(2**63), str(10**40)])
def test_a_file_id_past_64_bits_is_not_found(client: Client, scene: Scene, file_id: str) -> None:
    """An id the database cannot hold (SQLite: OverflowError; PostgreSQL: bigint
    out of range) is no file, on the desk, the portal and a signed link."""
    number = scene.support.number
    ken, ada = scene.user("customer"), scene.user("admin")
    assert ken is not None and ada is not None

    signed = client.get(f"/t/{scene.link}/files/{file_id}/")
    client.force_login(ken)
    portal = client.get(f"/tickets/{number}/files/{file_id}/")
    client.force_login(ada)
    desk = client.get(f"/desk/tickets/{number}/files/{file_id}/")

    assert (desk.status_code, portal.status_code, signed.status_code) == (404, 404, 404)
