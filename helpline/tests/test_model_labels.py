"""Every label our models give the admin is translatable, and the admin shows it in
German to a German-speaking administrator.

Django derives a field's label from its name ("due at") and a model's name from its
class ("help topic") as plain English text, which no catalog can translate: each
field, model and choice of a helpline app names itself with `gettext_lazy`. The
first test finds any label left plain; the second renders each admin page the way
an administrator reads it, in English and in German, and fails on a label that
came out the same in both (unless it is the same word in both languages).
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst

from helpline.accounts.models import Agent, Organization
from helpline.api.models import AgentToken, ApiKey
from helpline.automation.models import Action, CannedReply, Condition, Rule
from helpline.conftest import World
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage, QuarantinedMessage
from helpline.notify.models import MailKind, MailTemplate, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.sla.models import BusinessSchedule, EscalationLevel, EscalationPolicy, Holiday
from helpline.ticket_tasks.models import TaskTemplate

# Labels that are the same word in German as in English; anything else that comes
# out in German as it is in English was not translated.
SAME_IN_GERMAN = {
    "Name",
    "Status",
    "Team",
    "Teams",
    "Ticket",
    "Tickets",
    "Version",
    "Server",  # the mailbox's fieldset heading: "Server" is German too
    "Import",  # the mailbox's fieldset heading: "Import" is German too
    "Domain",
    "Operator",
    "Web",  # the channel, as in "Web-Formular"
    # Protocol and product names, not words.
    "ID",  # the primary key, shown read-only (Django's own label)
    "Port",
    "TLS",
    "UID",
    "UIDVALIDITY",
    "API",
    "SLA",
}

# Help texts of Django's own user forms that Django's German catalog does not
# translate (yet); not ours to translate.
DJANGO_UNTRANSLATED = {
    "Whether the user will be able to authenticate using a password or not. If disabled, "
    "they may still be able to authenticate using other backends, such as Single Sign-On "
    "or LDAP.",
    "Raw passwords are not stored, so there is no way to see the user\u2019s password.",
}


def helpline_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_config.name.startswith("helpline.")]


def plain_choice_ok(field: models.Field, label: object) -> bool:
    """A choice label that is rightly not translated: the language names (each in
    its own language, on purpose: helpline.accounts.language), and names with no
    lower-case letter, which are the same in every language ("IMAP", "SSL/TLS", "—")."""
    if field.choices == settings.LANGUAGES:
        return True
    return isinstance(label, str) and label == label.upper()


def plain_labels() -> Iterator[str]:
    for model in helpline_models():
        meta = model._meta
        if not isinstance(meta.app_config.verbose_name, Promise):
            yield f"app {meta.app_label}: verbose_name {meta.app_config.verbose_name!r}"
        for attribute in ("verbose_name", "verbose_name_plural"):
            if not isinstance(getattr(meta, attribute), Promise):
                yield f"{meta.label}: Meta.{attribute} {getattr(meta, attribute)!r}"
        for field in meta.get_fields():
            if field.auto_created or not isinstance(field, models.Field):
                continue
            where = f"{meta.label}.{field.name}"
            if not isinstance(field.verbose_name, Promise):
                yield f"{where}: verbose_name {field.verbose_name!r}"
            if field.help_text and not isinstance(field.help_text, Promise):
                yield f"{where}: help_text {field.help_text!r}"
            for _value, label in field.flatchoices:
                if not isinstance(label, Promise) and not plain_choice_ok(field, label):
                    yield f"{where}: choice label {label!r}"


def test_every_model_label_of_our_apps_is_a_lazy_translation() -> None:
    assert helpline_models(), "no models found"
    assert list(plain_labels()) == []


def test_the_check_finds_a_plain_label() -> None:
    """The check above would see a field Django names itself."""
    field = models.CharField(max_length=10)
    field.set_attributes_from_name("due_at")
    assert field.verbose_name == "due at"
    assert not isinstance(field.verbose_name, Promise)


# --- the admin in German -------------------------------------------------------------


class Labels(HTMLParser):
    """The words an admin form page labels its fields with: field labels (not the
    labels of single choices, which wrap their input and may be data), the column
    heads of tabular inlines, fieldset and inline headings, and help texts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._open: list[tuple[str, list[str], bool]] = []  # (tag, text, wraps an input)
        self._help_depth = 0
        self._depth = 0
        self._in_thead = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "input" and self._open:
            self._open[-1] = (self._open[-1][0], self._open[-1][1], True)
        if tag in ("input", "br", "img", "hr", "meta", "link"):
            return
        self._depth += 1
        if tag == "thead":
            self._in_thead = True
        if tag == "div" and "help" in classes and not self._help_depth:
            self._help_depth = self._depth
            self._open.append(("help", [], False))
        elif (
            tag == "label"
            or (tag == "h2" and {"fieldset-heading", "inline-heading"} & set(classes))
            or (tag == "th" and self._in_thead)
        ):
            self._open.append((tag, [], False))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("input", "br", "img", "hr", "meta", "link"):
            return
        if tag == "thead":
            self._in_thead = False
        closes_help = tag == "div" and self._help_depth == self._depth
        if self._open and (self._open[-1][0] == tag or closes_help):
            _tag, text, wraps_input = self._open.pop()
            words = " ".join("".join(text).split()).rstrip(":").strip()
            if words and not wraps_input:
                self.found.append(words)
            if self._open:  # a heading's text is also its container's
                self._open[-1][1].extend(text)
        if closes_help:
            self._help_depth = 0
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)


def labels_of(html: str) -> list[str]:
    parser = Labels()
    parser.feed(html)
    return parser.found


@pytest.fixture
def rows(world: World) -> dict[type[models.Model], models.Model]:
    """One row of every model the admin edits (its change page), with children so
    the inlines show saved rows as well as empty ones."""
    world.open()  # its mail to the customer is an OutboundMessage, once fanned out
    fan_out_pending()
    schedule = BusinessSchedule.objects.create(name="Office", time_zone="Europe/Berlin")
    schedule.spans.create(weekday=0, start_time="09:00", end_time="17:00")
    Holiday.objects.create(schedule=schedule, name="New Year", date="2027-01-01")
    policy = EscalationPolicy.objects.create(name="Standard")
    EscalationLevel.objects.create(policy=policy, order=1, notify_manager=True)
    rule = Rule.objects.create(name="VIPs")
    Condition.objects.create(rule=rule, field="email", operator="contains", value="vip")
    Action.objects.create(rule=rule, kind="stop")
    key = ApiKey(name="Shop")
    key.set_secret()
    key.save()
    token = AgentToken(name="Laptop", agent=world.agent)
    token.set_secret()
    token.save()
    mailbox = Mailbox.objects.create(
        department=world.support, address="help@example.com", protocol=Mailbox.Protocol.PIPE
    )
    quarantined = QuarantinedMessage.objects.create(raw=b"Subject: x\r\n\r\nx", reason="broken")
    ProcessedMessage.objects.create(
        mailbox=mailbox,
        message_id="<m@example.com>",
        outcome=LedgerOutcome.QUARANTINED,
        quarantined=quarantined,
    )
    MailTemplate.objects.get_or_create(
        key=MailKind.REPLY, defaults={"subject": "Re", "text_body": "Hello"}
    )
    Organization.objects.create(name="Acme")
    CannedReply.objects.create(title="Thanks", body_html="<p>Thank you.</p>")
    TaskTemplate.objects.create(topic=world.topic, title="Order laptop", due_hours=48)
    found: dict[type[models.Model], models.Model] = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            found[model] = first
    assert OutboundMessage in found and ApiKey in found
    return found


def admin_pages(
    rows: dict[type[models.Model], models.Model], request: HttpRequest
) -> Iterator[str]:
    """The add page (where one may add) and a change page of each of our models."""
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if not meta.app_config.name.startswith("helpline."):
            continue  # Django's and django-tasks-db's own, translated by them
        name = f"admin:{meta.app_label}_{meta.model_name}"
        if model_admin.has_add_permission(request):
            yield reverse(f"{name}_add")
        yield reverse(f"{name}_change", args=[rows[model].pk])


def read_as(client: Client, agent: Agent, language: str, url: str) -> str:
    Agent.objects.filter(pk=agent.pk).update(language=language)
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == language
    return response.content.decode()


def test_a_german_administrator_reads_every_admin_form_in_german(
    client: Client, world: World, rows: dict[type[models.Model], models.Model]
) -> None:
    client.force_login(world.admin.user)
    request = RequestFactory().get("/admin/")
    request.user = world.admin.user
    pages = list(admin_pages(rows, request))
    assert len(pages) >= 20
    untranslated = []
    for url in pages:
        english = labels_of(read_as(client, world.admin, "en", url))
        german_page = read_as(client, world.admin, "de", url)
        german = labels_of(german_page)
        assert len(english) == len(german), (url, english, german)
        assert english, url
        untranslated += [
            f"{url}: {words!r}"
            for words, deutsch in zip(english, german, strict=True)
            if words == deutsch and words not in SAME_IN_GERMAN | DJANGO_UNTRANSLATED
        ]
    assert not untranslated, "\n".join(untranslated)


def test_the_admin_names_our_models_in_german(world: World) -> None:
    """The names in the admin's index, breadcrumbs and titles ("Hilfethemen")."""
    same = []
    for model in helpline_models():
        for attribute in ("verbose_name", "verbose_name_plural"):
            with translation.override("en"):
                english = capfirst(str(getattr(model._meta, attribute)))
            with translation.override("de"):
                german = capfirst(str(getattr(model._meta, attribute)))
            if english == german and english not in SAME_IN_GERMAN:
                same.append(f"{model._meta.label}.{attribute}: {english}")
    assert not same, "\n".join(same)
