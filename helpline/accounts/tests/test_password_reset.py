"""Password reset for customers (portal) and agents (desk): Django's views and
token generator, the mail through the outbox, nothing told about who has an
account, and bounded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from helpline.accounts.tests.mailbox import (
    RESET,
    database_work,
    last_link,
    mails_to,
    page_as_seen,
    run_account_tasks,
)
from helpline.conftest import PASSWORD, World
from helpline.notify.models import MailKind, OutboundMessage

NEW = "Tangerine-Kettle-9381"
PORTAL = {"ask": "/password/reset/", "login": "/login/", "user": "email"}
DESK = {"ask": "/desk/password/reset/", "login": "/desk/login/", "user": "username"}


def choose(client: Client, link: str, password: str) -> Any:
    """Follow a reset link and set `password`; the answer to the form."""
    moved = client.get(link)
    assert moved.status_code == 302 and moved["Location"].endswith("/set-password/")
    form = client.get(moved["Location"])
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    return client.post(moved["Location"], {"new_password1": password, "new_password2": password})


def signs_in(where: dict[str, str], who: str, password: str) -> bool:
    client = Client()
    client.post(where["login"], {where["user"]: who, "password": password})
    return "_auth_user_id" in client.session


def test_a_customer_resets_their_password_by_mail(client: Client, world: World) -> None:
    page = client.post("/password/reset/", {"email": "KEN@example.com"})

    assert page.status_code == 302 and page["Location"] == "/password/reset/sent/"
    assert "we have mailed it a link" in client.get(page["Location"]).content.decode()
    assert not OutboundMessage.objects.exists()  # the worker looks the address up
    assert run_account_tasks() == 1
    queued = OutboundMessage.objects.get(kind=MailKind.PASSWORD_RESET)
    assert queued.ticket is None and queued.to == ["Ken Adams <ken@example.com>"]
    link = last_link("ken@example.com", RESET)
    assert link.startswith("/password/reset/")

    done = choose(client, link, NEW)

    assert done.status_code == 302 and done["Location"] == "/login/"
    assert "_auth_user_id" not in client.session  # nobody is signed in by a link
    assert "Your password is changed" in client.get("/login/").content.decode()
    assert signs_in(PORTAL, "ken@example.com", NEW)
    assert not signs_in(PORTAL, "ken@example.com", PASSWORD)
    assert Client().get(link).status_code == 404  # spent


def test_an_agent_resets_their_password_by_mail(client: Client, world: World) -> None:
    page = client.post("/desk/password/reset/", {"email": "alice.agent@example.com"})
    assert page.status_code == 302
    assert "we have mailed it a link" in client.get(page["Location"]).content.decode()
    link = last_link("alice.agent@example.com", RESET)
    assert link.startswith("/desk/password/reset/")

    done = choose(client, link, NEW)

    assert done["Location"] == "/desk/login/"
    assert signs_in(DESK, "alice.agent", NEW)
    assert not signs_in(DESK, "alice.agent", PASSWORD)


@pytest.mark.parametrize("where", [PORTAL, DESK], ids=["portal", "desk"])
def test_reloading_check_your_mail_sends_no_second_mail(
    world: World, where: dict[str, str]
) -> None:
    """POST/redirect/GET: the page that says "check your mail" is a GET of its
    own, so the browser's reload shows it again instead of posting the form."""
    email = "ken@example.com" if where is PORTAL else "alice.agent@example.com"
    client = Client()
    posted = client.post(where["ask"], {"email": email})
    sent = posted["Location"]

    pages = [client.get(sent) for _ in range(2)]

    assert posted.status_code == 302 and sent == where["ask"] + "sent/"
    for page in pages:
        assert page.status_code == 200 and "no-store" in page["Cache-Control"]
        assert "Check your mail" in page.content.decode()
        assert email in page.content.decode()
    assert run_account_tasks() == 1
    assert OutboundMessage.objects.filter(kind=MailKind.PASSWORD_RESET).count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_the_reset_mail_goes_out_through_the_worker(world: World) -> None:
    Client().post("/password/reset/", {"email": "ken@example.com"})

    [body] = mails_to("ken@example.com", RESET, worker=True)

    assert "/password/reset/" in body and "works for 1\xa0hour" in body
    sent = OutboundMessage.objects.get(kind=MailKind.PASSWORD_RESET)
    assert sent.status == "sent" and sent.message_id.startswith("<hl.0000.p")


@pytest.mark.parametrize("where", [PORTAL, DESK], ids=["portal", "desk"])
def test_asking_for_an_unknown_address_looks_the_same_and_mails_nobody(
    world: World, where: dict[str, str]
) -> None:
    known = "ken@example.com" if where is PORTAL else "alice.agent@example.com"
    # Each kind of page only knows its own people: an agent's address on the
    # portal is as unknown as a customer's on the desk.
    wrong_kind = "alice.agent@example.com" if where is PORTAL else "ken@example.com"
    answers = {}
    for email in (known, "nobody@example.com", wrong_kind):
        client = Client()
        response = client.post(where["ask"], {"email": email}, follow=True)
        answers[email] = (response.status_code, page_as_seen(response, email))

    assert len(set(answers.values())) == 1
    assert run_account_tasks() == 3
    assert [m.to for m in OutboundMessage.objects.filter(kind=MailKind.PASSWORD_RESET)] == [
        [f"{'Ken Adams' if where is PORTAL else 'Alice Agent'} <{known}>"]
    ]


@pytest.mark.parametrize("where", [PORTAL, DESK], ids=["portal", "desk"])
def test_the_request_does_the_same_work_whether_or_not_the_account_exists(
    world: World, where: dict[str, str]
) -> None:
    """The same page is not enough: looking the account up in the request made it
    measurably slower when one existed. The request only queues one task holding
    what was typed; the worker looks it up."""
    known = "ken@example.com" if where is PORTAL else "alice.agent@example.com"

    works = [database_work(where["ask"], {"email": e}) for e in (known, "nobody@example.com")]

    assert works[0] == works[1]
    queued = [q for q in works[0] if q.startswith('INSERT INTO "django_tasks_database')]
    assert len(queued) == 1
    assert not [q for q in works[0] if '"accounts_user"' in q or '"accounts_customer"' in q]
    assert run_account_tasks() == 2
    assert OutboundMessage.objects.filter(kind=MailKind.PASSWORD_RESET).count() == 1


def test_a_reset_link_expires_and_dies_with_a_sign_in(client: Client, world: World) -> None:
    client.post("/password/reset/", {"email": "ken@example.com"})
    link = last_link("ken@example.com", RESET)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert Client().get(link).status_code == 404

    assert signs_in(PORTAL, "ken@example.com", PASSWORD)  # remembered it after all

    assert Client().get(link).status_code == 404


def test_a_reset_link_of_the_desk_does_not_work_on_the_portal(client: Client, world: World) -> None:
    client.post("/desk/password/reset/", {"email": "alice.agent@example.com"})
    link = last_link("alice.agent@example.com", RESET)

    assert Client().get(link.removeprefix("/desk")).status_code == 404


def test_reset_requests_are_bounded_per_client_and_per_mailbox(world: World, settings: Any) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.HELPLINE_ACCOUNT_MAIL_PER_ADDRESS = "4/h"
    settings.HELPLINE_ACCOUNT_MAIL_PER_MAILBOX = "2/h"
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        client.post("/password/reset/", {"email": "ken@example.com"}).status_code for _ in range(5)
    ]
    others = [
        Client(REMOTE_ADDR=f"198.51.100.{n}")
        .post("/password/reset/", {"email": "ken@example.com"})
        .status_code
        for n in range(3)
    ]

    assert answers == [302, 302, 302, 302, 429]  # on to "check your mail"
    assert others == [302, 302, 302]  # the same page, but ...
    assert len(mails_to("ken@example.com", RESET)) == 2  # ... Ken's inbox got two
