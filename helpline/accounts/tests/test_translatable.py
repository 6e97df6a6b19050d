"""The sign-in, registration and held-mail texts go through Django's translation
machinery (issue 9 review, finding 13). Checked by rendering the real pages with a
pseudo-translation that marks every string it is asked for: a text that shows up
unmarked was never offered to a translator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from helpline.accounts.models import User
from helpline.conftest import PASSWORD, World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import Mailbox
from helpline.intake.tests.helpers import mail
from helpline.notify.models import MailKind
from helpline.tickets.models import EventKind, HeldReply


def marked(text: str) -> str:
    return f"⟦{text}⟧"


@pytest.fixture
def pseudo() -> Iterator[None]:
    """Every gettext call answers its message marked ⟦…⟧ (placeholders kept)."""
    real = translation._trans.gettext  # type: ignore[attr-defined]
    translation._trans.gettext = marked  # type: ignore[attr-defined]
    try:
        yield
    finally:
        translation._trans.gettext = real  # type: ignore[attr-defined]


def test_the_sign_in_and_registration_pages_are_translatable(world: World, pseudo: None) -> None:
    portal = Client().get("/login/").content.decode()
    register = Client().get("/register/").content.decode()
    desk = Client().get("/desk/login/").content.decode()
    wrong = Client().post("/login/", {"email": "ken@example.com", "password": "no"})
    wrong_desk = Client().post("/desk/login/", {"username": "alice.agent", "password": "no"})
    world.agent.user.username = "alice@example.com"
    world.agent.user.save()
    world.customer.user = world.agent.user
    world.customer.save()
    staff = Client().post("/login/", {"email": "ken@example.com", "password": PASSWORD})

    for text in ["Sign in", "No account yet?", "Register", "Email address", "Password"]:
        assert marked(text) in portal, text
    for text in ["Create an account", "Email address", "Create account", "Already registered?"]:
        assert marked(text) in register, text
    for text in ["Agent sign in", "Username", "Password", "Sign in"]:
        assert marked(text) in desk, text
    assert marked("That email address and password do not match.") in wrong.content.decode()
    assert (
        marked("That username and password do not match an active agent.")
        in wrong_desk.content.decode()
    )
    assert marked("This is a staff account: sign in on the agent desk instead.") in (
        staff.content.decode()
    )


def test_the_new_labels_and_the_held_mail_details_are_translatable(
    world: World, pseudo: None
) -> None:
    assert str(EventKind.HELD.label) == marked("Mail held for review")
    assert str(EventKind.HELD_ACCEPTED.label) == marked("Held mail accepted")
    assert str(MailKind.PASSWORD_RESET.label) == marked(
        "Password reset link (to a customer or an agent)"
    )
    field = User._meta.get_field("otp_enrolled")
    assert str(field.verbose_name) == marked("two-factor login")
    box = Mailbox.objects.create(
        department=world.support,
        address="support@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
        authserv_ids="mx.helpline.test",
    )
    ticket = world.open()
    failed = b"Authentication-Results: mx.helpline.test; dmarc=fail header.from=example.com\r\n"

    ingest_message(failed + mail(subject=f"Re: [#{ticket.number}]"), mailbox=box)

    detail = HeldReply.objects.get(ticket=ticket).detail
    assert detail.startswith("⟦Authentication-Results of mx.helpline.test")


def test_the_lockout_error_and_recovery_code_pages_are_translatable(
    world: World, pseudo: None, settings: object
) -> None:
    for _ in range(5):
        Client().post("/desk/login/", {"username": "alice.agent", "password": "no"})
    locked = Client().post("/desk/login/", {"username": "alice.agent", "password": PASSWORD})
    agent = Client()
    agent.force_login(world.agent.user)
    not_allowed = agent.get("/desk/two-factor/start/").content.decode()
    admin = agent.get("/admin/login/").content.decode()

    page = locked.content.decode()
    assert locked.status_code == 429
    for text in ["Signing in is paused", "Reset your password", "Back to sign in"]:
        assert marked(text) in page, text
    assert marked("This page cannot be opened this way") in not_allowed
    assert marked("Back to the desk") in not_allowed
    assert marked("Administrators only") in admin
    assert marked("Back to the desk") in admin
