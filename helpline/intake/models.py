"""Mail intake: the mailboxes we read, the ledger of what we read, and quarantine.

A message's way through intake (see `helpline.intake.ingest` and `.fetch`):

    fetched (BODY.PEEK[], still unread and in place on the server)
      └─▶ one transaction: its ticket/reply/note or its QuarantinedMessage,
          and its ProcessedMessage ledger row
            └─▶ committed ─▶ only now moved to the archive folder / deleted / marked
                             seen on the server

A crash before the commit leaves nothing behind, and the message is read again on
the next poll; a crash after it leaves the ledger row, so the next poll skips the
import and only finishes the move or delete. Either way each message is imported
exactly once.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department
from helpline.intake.crypto import decrypt, encrypt
from helpline.tickets.models import HelpTopic, Ticket

_AUTHSERV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
MAX_AUTHSERV_IDS = 10


def split_authserv_ids(value: str) -> list[str]:
    """The names in a mailbox's `authserv_ids`, lower case (commas or spaces)."""
    return [name.lower() for name in re.split(r"[\s,]+", value) if name]


def validate_authserv_ids(value: str) -> None:
    names = split_authserv_ids(value)
    if len(names) > MAX_AUTHSERV_IDS:
        raise ValidationError(
            _("At most %(n)d servers, please."), params={"n": MAX_AUTHSERV_IDS}, code="too_many"
        )
    for name in names:
        if not _AUTHSERV_ID.fullmatch(name):
            raise ValidationError(
                _("“%(name)s” is not a server name (letters, digits, dots and dashes)."),
                params={"name": name[:100]},
                code="invalid",
            )


class MailboxError(Exception):
    """A mailbox is configured so that it cannot be read (shown to administrators)."""


class Mailbox(models.Model):
    """A mail address whose mail becomes tickets of one department.

    Fetched mailboxes (IMAP, POP3) are polled by the worker every `poll_interval`
    seconds; "pipe" mailboxes are only addresses the mail server pipes into
    `helpline ingest-email` (or that the osTicket API receives), used to route mail
    to the department. Polling records `last_polled_at` on every attempt and either
    clears `last_error` (success) or sets it with `last_error_at` (failure), so
    administrators see a broken mailbox in the admin while the others go on.
    """

    class Protocol(models.TextChoices):
        IMAP = "imap", "IMAP"
        POP3 = "pop3", "POP3"
        PIPE = "pipe", _("None (piped or posted to Helpline)")

    class Security(models.TextChoices):
        SSL = "ssl", "SSL/TLS"
        STARTTLS = "starttls", "STARTTLS"
        NONE = "none", _("None (trusted networks only)")

    class AfterImport(models.TextChoices):
        ARCHIVE = "archive", _("Move to the archive folder")
        DELETE = "delete", _("Delete")
        SEEN = "seen", _("Mark as read and leave it")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="mailboxes", verbose_name=_("department")
    )
    topic = models.ForeignKey(
        HelpTopic,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("New tickets get this help topic; empty: the department only."),
        verbose_name=_("topic"),
    )
    address = models.EmailField(
        help_text=_("The address customers write to."), verbose_name=_("address")
    )
    protocol = models.CharField(
        max_length=10, choices=Protocol.choices, default=Protocol.IMAP, verbose_name=_("protocol")
    )
    host = models.CharField(max_length=255, blank=True, verbose_name=_("host"))
    port = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Empty: the usual port (IMAP 993/143, POP3 995/110)."),
        verbose_name=_("port"),
    )
    security = models.CharField(
        _("TLS"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(max_length=255, blank=True, verbose_name=_("username"))
    # A Fernet token (helpline.intake.crypto); never the password itself.
    password_encrypted = models.TextField(
        blank=True, editable=False, verbose_name=_("password encrypted")
    )
    password_env = models.CharField(
        _("password from environment variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of an environment variable holding the password; "
            "when set, it is used instead of a stored password."
        ),
    )
    folder = models.CharField(
        max_length=255, default="INBOX", help_text=_("IMAP only."), verbose_name=_("folder")
    )
    after_import = models.CharField(
        max_length=10,
        choices=AfterImport.choices,
        default=AfterImport.ARCHIVE,
        verbose_name=_("after import"),
    )
    archive_folder = models.CharField(
        max_length=255, default="Archive", blank=True, verbose_name=_("archive folder")
    )
    agent_replies_as_notes = models.BooleanField(
        default=False,
        help_text=_(
            "Agents' replies by mail become internal notes instead of replies to the customer."
        ),
        verbose_name=_("agent replies as notes"),
    )
    poll_interval = models.PositiveIntegerField(
        default=120,
        help_text=_("Seconds between polls (the worker looks every minute or so)."),
        verbose_name=_("poll interval"),
    )
    # Per mailbox, not one site-wide list: which server received a mail depends on
    # the road it took, and a name trusted for one road lets anybody write a
    # "pass" into mail that came another way (helpline.intake.trust).
    authserv_ids = models.CharField(
        _("trusted mail servers"),
        max_length=500,
        blank=True,
        validators=[validate_authserv_ids],
        help_text=_(
            "The authserv-ids (the first word of their Authentication-Results headers) "
            "of the mail servers that receive every message of this mailbox, separated "
            "by commas. Their SPF/DKIM/DMARC results decide whether a reply that carries "
            "no token of ours is posted or held. Name a server only if it adds that "
            "header to every message it accepts. Empty: no such header is believed."
        ),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    last_polled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last polled at"))
    last_success_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last success at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    last_error_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last error at"))

    class Meta:
        verbose_name = _("mailbox")
        ordering = ["address"]
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(Lower("address"), name="mailbox_address_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.address

    def trusted_servers(self) -> list[str]:
        """The authserv-ids whose Authentication-Results this mailbox's mail may be
        judged by (see `authserv_ids`)."""
        return split_authserv_ids(self.authserv_ids)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.protocol != self.Protocol.PIPE:
            if not self.host:
                errors["host"] = gettext("A server is needed to fetch mail.")
            if not self.username:
                errors["username"] = gettext("A user name is needed to fetch mail.")
        if self.protocol == self.Protocol.POP3 and self.after_import == self.AfterImport.ARCHIVE:
            errors["after_import"] = gettext("POP3 has no folders: choose delete or leave.")
        if (
            self.protocol == self.Protocol.IMAP
            and self.after_import == self.AfterImport.ARCHIVE
            and not self.archive_folder.strip()
        ):
            errors["archive_folder"] = gettext("Name the folder to move imported mail to.")
        if errors:
            raise ValidationError(errors)

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        ssl = self.security == self.Security.SSL
        if self.protocol == self.Protocol.POP3:
            return 995 if ssl else 110
        return 993 if ssl else 143

    def set_password(self, password: str) -> None:
        self.password_encrypted = encrypt(password) if password else ""

    def get_password(self) -> str:
        """The password to log in with: from the environment variable when one is
        named, else the stored one. Raises MailboxError when neither is usable."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise MailboxError(
                    gettext("The environment variable %(name)s is not set.")
                    % {"name": self.password_env}
                )
            return value
        if not self.password_encrypted:
            return ""
        password = decrypt(self.password_encrypted)
        if password is None:
            raise MailboxError(
                gettext(
                    "The stored password cannot be decrypted (was SECRET_KEY changed without "
                    "keeping the old one in SECRET_KEY_FALLBACKS?). Enter the password again."
                )
            )
        return password

    def is_due(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.last_polled_at is None:
            return True
        return (now - self.last_polled_at).total_seconds() >= self.poll_interval


class LedgerOutcome(models.TextChoices):
    TICKET = "ticket", _("New ticket")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    DUPLICATE = "duplicate", _("Duplicate")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Ignored (our own mail)")


class QuarantinedMessage(models.Model):
    """A message intake could not place, kept whole with the reason.

    States: pending ──retry placed it──▶ placed (ticket set)
                    ──discard─────────▶ discarded (raw emptied)
    A retry that fails again stays pending with the new reason. The ledger row of the
    message points here, so the message is never fetched into quarantine twice.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for an administrator")
        PLACED = "placed", _("Placed by a retry")
        DISCARDED = "discarded", _("Discarded")

    raw = models.BinaryField(help_text=_("The message exactly as received."), verbose_name=_("raw"))
    reason = models.TextField(verbose_name=_("reason"))
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("mailbox")
    )
    channel = models.CharField(max_length=20, default="email", verbose_name=_("channel"))
    message_id = models.CharField(max_length=255, blank=True, verbose_name=_("message ID"))
    from_address = models.CharField(max_length=254, blank=True, verbose_name=_("from address"))
    subject = models.CharField(max_length=255, blank=True, verbose_name=_("subject"))
    size = models.PositiveIntegerField(default=0, verbose_name=_("size"))
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, verbose_name=_("state")
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("ticket")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("quarantined message")
        verbose_name_plural = _("quarantined messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The admin's default list: what is waiting, newest first.
            models.Index(fields=["state", "-created_at"], name="quarantine_state_created"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} from {self.from_address or '(unknown)'}"


class ProcessedMessage(models.Model):
    """The ledger: one row per message intake has finished with, written in the same
    transaction as what the message became (see the module docstring).

    Keys: (mailbox, uidvalidity, uid) for fetched mail, unique, so a message is
    imported once per mailbox even if the move after the import never happened;
    and `message_id` (the Message-ID, or "sha256:<digest>" of the source when there
    is none), unique among rows that are not duplicates, so the same message arriving
    twice, by two mailboxes or by pipe and poll, is stored once. A message whose
    Message-ID is taken by a different message (other `fingerprint`: its sender
    reuses ids) is keyed by a digest of id and fingerprint instead, so it is kept.
    States: written once with its outcome; a quarantined row becomes the outcome of a
    successful retry.
    """

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("mailbox")
    )
    # IMAP; 0 for POP3 and pipes.
    uidvalidity = models.BigIntegerField(default=0, verbose_name=_("UIDVALIDITY"))
    # IMAP UID or POP3 UIDL.
    uid = models.CharField(max_length=255, blank=True, verbose_name=_("UID"))
    message_id = models.CharField(max_length=255, blank=True, verbose_name=_("message ID"))
    # sha256 of sender, date, subject, text and files (ingest.fingerprint): tells a
    # second copy of a message from another message that reuses its Message-ID.
    fingerprint = models.CharField(max_length=64, blank=True, verbose_name=_("fingerprint"))
    outcome = models.CharField(
        max_length=12, choices=LedgerOutcome.choices, verbose_name=_("outcome")
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("ticket")
    )
    quarantined = models.ForeignKey(
        QuarantinedMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("quarantined"),
    )
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("processed message")
        verbose_name_plural = _("processed messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=~Q(uid=""),
                name="processed_mailbox_uid_unique",
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(message_id="") & ~Q(outcome="duplicate"),
                name="processed_message_id_unique",
            ),
        ]
        indexes = [
            # Duplicate check by Message-ID (any outcome), and the admin's search.
            models.Index(fields=["message_id"], name="processed_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.uid}: {self.outcome}"
