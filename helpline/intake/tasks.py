"""Background tasks of mail intake, run by `helpline worker`."""

from __future__ import annotations

from django.tasks import task

from helpline.intake.fetch import poll_due_mailboxes


@task
def poll_mailboxes() -> int:
    """The periodic job: poll every active mailbox whose interval has passed.
    Returns how many were polled. Queue it every minute or so
    (settings.HELPLINE_PERIODIC_JOBS); each mailbox keeps its own interval."""
    return len(poll_due_mailboxes())
