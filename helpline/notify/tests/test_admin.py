"""The outbox and the templates for administrators: the admin, and `helpline notify`."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.test import Client
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from helpline.conftest import World
from helpline.notify.models import MailKind, MailTemplate, OutboundMessage, OutboundStatus
from helpline.notify.tests.helpers import fan_out_pending
from helpline.notify.tests.smtp import SMTPServer


def fail(mail: OutboundMessage, error: str = "ConnectionRefusedError: nobody home") -> None:
    OutboundMessage.objects.filter(pk=mail.pk).update(
        status=OutboundStatus.FAILED, attempts=5, last_error=error, next_attempt_at=None
    )


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin.user)
    return client


def test_administrators_see_failed_mail_with_its_error(world: World) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    fail(mail)
    client = admin_client(world)

    listing = client.get("/admin/notify/outboundmessage/?status=failed")
    detail = client.get(f"/admin/notify/outboundmessage/{mail.pk}/change/")

    assert listing.status_code == 200
    assert "ConnectionRefusedError: nobody home" in listing.content.decode()
    assert detail.status_code == 200
    assert escape(mail.message_id) in detail.content.decode()


def test_retry_now_in_the_admin_queues_the_message_without_sending_it(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    fail(mail)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client(world).post(
            "/admin/notify/outboundmessage/",
            {"action": "retry_now", "_selected_action": [mail.pk]},
            follow=True,
        )

    assert "Queued 1 message to be sent again." in response.content.decode()
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundStatus.PENDING, 0)
    # Queued for the worker once the request's transaction commits; not sent here.
    assert mail.sent_at is None
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [mail.pk]


def test_the_template_form_refuses_a_template_that_does_not_work(
    world: World, mail_templates: None
) -> None:
    row = MailTemplate.objects.get(key=MailKind.REPLY)
    client = admin_client(world)
    url = f"/admin/notify/mailtemplate/{row.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.get("/admin/notify/mailtemplate/").status_code == 200

    broken = client.post(
        url,
        {
            "key": row.key,
            "is_active": "on",
            "subject": "Re: {{ ticket.subject|nosuchfilter }}",
            "text_body": "{% for %}",
            "html_body": row.html_body,
        },
    )
    fine = client.post(
        url,
        {
            "key": row.key,
            "is_active": "on",
            "subject": "Re: {{ ticket.subject }}",
            "text_body": "{{ marker }}\n{{ message.text }}",
            "html_body": "",
        },
    )

    assert broken.status_code == 200
    assert broken.content.decode().count("This template does not work") == 2
    assert fine.status_code == 302
    row.refresh_from_db()
    assert row.subject == "Re: {{ ticket.subject }}"


def test_the_command_lists_and_retries_failed_mail(world: World, smtp_server: SMTPServer) -> None:
    world.open()
    fan_out_pending()
    mail = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    fail(mail)
    out = StringIO()

    call_command("notify", "list", "--status", "failed", stdout=out)
    call_command("notify", "retry", stdout=out)

    assert "ConnectionRefusedError: nobody home" in out.getvalue()
    assert f"{mail.pk}: sent" in out.getvalue()
    assert len(smtp_server.to("ken@example.com")) == 1


def test_the_command_sends_what_is_due(world: World, smtp_server: SMTPServer) -> None:
    world.open()
    out = StringIO()

    call_command("notify", "send-due", stdout=out)
    call_command("notify", "send-due", stdout=out)

    assert out.getvalue().splitlines() == ["3 sent", "Nothing was due."]
    assert len(smtp_server.messages) == 3
    assert not DBTaskResult.objects.exists()  # sent here, no task involved
