"""Two-factor sign-in for agents: enrolment, the code step, recovery codes, the
gate in front of the desk and the admin, and HELPLINE_REQUIRE_2FA."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts import twofactor
from helpline.accounts.models import Agent, User
from helpline.conftest import PASSWORD, World
from helpline.tests.threads import race


def app_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the authenticator app shows (`steps_ahead` 30-second steps from now: a
    code is accepted once, so a second one in the same step must be the next)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    device = twofactor.start_enrolment(user)
    codes = twofactor.confirm_enrolment(user, app_code(device))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def password_step(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/desk/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/desk/login/code/"
    return client


def signed_in(client: Client) -> bool:
    return client.get("/desk/").status_code == 200


# --- enrolment ---------------------------------------------------------------------


def test_an_agent_sets_up_an_app_and_gets_ten_recovery_codes(client: Client, world: World) -> None:
    user = world.agent.user
    client.force_login(user)
    intro = client.get("/desk/two-factor/").content.decode()
    assert "Set up two-factor sign-in" in intro

    assert client.post("/desk/two-factor/start/")["Location"] == "/desk/two-factor/"
    page = client.get("/desk/two-factor/").content.decode()
    device = twofactor.pending_device(user)
    assert device is not None
    assert 'src="data:image/svg+xml' in page and 'alt="QR code for your authenticator app' in page
    assert twofactor.secret_text(device) in page

    made = client.post("/desk/two-factor/confirm/", {"code": app_code(device)})

    assert made.status_code == 302 and made["Location"] == "/desk/two-factor/codes/"
    done = client.get(made["Location"])
    assert done.status_code == 200
    assert done["Cache-Control"].startswith("max-age=0")  # never_cache: shown once
    codes = done.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    html = done.content.decode()
    assert all(code in html for code in codes)
    user.refresh_from_db()
    assert user.otp_enrolled
    # This session proved the app: it stays in.
    assert signed_in(client)
    assert "You have 10 unused recovery codes." in client.get("/desk/two-factor/").content.decode()


def test_a_wrong_code_does_not_turn_it_on(client: Client, world: World) -> None:
    client.force_login(world.agent.user)
    client.post("/desk/two-factor/start/")
    device = twofactor.pending_device(world.agent.user)
    assert device is not None
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"

    response = client.post("/desk/two-factor/confirm/", {"code": wrong})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    world.agent.user.refresh_from_db()
    assert not world.agent.user.otp_enrolled


# --- signing in ----------------------------------------------------------------------


def test_an_enrolled_agent_signs_in_with_password_and_code(world: World) -> None:
    device, _codes = enrol(world.agent.user)

    client = password_step("alice.agent")

    assert "_auth_user_id" not in client.session  # half-way is not signed in
    assert client.get("/desk/")["Location"].startswith("/desk/login/")
    page = client.get("/desk/login/code/")
    assert page.status_code == 200 and "Enter your code" in page.content.decode()
    done = client.post("/desk/login/code/", {"code": app_code(device, 1)})
    assert done.status_code == 302 and done["Location"] == "/desk/"
    assert signed_in(client)


# At a fixed noon: django-ratelimit's windows are fixed, and each key's window
# ends at a moment of its own (an offset from a checksum of the key, here the
# username), so a run whose 40 s crossed that moment started the count again and
# got a 400 instead of the 429. With a 15-minute window that was one run in
# twenty; with a day's window it was every run made at 05:30 UTC.
@time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), tick=True)
def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(
    world: World, settings: Any
) -> None:
    settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME = "3/d"
    device, _codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    wrong = f"{(int(app_code(device, 1)) + 1) % 1_000_000:06d}"

    start = timezone.now()
    answers = []
    for n in range(3):  # far enough apart that django-otp checks each one
        with time_machine.travel(start + timedelta(seconds=10 * n)):
            answers.append(client.post("/desk/login/code/", {"code": wrong}).status_code)
    with time_machine.travel(start + timedelta(seconds=40)):
        # The right code now, but too many wrong ones came before it.
        last = client.post("/desk/login/code/", {"code": app_code(device, 1)})

    assert answers == [400, 400, 400]
    assert last.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(world: World) -> None:
    _device, codes = enrol(world.agent.user)

    first = password_step("alice.agent")
    response = first.post("/desk/login/code/", {"code": codes[3].upper()})
    assert response.status_code == 302
    page = first.get("/desk/")
    assert page.status_code == 200 and "9 left" in page.content.decode()

    again = password_step("alice.agent")
    refused = again.post("/desk/login/code/", {"code": codes[3]})
    assert refused.status_code == 400 and "_auth_user_id" not in again.session
    assert "That recovery code is not right or has been used." in refused.content.decode()


@pytest.mark.django_db(transaction=True)  # threads need committed rows
def test_two_sign_ins_racing_with_one_recovery_code_let_in_one(world: World) -> None:
    _device, codes = enrol(world.agent.user)
    user = User.objects.get(pk=world.agent.user.pk)

    results = race(
        lambda: twofactor.verify(user, codes[0]), lambda: twofactor.verify(user, codes[0])
    )

    assert sum(r is not None and not isinstance(r, BaseException) for r in results) == 1, results


def test_the_code_step_expires_and_dies_with_a_new_password(world: World) -> None:
    device, _codes = enrol(world.agent.user)
    slow = password_step("alice.agent")
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        late = slow.post("/desk/login/code/", {"code": app_code(device, 0)})
    assert late["Location"] == "/desk/login/"

    changed = password_step("alice.agent")
    world.agent.user.set_password("Another-Secret-77")
    world.agent.user.save()
    assert changed.post("/desk/login/code/", {"code": app_code(device, 1)})["Location"] == (
        "/desk/login/"
    )
    assert "_auth_user_id" not in changed.session


def test_a_password_reset_does_not_skip_the_code(client: Client, world: World) -> None:
    enrol(world.agent.user)
    world.agent.user.set_password("Reset-By-Mail-42")
    world.agent.user.save()

    client = password_step("alice.agent", "Reset-By-Mail-42")

    assert "_auth_user_id" not in client.session


def test_an_agent_without_an_app_signs_in_with_the_password_alone(world: World) -> None:
    client = Client()
    response = client.post("/desk/login/", {"username": "alice.agent", "password": PASSWORD})
    assert response["Location"] == "/desk/" and signed_in(client)


# --- turning it off, new codes ---------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones(client: Client, world: World) -> None:
    device, old = enrol(world.agent.user)
    client = password_step("alice.agent")
    client.post("/desk/login/code/", {"code": app_code(device, 1)})

    new = client.post("/desk/two-factor/codes/", {"proof": PASSWORD}, follow=True).context["codes"]

    assert twofactor.verify(world.agent.user, old[0]) is None
    # django-otp makes each failure wait (1 s, 2 s, 4 s, ...) before the next try.
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        assert twofactor.verify(world.agent.user, new[0]) is not None


def test_an_agent_who_signed_in_with_a_recovery_code_makes_new_codes_and_stays_in(
    world: World,
) -> None:
    """The sign-in page tells an agent who used a recovery code to make new ones.
    Doing so must not delete the device that verified their session (the gate
    would then find it unverified and sign them out)."""
    _device, codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    assert client.post("/desk/login/code/", {"code": codes[0]}).status_code == 302
    assert signed_in(client)

    made = client.post("/desk/two-factor/codes/", {"proof": PASSWORD}, follow=True)

    assert made.status_code == 200 and len(made.context["codes"]) == 10
    assert signed_in(client)
    assert twofactor.recovery_codes_left(world.agent.user) == 10
    assert twofactor.verify(world.agent.user, codes[1]) is None  # the old ones are gone


def test_new_recovery_codes_need_the_password_or_a_current_app_code(world: World) -> None:
    device, old = enrol(world.agent.user)
    client = password_step("alice.agent")
    client.post("/desk/login/code/", {"code": app_code(device, 1)})

    bare = client.post("/desk/two-factor/codes/")
    wrong = client.post("/desk/two-factor/codes/", {"proof": "not my password"})
    recovery = client.post("/desk/two-factor/codes/", {"proof": old[0]})

    assert (bare.status_code, wrong.status_code, recovery.status_code) == (400, 400, 400)
    assert "neither your password nor the code" in wrong.content.decode()
    assert twofactor.recovery_codes_left(world.agent.user) == 10  # the old ones stand
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert twofactor.verify(world.agent.user, old[1]) is not None
    with time_machine.travel(timezone.now() + timedelta(seconds=70)):
        by_app = client.post("/desk/two-factor/codes/", {"proof": app_code(device, 2)})
    assert by_app.status_code == 302
    assert len(client.get("/desk/two-factor/codes/").context["codes"]) == 10


def test_reloading_the_new_codes_page_shows_them_once_and_makes_no_new_ones(
    world: World,
) -> None:
    device, _old = enrol(world.agent.user)
    client = password_step("alice.agent")
    client.post("/desk/login/code/", {"code": app_code(device, 1)})

    made = client.post("/desk/two-factor/codes/", {"proof": PASSWORD})
    assert made.status_code == 302 and made["Location"] == "/desk/two-factor/codes/"
    shown = client.get(made["Location"])
    codes = shown.context["codes"]
    assert all(code in shown.content.decode() for code in codes)

    reloaded = client.get(made["Location"])

    assert reloaded.status_code == 200 and "codes" not in reloaded.context
    assert not any(code in reloaded.content.decode() for code in codes)
    assert "Make new recovery codes" in reloaded.content.decode()  # the proof form
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert twofactor.verify(world.agent.user, codes[0]) is not None  # still the same


def test_the_two_factor_pages_have_one_submit_button_and_no_stray_autofocus(
    client: Client, world: World
) -> None:
    import re

    device, _codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    client.post("/desk/login/code/", {"code": app_code(device, 1)})

    def submits(path: str) -> list[str]:
        html = client.get(path).content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        assert "autofocus" not in main, path
        return re.findall(r'<button[^>]*type="submit"', main)

    assert submits("/desk/two-factor/") == []  # links to the pages below
    assert len(submits("/desk/two-factor/codes/")) == 1
    assert len(submits("/desk/two-factor/disable/")) == 1


def test_a_right_code_after_wrong_ones_is_told_to_wait_not_wrong(world: World) -> None:
    device, _codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    wrong = f"{(int(app_code(device, 1)) + 1) % 1_000_000:06d}"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.post("/desk/login/code/", {"code": wrong}).status_code == 400
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        client.post("/desk/login/code/", {"code": wrong})  # django-otp now waits 2 s

    with time_machine.travel(start + timedelta(seconds=2.5), tick=False):
        right = client.post("/desk/login/code/", {"code": app_code(device, 1)})

    assert right.status_code == 429
    html = right.content.decode()
    assert "Wait 2 seconds and try again." in html
    assert "Too many" not in html
    assert "not right" not in html
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        assert client.post("/desk/login/code/", {"code": app_code(device, 1)}).status_code == 302


def test_one_wrong_code_then_a_quick_retry_is_asked_to_wait_a_second_not_told_too_many(
    world: World,
) -> None:
    device, _codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    wrong = f"{(int(app_code(device, 1)) + 1) % 1_000_000:06d}"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.post("/desk/login/code/", {"code": wrong}).status_code == 400

    with time_machine.travel(start + timedelta(seconds=0.3), tick=False):
        retry = client.post("/desk/login/code/", {"code": app_code(device, 1)})

    assert retry.status_code == 429
    html = retry.content.decode()
    assert "Wait a second and try again." in html
    assert "Too many" not in html


def test_several_wrong_codes_in_a_row_are_called_too_many(world: World) -> None:
    device, _codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    wrong = f"{(int(app_code(device, 1)) + 1) % 1_000_000:06d}"
    start = timezone.now()
    for at in (0, 2, 5):  # each after the pause the one before made (1 s, 2 s)
        with time_machine.travel(start + timedelta(seconds=at), tick=False):
            assert client.post("/desk/login/code/", {"code": wrong}).status_code == 400

    with time_machine.travel(start + timedelta(seconds=5.5), tick=False):
        right = client.post("/desk/login/code/", {"code": app_code(device, 1)})

    assert right.status_code == 429
    assert "Too many wrong codes in a row: wait 4 seconds" in right.content.decode()


def test_a_used_recovery_code_is_called_a_used_recovery_code(world: World) -> None:
    _device, codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    assert client.post("/desk/login/code/", {"code": codes[0]}).status_code == 302

    again = client.post("/desk/two-factor/disable/", {"code": codes[0]})

    assert again.status_code == 400
    html = again.content.decode()
    assert "That recovery code is not right or has been used." in html
    assert "That code is not right." not in html
    world.agent.user.refresh_from_db()
    assert world.agent.user.otp_enrolled


def test_an_agent_turns_it_off_with_a_code(world: World) -> None:
    device, codes = enrol(world.agent.user)
    client = password_step("alice.agent")
    client.post("/desk/login/code/", {"code": app_code(device, 1)})

    wrong = client.post("/desk/two-factor/disable/", {"code": "000000"})
    off = client.post("/desk/two-factor/disable/", {"code": codes[0]})

    assert wrong.status_code == 400
    assert off.status_code == 302
    world.agent.user.refresh_from_db()
    assert not world.agent.user.otp_enrolled
    assert not TOTPDevice.objects.filter(user=world.agent.user).exists()
    assert Client().post("/desk/login/", {"username": "alice.agent", "password": PASSWORD})[
        "Location"
    ] == ("/desk/")


# --- the gate: no way around the code --------------------------------------------


def test_a_session_signed_in_without_the_code_is_turned_away_from_desk_and_admin(
    world: World,
) -> None:
    enrol(world.admin.user)
    for path in ("/desk/", "/desk/reports/", "/admin/", "/admin/notify/outboundmessage/"):
        client = Client()
        client.force_login(world.admin.user)  # as another sign-in path would

        response = client.get(path)

        assert response.status_code == 302, path
        assert response["Location"].startswith("/desk/login/?next="), path
        assert "_auth_user_id" not in client.session, path


def test_the_admin_has_no_sign_in_of_its_own(client: Client, world: World) -> None:
    response = client.get("/admin/login/?next=/admin/accounts/agent/")
    assert response.status_code == 302
    assert response["Location"] == "/desk/login/?next=/admin/accounts/agent/"

    posted = client.post(
        "/admin/login/", {"username": "ada.admin", "password": PASSWORD, "next": "/admin/"}
    )
    assert posted.status_code == 302 and "_auth_user_id" not in client.session


def test_the_admin_checks_the_second_factor_itself(rf: Any, world: World) -> None:
    from django.contrib import admin

    enrol(world.admin.user)
    request = rf.get("/admin/")
    request.user = User.objects.get(pk=world.admin.user.pk)
    request.user.is_verified = lambda: False

    assert not admin.site.has_permission(request)
    request.user.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_the_portal_does_not_sign_in_an_agent_who_is_also_a_customer(
    client: Client, world: World
) -> None:
    enrol(world.agent.user)
    world.customer.user = world.agent.user
    world.customer.save()
    world.agent.user.username = "alice@example.com"
    world.agent.user.save()

    response = client.post("/login/", {"email": world.customer.email, "password": PASSWORD})

    assert "This is a staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("kind", ["superuser", "staff"])
def test_the_portal_does_not_sign_in_a_staff_login_without_an_agent_row(
    client: Client, world: World, kind: str
) -> None:
    """A staff or superuser login with no Agent row (`manage.py createsuperuser`)
    that a customer row points at: the portal must not sign it in, or the admin
    would open without the desk's two-factor step."""
    if kind == "superuser":
        boss = User.objects.create_superuser("root@example.com", "root@example.com", PASSWORD)
    else:
        boss = User.objects.create_user(
            "root@example.com", "root@example.com", PASSWORD, is_staff=True
        )
    world.customer.user = boss
    world.customer.save()

    response = client.post("/login/", {"email": world.customer.email, "password": PASSWORD})

    assert "This is a staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_deleting_an_agents_app_in_the_admin_turns_it_off(world: World) -> None:
    device, _codes = enrol(world.agent.user)

    TOTPDevice.objects.get(pk=device.pk).delete()

    world.agent.user.refresh_from_db()
    assert not world.agent.user.otp_enrolled


# --- HELPLINE_REQUIRE_2FA ----------------------------------------------------------


@pytest.fixture
def required(settings: Any) -> None:
    settings.HELPLINE_REQUIRE_2FA = True


def test_an_administrator_must_enrol_before_using_the_desk_or_the_admin(
    world: World, required: None
) -> None:
    client = Client()
    client.post("/desk/login/", {"username": "ada.admin", "password": PASSWORD})

    for path in ("/desk/", "/desk/tickets/new/", "/desk/reports/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/desk/two-factor/", path
    page = client.get("/desk/two-factor/").content.decode()
    assert "Administrators must set up two-factor sign-in" in page

    client.post("/desk/two-factor/start/")
    device = twofactor.pending_device(world.admin.user)
    assert device is not None
    client.post("/desk/two-factor/confirm/", {"code": app_code(device)})

    assert signed_in(client)
    assert client.get("/admin/").status_code == 200
    refused = client.post("/desk/two-factor/disable/", {"code": app_code(device, 1)})
    assert refused.status_code == 302
    assert Agent.objects.get(pk=world.admin.pk).user.otp_enrolled


def test_other_agents_are_not_forced_to_enrol(world: World, required: None) -> None:
    client = Client()
    client.post("/desk/login/", {"username": "alice.agent", "password": PASSWORD})
    assert signed_in(client)
