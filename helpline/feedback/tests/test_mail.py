"""The resolution mail invites the customer (not the collaborators) to rate the answer."""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

from django.apps import apps
from django.test import Client

from helpline.conftest import World, make_customer
from helpline.notify.models import MailKind, MailTemplate, OutboundMessage
from helpline.notify.rendering import default_source
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.links import event_from_rating_token

from .conftest import resolution_of, resolved

LINK = re.compile(r"(https?://\S+/rate/[^/\s\"]+/)\?score=(good|okay|bad)")


def resolved_mail(to: str) -> OutboundMessage:
    fan_out_pending()
    return next(
        m for m in OutboundMessage.objects.filter(kind=MailKind.RESOLVED) if m.to[0].endswith(to)
    )


def test_the_customers_resolution_mail_has_the_three_links(world: World, settings) -> None:
    settings.HELPLINE_BASE_URL = "https://help.example.com"
    _, resolution = resolved(world)

    mail = resolved_mail("<ken@example.com>")

    assert "How did we do? Good · Okay · Bad" in mail.text
    found = LINK.findall(mail.text)
    assert [score for _, score in found] == ["good", "okay", "bad"]
    base = found[0][0]
    assert base.startswith("https://help.example.com/rate/")
    assert all(link == base for link, _ in found)
    token = base.rstrip("/").rsplit("/", 1)[1]
    assert event_from_rating_token(token) == resolution
    assert f'href="{base}?score=good"' in mail.html
    assert f'href="{base}?score=bad"' in mail.html
    assert "How did we do?" in mail.html


def test_collaborators_get_no_rating_links(world: World) -> None:
    follower = make_customer("Fay Follower", "fay@example.com")
    ticket = world.open()
    lifecycle.add_collaborator(ticket, actor=world.agent, customer=follower)
    lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")

    mail = resolved_mail("<fay@example.com>")

    assert "/rate/" not in mail.text and "/rate/" not in mail.html
    assert "How did we do?" not in mail.text
    assert "/rate/" in resolved_mail("<ken@example.com>").text


def test_other_mail_to_the_customer_has_no_rating_links(world: World) -> None:
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Looking into it.</p>")

    fan_out_pending()
    assert not any("/rate/" in m.text for m in OutboundMessage.objects.filter(ticket=ticket))


def test_each_resolution_mail_links_to_its_own_resolution(world: World) -> None:
    ticket, first = resolved(world)
    lifecycle.reopen(ticket, actor=world.agent)
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Again.</p>")
    second = resolution_of(ticket)

    fan_out_pending()
    mails = OutboundMessage.objects.filter(kind=MailKind.RESOLVED).order_by("id")
    tokens = [LINK.search(m.text).group(1).rstrip("/").rsplit("/", 1)[1] for m in mails]  # type: ignore[union-attr]

    assert [event_from_rating_token(t) for t in tokens] == [first, second]


def test_an_edited_template_without_the_links_still_works(world: World) -> None:
    MailTemplate.objects.update_or_create(
        key=MailKind.RESOLVED,
        defaults={"subject": "Done", "text_body": "{{ marker }}\nDone.", "html_body": ""},
    )

    resolved(world)

    mail = resolved_mail("<ken@example.com>")
    assert mail.text.endswith("Done.\n") and "/rate/" not in mail.text


# --- the data migration for installs made before -------------------------------------


def migration():
    return importlib.import_module("helpline.feedback.migrations.0002_resolved_mail_invites_rating")


def test_the_migration_updates_rows_that_still_hold_the_old_text(db: None) -> None:
    m = migration()
    MailTemplate.objects.update_or_create(
        key=MailKind.RESOLVED,
        defaults={
            "subject": "Resolved",
            # As the admin's textarea saves it: CRLF line endings.
            "text_body": m.OLD_TEXT.replace("\n", "\r\n"),
            "html_body": m.OLD_HTML,
        },
    )

    m.forwards(apps, None)

    row = MailTemplate.objects.get(key=MailKind.RESOLVED)
    new = default_source("resolved")
    assert (row.text_body, row.html_body) == (new.text, new.html)
    assert "rating_links.good" in row.text_body and "rating_links.bad" in row.html_body

    m.backwards(apps, None)

    row.refresh_from_db()
    assert (row.text_body, row.html_body) == (m.OLD_TEXT, m.OLD_HTML)


def test_the_migration_keeps_what_an_administrator_wrote(db: None) -> None:
    m = migration()
    MailTemplate.objects.update_or_create(
        key=MailKind.RESOLVED,
        defaults={"subject": "Mine", "text_body": "{{ marker }}\nMine.", "html_body": m.OLD_HTML},
    )

    m.forwards(apps, None)

    row = MailTemplate.objects.get(key=MailKind.RESOLVED)
    assert row.text_body == "{{ marker }}\nMine."
    assert row.html_body == default_source("resolved").html  # still the default: updated


def test_new_installs_get_the_new_text(mail_templates_rows: None) -> None:
    row = MailTemplate.objects.get(key=MailKind.RESOLVED)
    assert "rating_links" in row.text_body and "rating_links" in row.html_body


def test_following_the_mail_link_opens_the_rating_page(client: Client, world: World) -> None:
    resolved(world)
    link, score = LINK.findall(resolved_mail("<ken@example.com>").text)[2]

    response = client.get(urlsplit(link).path + "?score=bad")

    assert score == "bad"
    assert response.status_code == 200
    assert 'value="bad" checked' in response.content.decode()
