"""Outbound mail: the templates administrators edit, the batches still to fan out,
and the outbox.

Two steps, both in the worker (`helpline.notify.outbox`, `helpline.notify.fanout`):

1. The lifecycle's `events_recorded` signal writes one small `MailBatch` row (the
   change's event ids and the ticket as the change left it) in the same
   transaction as the change, so a committed change always has its mail to come
   and a rolled-back one never does.
2. The worker fans the batch out: it plans the recipients and renders every mail
   with no transaction open, then in one short transaction deletes the batch (the
   conditional DELETE is the claim: one worker wins) and writes its
   `OutboundMessage` rows, which it then sends.

Batch states: a row with `next_attempt_at` set is pending (due once that time has
come); a failed fan-out sets it later (backoff) and, after the last attempt, to
NULL: the row stays, visible, with its `last_error`. A fanned-out batch is gone.

Outbox states (`OutboundMessage.status`):

    pending ──claimed by a sender──▶ sending ──accepted by the mail server──▶ sent
       ▲                               │
       └── failed: attempts < 5 ───────┤  (next_attempt_at = now + backoff)
                                       └── 5th failure, or a permanent (5xx)
                                           refusal ──▶ failed ──retry──▶ pending

A sender claims a row with one conditional UPDATE (pending and due, with the
attempt count it read) that sets `sending`, bumps `attempts` and sets
`next_attempt_at` to the end of a lease; only the sender whose UPDATE changed a row
sends. A second run of the same task, or `send_due()` beside it, finds the row
taken and sends nothing. A sender killed mid-send leaves the row `sending`; once
its lease is over, `send_due()` claims it again (the one case where a mail may go
out twice: SMTP cannot tell us whether the server got it). Every later UPDATE of
the sender names the attempt it claimed, so a stale sender changes nothing.
"Retry now" (admin action, `helpline notify retry`) puts failed or pending rows
back to pending, due now, with their attempts reset.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.tickets.models import Event, Ticket


class MailKind(models.TextChoices):
    """What a mail is for; also the key of its template."""

    AUTORESPONSE = "autoresponse", _("New-ticket autoresponse (to the customer)")
    NEW_TICKET_ALERT = "new_ticket_alert", _("New-ticket alert (to the department's agents)")
    ASSIGNED_ALERT = "assigned_alert", _("Assignment alert (to the assignee or the team)")
    TRANSFER_ALERT = "transfer_alert", _("Transfer alert (to the new department)")
    REPLY = "reply", _("Agent reply (to the customer and collaborators)")
    RESOLVED = "resolved", _("Resolution notice (to the customer and collaborators)")
    REOPENED_ALERT = "reopened_alert", _("Reopen notice (to the assignee)")
    OVERDUE_ALERT = "overdue_alert", _("Overdue alert (to the assignee or team, and the manager)")
    ESCALATION_ALERT = "escalation_alert", _("Escalation alert (to the people the level names)")
    UNASSIGNABLE_ALERT = "unassignable_alert", _("Nobody available (to the department manager)")
    # Account mail: asked for by a person on the portal or the desk, about no event.
    ACCOUNT_CONFIRMATION = "account_confirmation", _("Address confirmation for a new account")
    PASSWORD_RESET = "password_reset", _("Password reset link (to a customer or an agent)")
    TICKET_LINK = "ticket_link", _("Link to a ticket, asked for on the status page")


# Mail written by a person (a reply, a resolution) carries no Auto-Submitted header;
# the rest is machine-made, and says so (RFC 3834) so that other systems'
# autoresponders stay quiet and no mail loop starts.
AUTO_SUBMITTED = {
    MailKind.AUTORESPONSE: "auto-replied",
    MailKind.NEW_TICKET_ALERT: "auto-generated",
    MailKind.ASSIGNED_ALERT: "auto-generated",
    MailKind.TRANSFER_ALERT: "auto-generated",
    MailKind.REOPENED_ALERT: "auto-generated",
    MailKind.OVERDUE_ALERT: "auto-generated",
    MailKind.ESCALATION_ALERT: "auto-generated",
    MailKind.UNASSIGNABLE_ALERT: "auto-generated",
    MailKind.ACCOUNT_CONFIRMATION: "auto-generated",
    MailKind.PASSWORD_RESET: "auto-generated",
    MailKind.TICKET_LINK: "auto-generated",
}


class MailTemplate(models.Model):
    """The subject, text and HTML of one kind of mail, as administrators edit them.

    Rendered with Django's template language. A missing row means the built-in
    default (`helpline/notify/templates/notify/<key>/`); an inactive row means this
    kind of mail is not sent at all.
    """

    key = models.CharField(
        max_length=40, choices=MailKind.choices, unique=True, verbose_name=_("key")
    )
    subject = models.CharField(max_length=255, verbose_name=_("subject"))
    text_body = models.TextField(
        help_text=_("The plain-text version; every mail has one."), verbose_name=_("text body")
    )
    html_body = models.TextField(
        blank=True,
        help_text=_("The HTML version; leave empty to send plain text only."),
        verbose_name=_("HTML body"),
    )
    is_active = models.BooleanField(
        default=True,
        help_text=_("Untick to stop sending this kind of mail altogether."),
        verbose_name=_("is active"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.get_key_display()


class MailBatch(models.Model):
    """The mail one committed change still owes, before it is planned and rendered.

    Written by `helpline.notify.outbox.queue_mail` inside the change's transaction:
    one INSERT of ids and a few values, so the write transaction stays short; the
    fan-out (`helpline.notify.fanout`) deletes it when it writes the mail."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    # The Event rows of the change, in order.
    events = models.JSONField(default=list, verbose_name=_("events"))
    # The ticket's fields the planner branches on, as the change left them (see
    # fanout.TICKET_STATE): by fan-out time the ticket may have moved on.
    state = models.JSONField(default=dict, verbose_name=_("ticket state"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    # NULL: the fan-out failed for good (see last_error); else due from then on.
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("mail batch")
        verbose_name_plural = _("mail batches")
        indexes = [
            # The sweep (fan_out_due): pending batches whose time has come, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(next_attempt_at__isnull=False),
                name="mailbatch_due",
            ),
            # fan_out(): the oldest pending batch of a ticket, which goes first.
            models.Index(
                fields=["ticket", "id"],
                condition=Q(next_attempt_at__isnull=False),
                name="mailbatch_ticket_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Mail batch {self.pk} of ticket {self.ticket_id}"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """One mail to send, rendered by the fan-out of its change (see the module doc).

    Account mail (`helpline.notify.accountmail`) may belong to no ticket."""

    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound",
        verbose_name=_("ticket"),
    )
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound",
        verbose_name=_("event"),
    )
    kind = models.CharField(max_length=40, choices=MailKind.choices, verbose_name=_("kind"))
    from_email = models.CharField(max_length=320, verbose_name=_("from email"))
    to = models.JSONField(
        default=list, help_text=_("Addresses, as 'Name <address>'."), verbose_name=_("to")
    )
    cc = models.JSONField(default=list, blank=True, verbose_name=_("cc"))
    subject = models.TextField(verbose_name=_("subject"))
    text = models.TextField(verbose_name=_("text"))
    html = models.TextField(blank=True, verbose_name=_("HTML"))
    # Ours, signed and naming the ticket (helpline.lib.mailids); intake finds the
    # ticket of a reply by the In-Reply-To/References that name it.
    message_id = models.CharField(max_length=255, verbose_name=_("message ID"))
    in_reply_to = models.CharField(max_length=255, blank=True, verbose_name=_("in reply to"))
    references = models.TextField(
        blank=True, help_text=_("Space-separated Message-IDs."), verbose_name=_("references")
    )
    status = models.CharField(
        max_length=10,
        choices=OutboundStatus.choices,
        default=OutboundStatus.PENDING,
        verbose_name=_("status"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Intake: which ticket does the Message-ID a reply answers belong to?
            models.UniqueConstraint(fields=["message_id"], name="outbound_message_id_unique"),
        ]
        indexes = [
            # send_due(): mail whose next attempt (or whose sender's lease) has come,
            # oldest first. Partial, so it stays small while sent mail piles up.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="outbound_pending_due",
            ),
            # Threading: a ticket's latest mail, to find what a recipient got before.
            models.Index(fields=["ticket", "created_at"], name="outbound_ticket_created"),
            # The admin's "failed" filter (and its count on the dashboard later).
            models.Index(
                fields=["created_at"],
                condition=Q(status="failed"),
                name="outbound_failed_created",
            ),
        ]

    def __str__(self) -> str:
        about = f"#{self.ticket.number}" if self.ticket else ", ".join(self.to)
        return f"{self.get_kind_display()} for {about} ({self.status})"

    @property
    def auto_submitted(self) -> str:
        """The Auto-Submitted header's value, or "" for mail written by a person."""
        return AUTO_SUBMITTED.get(MailKind(self.kind), "")
