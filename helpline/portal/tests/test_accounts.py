"""Customer accounts: registering, signing in and out, and the list of one's tickets."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from helpline.accounts.customers import find_or_create_customer
from helpline.accounts.models import Customer, User
from helpline.conftest import PASSWORD, World
from helpline.portal.accounts import confirmation_token
from helpline.tickets import lifecycle


def registration(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Nina New",
        "email": "nina@example.net",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db(transaction=True)  # the worker closes its connection
def test_a_new_customer_registers_confirms_by_mail_and_is_signed_in(
    client: Client, world: World
) -> None:
    response = client.post("/register/", registration())

    assert response.status_code == 200
    assert "We sent a link to" in response.content.decode()
    user = User.objects.get(username="nina@example.net")
    assert not user.is_active and user.check_password(PASSWORD)
    assert client.get("/my/").status_code == 302  # not signed in yet
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    sent = [m for m in mail.outbox if m.to == ["nina@example.net"]]
    assert len(sent) == 1
    link = re.search(r"http://testserver(/register/confirm/[^/\s]+/)", str(sent[0].body))
    assert link is not None

    response = client.get(link.group(1))

    assert response.status_code == 302 and response["Location"] == "/my/"
    user.refresh_from_db()
    customer = Customer.objects.get(email="nina@example.net")
    assert user.is_active and customer.user == user and customer.name == "Nina New"
    page = client.get("/my/").content.decode()
    assert "Your address is confirmed" in page and "Nina New" in page
    # The link is spent: following it again signs nobody in.
    other = Client()
    assert other.get(link.group(1))["Location"] == "/login/"
    assert other.get("/my/").status_code == 302


def test_a_guest_who_registers_finds_their_earlier_tickets_once_confirmed(
    client: Client, world: World
) -> None:
    guest = find_or_create_customer(name="Nina New", email="nina@example.net")
    ticket = lifecycle.open_ticket(
        actor=guest, customer=guest, subject="Earlier problem", body_html="x", topic=world.topic
    )

    client.post("/register/", registration(email="Nina@Example.NET"))
    guest.refresh_from_db()
    assert guest.user is None  # nothing is linked before the address is proven
    user = User.objects.get(username__iexact="nina@example.net")
    client.get(f"/register/confirm/{confirmation_token(user)}/")

    guest.refresh_from_db()
    assert guest.user == user
    assert Customer.objects.filter(email__iexact="nina@example.net").count() == 1
    html = client.get("/my/").content.decode()
    assert "Earlier problem" in html and ticket.number in html


def test_a_forged_or_expired_confirmation_link_is_refused(client: Client, world: World) -> None:
    client.post("/register/", registration())
    user = User.objects.get(username="nina@example.net")
    token = confirmation_token(user)

    assert client.get(f"/register/confirm/{token[:-2]}xx/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert client.get(f"/register/confirm/{token}/").status_code == 404
    user.refresh_from_db()
    assert not user.is_active


NEW = "Tangerine-Kettle-9381"


def test_registering_again_before_confirming_sends_a_new_link_for_the_new_password(
    client: Client, world: World
) -> None:
    client.post("/register/", registration())
    second = client.post("/register/", registration(password1=NEW, password2=NEW))
    assert "We sent a link to" in second.content.decode()

    users = User.objects.filter(username__iexact="nina@example.net")
    assert users.count() == 1
    assert users.get().check_password(NEW)


def test_registering_an_address_that_has_an_account_is_refused(
    client: Client, world: World
) -> None:
    response = client.post("/register/", registration(email="KEN@example.com"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "An account with this email address exists already. Sign in instead." in html
    assert 'value="Nina New"' in html
    assert User.objects.filter(username__iexact="ken@example.com").count() == 1


def test_registering_needs_the_same_good_password_twice(client: Client, world: World) -> None:
    mismatch = client.post("/register/", registration(password2="something else entirely"))
    weak = client.post("/register/", registration(password1="12345678", password2="12345678"))

    assert "The two passwords are not the same." in mismatch.content.decode()
    assert "This password is entirely numeric." in weak.content.decode()
    assert not User.objects.filter(username="nina@example.net").exists()


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
    assert "Too many failed" in response.content.decode()
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
