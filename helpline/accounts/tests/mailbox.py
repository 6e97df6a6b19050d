"""Reading account mail the way a person does: sent by the real worker path to
Django's test mailbox, then the link taken out of the text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail
from django.core.management import call_command

from helpline.notify.tests.helpers import deliver_pending

LINK = re.compile(r"https?://\S+")


def mails_to(address: str, subject_start: str = "", *, worker: bool = False) -> list[str]:
    """The bodies of the mails sent to `address`, oldest first, once what is queued
    is sent: by `deliver` (what the worker's task runs), or with `worker` by the
    worker itself (transactional tests only: it closes its connection)."""
    if worker:
        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    else:
        deliver_pending()
    return [
        str(m.body)
        for m in mail.outbox
        if any(address.lower() in to.lower() for to in m.to)
        and str(m.subject).startswith(subject_start)
    ]


def last_link(address: str, subject_start: str = "", *, worker: bool = False) -> str:
    """The path of the link in the newest such mail (fails when there is none)."""
    found = mails_to(address, subject_start, worker=worker)
    assert found, f"no mail to {address} starting {subject_start!r}"
    urls = LINK.findall(found[-1])
    assert urls, "the mail has no link"
    return urlsplit(urls[0]).path


CONFIRM = "Confirm your address"
RESET = "Choose a new password"


_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def page_as_seen(response: object, *typed: str) -> str:
    """The page with what the visitor typed and the per-request CSRF token blanked
    out, to compare two answers: equal means they tell nothing apart."""
    html = response.content.decode()  # type: ignore[attr-defined]
    for text in typed:
        html = html.replace(text, "…")
    return _CSRF.sub(r"\1…", html)
