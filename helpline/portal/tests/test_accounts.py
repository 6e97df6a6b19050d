"""Customer accounts: registering, signing in and out, and the list of one's tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from helpline.accounts.customers import find_or_create_customer
from helpline.accounts.models import Customer, User
from helpline.accounts.tests.mailbox import (
    CONFIRM,
    RESET,
    database_work,
    last_link,
    mails_to,
    page_as_seen,
    run_account_tasks,
)
from helpline.conftest import PASSWORD, World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.tickets import lifecycle


def registration(**overrides: str) -> dict[str, str]:
    """What a visitor posts to /register/: an address (anything else is ignored)."""
    data = {"email": "nina@example.net"}
    data.update(overrides)
    return data


def finish_account(client: Client, link: str, password: str, name: str = "Nina New") -> Any:
    """Follow the link in the confirmation mail and choose the password, as the
    owner of the mailbox does. Returns the answer to the form."""
    response = client.get(link)
    # The token leaves the URL (so no Referer carries it) and signs nobody in.
    assert response.status_code == 302, "the link must lead to choosing a password"
    assert response["Location"].endswith("/set-password/")
    assert "_auth_user_id" not in client.session
    form = client.get(response["Location"])
    assert form.status_code == 200
    return client.post(
        response["Location"],
        {"name": name, "new_password1": password, "new_password2": password},
    )


def signs_in(email: str, password: str) -> bool:
    other = Client()
    other.post("/login/", {"email": email, "password": password})
    return "_auth_user_id" in other.session


def test_a_new_customer_registers_confirms_by_mail_chooses_a_password_and_signs_in(
    client: Client, world: World
) -> None:
    response = client.post("/register/", registration())

    assert response.status_code == 200
    assert "We sent a link to" in response.content.decode()
    assert not User.objects.filter(username="nina@example.net").exists()  # the worker's job
    assert run_account_tasks() == 1
    user = User.objects.get(username="nina@example.net")
    assert not user.is_active and not user.has_usable_password()
    assert client.get("/my/").status_code == 302  # not signed in
    queued = OutboundMessage.objects.get(kind=MailKind.ACCOUNT_CONFIRMATION)
    assert queued.ticket is None and queued.to == ["nina@example.net"]
    link = last_link("nina@example.net", CONFIRM)

    done = finish_account(client, link, PASSWORD)

    assert done.status_code == 302 and done["Location"] == "/login/"
    assert "_auth_user_id" not in client.session  # confirmed, not signed in
    user.refresh_from_db()
    customer = Customer.objects.get(email="nina@example.net")
    assert user.is_active and customer.user == user and customer.name == "Nina New"
    assert "Sign in with your new password" in client.get("/login/").content.decode()
    client.post("/login/", {"email": "nina@example.net", "password": PASSWORD})
    assert "Nina New" in client.get("/my/").content.decode()
    # The link is spent: it leads nowhere now.
    assert Client().get(link).status_code == 404


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_the_confirmation_mail_goes_out_through_the_worker(world: World) -> None:
    Client().post("/register/", registration())

    bodies = mails_to("nina@example.net", CONFIRM, worker=True)

    assert len(bodies) == 1 and "/register/confirm/" in bodies[0]
    sent = OutboundMessage.objects.get(kind=MailKind.ACCOUNT_CONFIRMATION)
    assert sent.status == "sent" and sent.message_id.startswith("<hl.0000.c")


def test_a_guest_who_registers_finds_their_earlier_tickets_once_confirmed(
    client: Client, world: World
) -> None:
    guest = find_or_create_customer(name="Nina New", email="nina@example.net")
    ticket = lifecycle.open_ticket(
        lifecycle.NewTicket(
            customer=guest, subject="Earlier problem", body_html="x", topic=world.topic
        ),
        actor=guest,
    )

    client.post("/register/", registration(email="Nina@Example.NET"))
    guest.refresh_from_db()
    assert guest.user is None  # nothing is linked before the address is proven
    finish_account(client, last_link("nina@example.net", CONFIRM), PASSWORD)
    client.post("/login/", {"email": "nina@example.net", "password": PASSWORD})

    guest.refresh_from_db()
    assert guest.user == User.objects.get(username__iexact="nina@example.net")
    assert Customer.objects.filter(email__iexact="nina@example.net").count() == 1
    html = client.get("/my/").content.decode()
    assert "Earlier problem" in html and ticket.number in html


def test_a_forged_or_expired_confirmation_link_is_refused(client: Client, world: World) -> None:
    client.post("/register/", registration())
    link = last_link("nina@example.net", CONFIRM)
    user = User.objects.get(username="nina@example.net")

    assert client.get(link[:-3] + "xx/").status_code == 404
    assert client.get(link.replace(link.split("/")[3], "MTIzNDU")).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert client.get(link).status_code == 404
    user.refresh_from_db()
    assert not user.is_active


# --- account pre-hijacking (issue 9, must fix 3) -------------------------------------

VICTIM = "victim@example.net"
ATTACKER_PASSWORD = "Mallory-Knows-This-1"
VICTIM_PASSWORD = "Victim-Chose-This-2"


@pytest.mark.django_db(transaction=True)  # the mail is read as sent by the worker
def test_an_attacker_who_registers_a_victims_address_first_never_learns_the_password(
    world: World,
) -> None:
    attacker, victim = Client(), Client()
    attacker.post(
        "/register/",
        registration(
            name="Mallory", email=VICTIM, password1=ATTACKER_PASSWORD, password2=ATTACKER_PASSWORD
        ),
    )
    # The victim finds the mail in their inbox and follows it.
    link = last_link(VICTIM, CONFIRM, worker=True)

    finish_account(victim, link, VICTIM_PASSWORD, name="Victor Victim")

    assert not signs_in(VICTIM, ATTACKER_PASSWORD)
    assert signs_in(VICTIM, VICTIM_PASSWORD)
    owner = Customer.objects.get(email=VICTIM).user
    assert owner is not None and owner.get_full_name() == "Victor Victim"


@pytest.mark.django_db(transaction=True)  # the mail is read as sent by the worker
def test_an_attacker_who_registers_a_pending_address_second_never_learns_the_password(
    world: World,
) -> None:
    attacker, victim = Client(), Client()
    victim.post(
        "/register/",
        registration(email=VICTIM, password1=VICTIM_PASSWORD, password2=VICTIM_PASSWORD),
    )
    link = last_link(VICTIM, CONFIRM, worker=True)
    attacker.post(
        "/register/",
        registration(
            name="Mallory", email=VICTIM, password1=ATTACKER_PASSWORD, password2=ATTACKER_PASSWORD
        ),
    )

    finish_account(victim, link, VICTIM_PASSWORD)  # the first link, from before

    assert not signs_in(VICTIM, ATTACKER_PASSWORD)
    assert signs_in(VICTIM, VICTIM_PASSWORD)


def test_registering_a_pending_address_again_changes_nothing_and_mails_another_link(
    client: Client, world: World
) -> None:
    client.post("/register/", registration())
    run_account_tasks()
    before = User.objects.values().get(username="nina@example.net")

    second = Client().post("/register/", registration(name="Mallory"))

    assert "We sent a link to" in second.content.decode()
    assert User.objects.values().get(username="nina@example.net") == before
    assert len(mails_to("nina@example.net", CONFIRM)) == 2


def test_a_used_confirmation_link_and_its_siblings_are_spent(client: Client, world: World) -> None:
    client.post("/register/", registration())
    first = last_link("nina@example.net", CONFIRM)
    client.post("/register/", registration())
    second = last_link("nina@example.net", CONFIRM)

    finish_account(client, second, PASSWORD)

    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 404


# --- registering tells nothing -------------------------------------------------------


def test_registering_an_address_that_has_an_account_looks_the_same_and_mails_its_owner(
    client: Client, world: World
) -> None:
    new = Client().post("/register/", registration(email="nobody@example.net"))
    taken = client.post("/register/", registration(email="KEN@example.com"))

    assert taken.status_code == new.status_code == 200
    assert page_as_seen(taken, "KEN@example.com") == page_as_seen(new, "nobody@example.net")
    assert User.objects.filter(username__iexact="ken@example.com").count() == 1
    # Ken, and only Ken, hears about it: a link to choose a new password.
    assert last_link("ken@example.com", RESET).startswith("/password/reset/")
    assert mails_to("ken@example.com", CONFIRM) == []


def test_the_confirmation_mail_carries_nothing_anybody_typed(client: Client, world: World) -> None:
    """Registration mails any address it is given, so nothing typed on the form
    may ride along: a name there went into the greeting and the To line, which
    made the form a relay for a stranger's text (a phishing lure in our mail)."""
    lure = "Your account is locked, call +1 555 0100 at once"
    client.post("/register/", registration(name=lure))

    [body] = mails_to("nina@example.net", CONFIRM)

    queued = OutboundMessage.objects.get(kind=MailKind.ACCOUNT_CONFIRMATION)
    assert queued.to == ["nina@example.net"]
    assert body.startswith("Hello nina@example.net,")
    assert lure not in body + queued.html + queued.subject
    assert "Nina" not in User.objects.get(username="nina@example.net").get_full_name()


@pytest.mark.parametrize("taken", ["ken@example.com", "pending@example.net"])
def test_registering_does_the_same_work_whether_or_not_the_address_is_known(
    world: World, taken: str
) -> None:
    """The page is the same either way, and so is what the request does: it
    queues one task holding the address; the worker looks it up."""
    Client().post("/register/", registration(email="pending@example.net"))
    run_account_tasks()

    works = [database_work("/register/", registration(email=e)) for e in (taken, "new@x.org")]

    assert works[0] == works[1]
    assert [q for q in works[0] if q.startswith("INSERT")] == [
        next(q for q in works[0] if q.startswith('INSERT INTO "django_tasks_database'))
    ]
    assert not [q for q in works[0] if '"accounts_user"' in q or '"accounts_customer"' in q]


def test_registering_keeps_what_was_typed_when_the_form_is_wrong(
    client: Client, world: World
) -> None:
    response = client.post("/register/", registration(email="not-an-address"))

    html = response.content.decode()
    assert "Enter a valid email address." in html and 'value="not-an-address"' in html
    assert not User.objects.filter(username="not-an-address").exists()


def test_finishing_an_account_needs_the_same_good_password_twice(
    client: Client, world: World
) -> None:
    client.post("/register/", registration())
    link = last_link("nina@example.net", CONFIRM)
    form_url = client.get(link)["Location"]

    mismatch = client.post(
        form_url,
        {"name": "Nina New", "new_password1": PASSWORD, "new_password2": "something else"},
    )
    weak = client.post(
        form_url, {"name": "Nina New", "new_password1": "12345678", "new_password2": "12345678"}
    )

    assert "The two password fields didn\u2019t match." in mismatch.content.decode()
    assert "This password is entirely numeric." in weak.content.decode()
    assert not User.objects.get(username="nina@example.net").is_active


def test_mail_to_one_address_is_bounded_however_often_it_is_registered(
    client: Client, world: World, settings: Any
) -> None:
    settings.HELPLINE_ACCOUNT_MAIL_PER_MAILBOX = "3/h"
    for n in range(5):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post("/register/", registration())

    assert len(mails_to("nina@example.net", CONFIRM)) == 3


def test_a_customer_signs_in_and_out(client: Client, world: World) -> None:
    response = client.post("/login/", {"email": "ken@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/my/"
    home = client.get("/").content.decode()
    assert "My tickets" in home and "Sign out" in home

    response = client.post("/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert "Sign in" in client.get("/").content.decode()


def test_signing_in_ignores_the_case_of_the_address(client: Client, world: World) -> None:
    response = client.post("/login/", {"email": "Ken@EXAMPLE.com", "password": PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.customer.user_id


def test_a_wrong_password_is_refused_with_a_message(client: Client, world: World) -> None:
    response = client.post("/login/", {"email": "ken@example.com", "password": "nope"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "That email address and password do not match." in html
    assert 'value="ken@example.com"' in html
    assert "_auth_user_id" not in client.session


def test_a_staff_account_cannot_sign_in_on_the_portal(client: Client, world: World) -> None:
    response = client.post("/login/", {"email": "alice.agent", "password": PASSWORD})
    assert "Enter a valid email address." in response.content.decode()

    world.agent.user.username = "alice@example.com"
    world.agent.user.save()
    response = client.post("/login/", {"email": "alice@example.com", "password": PASSWORD})

    assert "This is a staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_too_many_failed_sign_ins_lock_the_account(
    client: Client, world: World, settings: Any
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"email": "ken@example.com", "password": "wrong"})

    response = client.post("/login/", {"email": "ken@example.com", "password": PASSWORD})

    assert response.status_code in {403, 429}
    assert "Signing in is paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_follows_next_only_within_the_site(client: Client, world: World) -> None:
    credentials = {"email": "ken@example.com", "password": PASSWORD}

    inside = client.post("/login/", {**credentials, "next": "/open/"})
    client.post("/logout/")
    outside = client.post("/login/", {**credentials, "next": "https://evil.example/"})

    assert inside["Location"] == "/open/"
    assert outside["Location"] == "/my/"


def test_my_tickets_needs_sign_in(client: Client, world: World) -> None:
    response = client.get("/my/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/my/"


def test_my_tickets_lists_only_own_tickets_newest_first(client: Client, world: World) -> None:
    first = world.open("First problem")
    second = world.open("Second problem")
    lifecycle.resolve(second, actor=world.admin, explanation_html="<p>Done.</p>")
    world.open("Olive's problem", actor=world.outsider, customer=world.outsider)
    assert world.customer.user is not None
    client.force_login(world.customer.user)

    response = client.get("/my/")

    html = response.content.decode()
    assert "Olive's problem" not in html
    assert html.index("Second problem") < html.index("First problem")
    assert f'href="/tickets/{first.number}/"' in html
    assert '<span class="badge badge-resolved">Resolved</span>' in html
    assert '<span class="badge badge-open">Open</span>' in html


def test_my_tickets_is_paginated_with_a_fixed_number_of_queries(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(21):
        world.open(f"Problem {n}")
    assert world.customer.user is not None
    client.force_login(world.customer.user)

    with django_assert_max_num_queries(8):
        first = client.get("/my/").content.decode()
    second = client.get("/my/?page=2").content.decode()

    assert "Problem 20" in first and "Problem 1<" in first and "Problem 0<" not in first
    assert "Problem 0<" in second
    assert "Page 2 of 2" in second
