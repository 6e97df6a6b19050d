"""Background work of notify, run by the worker (`helpline worker`), never inside a
request: a slow or failing mail server must not slow a page down."""

from __future__ import annotations

from django.tasks import task

from helpline.accounts.passwords import Audience
from helpline.notify.accountmail import mail_reset
from helpline.notify.fanout import fan_out, fan_out_due
from helpline.notify.sending import deliver, deliver_many, send_due


@task()
def fan_out_mail(batch_id: int) -> str:
    """Plan, render and write the mail of one committed change (queued when it
    commits, and for each retry), then queue its sending. Safe to run twice: the
    batch is claimed when its mail is written, and written once."""
    return fan_out(batch_id)


@task()
def send_outbound_batch(outbound_ids: list[int]) -> list[str]:
    """Send the mail of one change over one SMTP connection; each message is
    claimed and sent at most once, failures retried on their own."""
    return deliver_many(outbound_ids)


@task()
def send_outbound(outbound_id: int) -> str:
    """Send one outbox message (queued when its change commits, and for each retry).
    Safe to run twice: the message is claimed first and sent at most once. Failures
    are recorded on the message and retried, so the task itself does not fail."""
    return deliver(outbound_id)


@task()
def send_due_mail() -> dict[str, int]:
    """The periodic sweep (a job in HELPLINE_PERIODIC_JOBS): fan out the changes
    whose fan-out task was lost or whose retry has come, then send whatever is due,
    i.e. mail whose task was lost, retries, and mail whose sender died mid-send."""
    fanned = fan_out_due()
    sent = send_due()
    return {**{f"fan_out_{key}": n for key, n in fanned.items()}, **sent}


@task()
def mail_password_reset(audience: str, email: str) -> None:
    """A reset asked for on the portal or the desk, with the address as typed: look
    it up and mail a link if it has a login of that kind (the page that asked
    already answered, the same way whatever was typed)."""
    mail_reset(Audience(audience), email)
