"""After signing in, a `next` that is a form's address (POST only) sends to a
page instead: the ticket's for a ticket's action, else the side's home; never
to a 405."""

from __future__ import annotations

from django.test import Client
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.tests.test_twofactor import app_code, enrol
from helpline.conftest import PASSWORD, World
from helpline.desk.views import auth, ticket
from helpline.lib.landing import opens_with_get


def _desk_sign_in(client: Client, next_url: str) -> str:
    form = client.get("/desk/login/", {"next": next_url}).content.decode()
    response = client.post(
        "/desk/login/", {"username": "alice.agent", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    return form + "\n" + response["Location"]


def test_a_reply_address_as_next_lands_on_the_ticket_after_signing_in(
    client: Client, world: World
) -> None:
    number = world.open().number
    # The agent's session ended; "Send reply" sent them to the sign-in.
    sent = client.post(f"/desk/tickets/{number}/reply/", {"body": "Fixed."})
    assert sent["Location"] == f"/desk/login/?next=/desk/tickets/{number}/reply/"

    page_and_location = _desk_sign_in(client, f"/desk/tickets/{number}/reply/")

    location = page_and_location.rsplit("\n", 1)[1]
    assert location == f"/desk/tickets/{number}/"
    assert f'name="next" value="/desk/tickets/{number}/"' in page_and_location
    assert client.get(location).status_code == 200


def test_other_post_only_addresses_land_on_the_desk_and_pages_stay(
    client: Client, world: World
) -> None:
    for target, landed in [
        ("/desk/two-factor/start/", "/desk/"),
        ("/desk/logout/", "/desk/"),
        ("/desk/two-factor/", "/desk/two-factor/"),
        ("/desk/tickets/123456/", "/desk/tickets/123456/"),
        ("/desk/queues/mine/?page=2", "/desk/queues/mine/?page=2"),
        ("/desk/no-such-page/", "/desk/no-such-page/"),
    ]:
        client.logout()
        assert _desk_sign_in(client, target).rsplit("\n", 1)[1] == landed, target


def test_the_code_step_lands_on_the_ticket_too(client: Client, world: World) -> None:
    number = world.open().number
    device, _codes = enrol(world.agent.user)

    response = client.post(
        "/desk/login/",
        {"username": "alice.agent", "password": PASSWORD, "next": f"/desk/tickets/{number}/note/"},
    )
    assert response["Location"] == "/desk/login/code/"
    response = client.post("/desk/login/code/", {"code": app_code(device, 1)})

    assert response.status_code == 302 and response["Location"] == f"/desk/tickets/{number}/"


def test_a_portal_reply_address_as_next_lands_on_the_ticket(client: Client, world: World) -> None:
    number = world.open().number

    response = client.post(
        "/login/",
        {"email": "ken@example.com", "password": PASSWORD, "next": f"/tickets/{number}/reply/"},
    )

    assert response.status_code == 302 and response["Location"] == f"/tickets/{number}/"


def test_the_methods_are_read_from_djangos_decorators() -> None:
    def view(request: object) -> None: ...

    assert opens_with_get(view)
    assert opens_with_get(require_GET(view))
    assert not opens_with_get(require_POST(view))
    assert opens_with_get(require_http_methods(["GET", "POST"])(view))
    assert not opens_with_get(ticket.ticket_action)  # under @agent_required
    assert opens_with_get(ticket.ticket_view)
    assert opens_with_get(auth.ResetRequestView.as_view())
