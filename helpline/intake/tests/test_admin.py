"""What administrators do: configure mailboxes (passwords encrypted), look at
quarantine, retry or discard a message, read the ledger."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from helpline.accounts.models import Department
from helpline.conftest import World
from helpline.intake import admin as intake_admin
from helpline.intake import crypto
from helpline.intake.fetch import PollResult
from helpline.intake.ingest import discard_quarantined, ingest_message, retry_quarantined
from helpline.intake.models import (
    LedgerOutcome,
    Mailbox,
    MailboxError,
    ProcessedMessage,
    QuarantinedMessage,
)
from helpline.intake.tests.helpers import mail
from helpline.tickets.models import Ticket


@pytest.fixture
def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin.user)
    return client


# --- passwords ----------------------------------------------------------------------------


def test_a_mailbox_password_is_stored_encrypted(world: World) -> None:
    mailbox = Mailbox(department=world.support, address="a@helpline.test")
    mailbox.set_password("hunter2 ünïcode")
    mailbox.save()

    stored = Mailbox.objects.get().password_encrypted
    assert "hunter2" not in stored
    assert Mailbox.objects.get().get_password() == "hunter2 ünïcode"


def test_the_key_is_derived_from_the_secret_key_as_documented() -> None:
    import base64

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    with override_settings(SECRET_KEY="s3cret-key-for-the-test-0123456789-abcdefghij"):
        token = crypto.encrypt("pw")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"helpline.intake.mailbox-password",
        info=b"fernet-key-v1",
    )
    key = base64.urlsafe_b64encode(hkdf.derive(b"s3cret-key-for-the-test-0123456789-abcdefghij"))
    assert Fernet(key).decrypt(token.encode()) == b"pw"


def test_passwords_survive_a_key_rotation_with_fallbacks(world: World) -> None:
    token = crypto.encrypt("pw")
    with override_settings(SECRET_KEY="a-new-secret-key-0123456789-abcdefghijklmnop"):
        assert crypto.decrypt(token) is None
        mailbox = Mailbox(department=world.support, address="a@x.test", password_encrypted=token)
        with pytest.raises(MailboxError, match="cannot be decrypted"):
            mailbox.get_password()
    from django.conf import settings

    old = settings.SECRET_KEY
    with override_settings(SECRET_KEY="a-new-secret-key-0123456789-abcdefghijklmnop",
                           SECRET_KEY_FALLBACKS=[old]):  # fmt: skip
        assert crypto.decrypt(token) == "pw"


def test_a_password_can_come_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = Mailbox(department=world.support, address="a@x.test", password_env="HL_TEST_PW")
    mailbox.set_password("stored")
    with pytest.raises(MailboxError, match="HL_TEST_PW is not set"):
        mailbox.get_password()
    monkeypatch.setenv("HL_TEST_PW", "from-env")
    assert mailbox.get_password() == "from-env"


def test_a_fetched_mailbox_needs_a_server_and_pop3_cannot_archive(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        Mailbox(
            department=world.support,
            address="a@x.test",
            protocol=Mailbox.Protocol.POP3,
            after_import=Mailbox.AfterImport.ARCHIVE,
        ).full_clean()
    assert {"host", "username", "after_import"} <= set(error.value.message_dict)
    Mailbox(department=world.support, address="b@x.test", protocol="pipe").full_clean()


def test_the_admin_form_encrypts_a_new_password_and_keeps_it_when_left_empty(
    world: World, admin_client: Client
) -> None:
    data = {
        "address": "support@helpline.test",
        "department": world.support.pk,
        "is_active": "on",
        "protocol": "imap",
        "host": "imap.example.com",
        "security": "ssl",
        "username": "support",
        "password": "s3cret",
        "folder": "INBOX",
        "after_import": "archive",
        "archive_folder": "Archive",
        "poll_interval": "120",
    }
    response = admin_client.post(reverse("admin:intake_mailbox_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert mailbox.get_password() == "s3cret"

    data["password"] = ""
    admin_client.post(reverse("admin:intake_mailbox_change", args=[mailbox.pk]), data)
    assert Mailbox.objects.get().get_password() == "s3cret"
    page = admin_client.get(reverse("admin:intake_mailbox_change", args=[mailbox.pk]))
    assert "s3cret" not in page.content.decode()


def said(response: object) -> list[str]:
    """The messages an admin action left for the next page."""
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "support@helpline.test: 4 messages imported (New ticket: 3, Reply: 1)."),
        ("de", "support@helpline.test: 4 Nachrichten importiert (Neues Ticket: 3, Antwort: 1)."),
    ],
)
def test_polling_now_says_what_came_in_with_the_ledgers_labels_in_the_admins_language(
    world: World,
    admin_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    expected: str,
) -> None:
    mailbox = Mailbox.objects.create(
        department=world.support, address="support@helpline.test", host="imap.example.com"
    )
    outcomes = Counter[str]({"reply": 1, "ticket": 3})  # as ingest counts them
    monkeypatch.setattr(intake_admin, "poll_mailbox", lambda m: PollResult(m, outcomes))

    response = admin_client.post(
        reverse("admin:intake_mailbox_changelist"),
        {"action": "poll_now", "_selected_action": [mailbox.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert said(response) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "no new mail"), ("de", "keine neuen E-Mails")]
)
def test_polling_an_empty_mailbox_says_so_in_the_admins_language(
    world: World,
    admin_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    expected: str,
) -> None:
    mailbox = Mailbox.objects.create(department=world.support, address="support@helpline.test")
    monkeypatch.setattr(intake_admin, "poll_mailbox", lambda m: PollResult(m))

    response = admin_client.post(
        reverse("admin:intake_mailbox_changelist"),
        {"action": "poll_now", "_selected_action": [mailbox.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert said(response) == [f"support@helpline.test: {expected}."]


def test_the_mailbox_list_shows_the_last_error(world: World, admin_client: Client) -> None:
    Mailbox.objects.create(
        department=world.support, address="broken@helpline.test", last_error="Login failed: no"
    )

    page = admin_client.get(reverse("admin:intake_mailbox_changelist"))

    assert "Login failed: no" in page.content.decode()


# --- quarantine ---------------------------------------------------------------------------


def quarantine_an_auto_reply(mailbox: Mailbox | None = None) -> QuarantinedMessage:
    result = ingest_message(mail(headers={"Auto-Submitted": "auto-generated"}), mailbox=mailbox)
    assert result.quarantined is not None
    return result.quarantined


def test_a_retry_places_the_message_once_the_cause_is_fixed(db: None) -> None:
    from helpline.tickets.defaults import ensure_defaults

    ensure_defaults()
    result = ingest_message(mail(subject="Nowhere to go"))
    assert result.outcome == LedgerOutcome.QUARANTINED and result.quarantined is not None
    support = Department.objects.create(name="Support")
    Mailbox.objects.create(department=support, address="support@helpline.test", protocol="pipe")

    retried = retry_quarantined(result.quarantined)

    assert retried.outcome == LedgerOutcome.TICKET and retried.ticket is not None
    assert retried.ticket.department == support
    message = QuarantinedMessage.objects.get()
    assert (message.state, message.ticket) == (QuarantinedMessage.State.PLACED, retried.ticket)
    ledger = ProcessedMessage.objects.get()
    assert (ledger.outcome, ledger.ticket) == (LedgerOutcome.TICKET, retried.ticket)
    # Placed once: a second retry changes nothing.
    assert retry_quarantined(message).reason == "Already resolved."
    assert Ticket.objects.count() == 1


def test_a_failed_retry_stays_pending_with_its_reason(world: World) -> None:
    message = quarantine_an_auto_reply()

    result = retry_quarantined(message)

    assert result.outcome == LedgerOutcome.QUARANTINED
    message.refresh_from_db()
    assert message.state == QuarantinedMessage.State.PENDING
    assert "automatic" in message.reason


def test_an_automatic_message_can_be_retried_as_mail_from_a_person(world: World) -> None:
    message = quarantine_an_auto_reply()

    result = retry_quarantined(message, accept_automatic=True)

    assert result.outcome == LedgerOutcome.TICKET


def test_discarding_drops_the_source_but_keeps_the_record(world: World) -> None:
    message = quarantine_an_auto_reply()

    assert discard_quarantined(message, by=world.admin.user)
    assert not discard_quarantined(message)

    message.refresh_from_db()
    assert message.state == QuarantinedMessage.State.DISCARDED
    assert bytes(message.raw) == b""
    assert message.resolved_by == world.admin.user


def test_administrators_see_retry_and_discard_quarantine_in_the_admin(
    world: World, admin_client: Client
) -> None:
    first = quarantine_an_auto_reply()
    second = quarantine_an_auto_reply()
    changelist = reverse("admin:intake_quarantinedmessage_changelist")

    page = admin_client.get(changelist).content.decode()
    assert "automatic message" in page
    detail = admin_client.get(reverse("admin:intake_quarantinedmessage_change", args=[first.pk]))
    assert "Auto-Submitted: auto-generated" in detail.content.decode()
    download = admin_client.get(
        reverse("admin:intake_quarantinedmessage_download", args=[first.pk])
    )
    assert download["Content-Type"] == "message/rfc822"
    assert download.content == bytes(first.raw)

    admin_client.post(
        changelist, {"action": "retry_as_person", "_selected_action": [first.pk]}, follow=True
    )
    admin_client.post(changelist, {"action": "discard", "_selected_action": [second.pk]})

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == QuarantinedMessage.State.PLACED and first.ticket is not None
    assert first.resolved_by == world.admin.user
    assert second.state == QuarantinedMessage.State.DISCARDED


def test_agents_who_are_not_administrators_cannot_see_quarantine(world: World) -> None:
    message = quarantine_an_auto_reply()
    client = Client()
    client.force_login(world.agent.user)

    response = client.get(reverse("admin:intake_quarantinedmessage_download", args=[message.pk]))

    assert response.status_code == 302  # to the admin login
    assert bytes(message.raw) not in response.content


def test_the_ledger_is_read_only_in_the_admin(world: World, admin_client: Client) -> None:
    ingest_message(mail())
    row = ProcessedMessage.objects.get()

    assert admin_client.get(reverse("admin:intake_processedmessage_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:intake_processedmessage_change", args=[row.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    delete = admin_client.post(reverse("admin:intake_processedmessage_delete", args=[row.pk]))
    assert delete.status_code == 403


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "New ticket (ticket #"), ("de", "Neues Ticket (Ticket #")]
)
def test_a_retry_in_the_admin_names_its_outcome_in_the_admins_language(
    world: World, admin_client: Client, language: str, expected: str
) -> None:
    message = quarantine_an_auto_reply()

    response = admin_client.post(
        reverse("admin:intake_quarantinedmessage_changelist"),
        {"action": "retry_as_person", "_selected_action": [message.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    message.refresh_from_db()
    assert message.ticket is not None
    assert said(response) == [f"{message}: {expected}{message.ticket.number})."]
