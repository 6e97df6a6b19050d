"""Background work of accounts, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.accounts.passwords import Audience, mail_reset


@task()
def mail_password_reset(audience: str, email: str) -> None:
    """A reset asked for on the portal or the desk, with the address as typed: look
    it up and mail a link if it has a login of that kind (the page that asked
    already answered, the same way whatever was typed)."""
    mail_reset(Audience(audience), email)
