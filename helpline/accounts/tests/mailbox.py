"""Reading account mail the way a person does: sent by the real worker path to
Django's test mailbox, then the link taken out of the text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from helpline.notify.tests.helpers import deliver_pending

LINK = re.compile(r"https?://\S+")


# The tasks the account pages queue with what was typed (the worker's half of a
# reset, a registration, a status lookup).
ACCOUNT_TASKS = (
    "helpline.notify.tasks.mail_password_reset",
    "helpline.portal.tasks.mail_ticket_link",
    "helpline.portal.tasks.mail_registration",
)


def run_account_tasks() -> int:
    """Run the queued account tasks here, oldest first, as the worker would (calling
    each task's function: the test transaction stays open); how many ran."""
    queued = DBTaskResult.objects.ready().filter(task_path__in=ACCOUNT_TASKS)
    rows = list(queued.order_by("enqueued_at"))
    for row in rows:
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()
    return len(rows)


def mails_to(address: str, subject_start: str = "", *, worker: bool = False) -> list[str]:
    """The bodies of the mails sent to `address`, oldest first, once what is queued
    is done and sent: by the tasks' functions and `deliver` (what the worker's tasks
    run), or with `worker` by the worker itself (transactional tests only: it
    closes its connection)."""
    if worker:
        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    else:
        run_account_tasks()
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


# Quoted values, numbers, and savepoint names (s<thread>_x<n>).
_LITERAL = re.compile(r"'(?:[^']|'')*'|\bs\d+_x\d+\b|\b\d+\b")


def database_work(path: str, data: dict[str, str]) -> list[str]:
    """The SQL statements one POST of `data` to `path` runs, with every literal
    blanked out (what was typed, ids, times): two equal lists mean the request did
    the same work, whatever it looked up."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(path, data)
    assert response.status_code in (200, 302), response.status_code
    return [_LITERAL.sub("?", query["sql"]) for query in queries.captured_queries]
