"""Existing installs: template rows that still hold the old built-in English text
get the translatable one (notify 0005); rows an administrator edited are kept."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from helpline.notify.defaults import ensure_templates
from helpline.notify.models import MailTemplate
from helpline.notify.rendering import default_source

migration = import_module("helpline.notify.migrations.0005_translatable_templates")

# The ticket link mail's built-in text before it was translatable.
OLD_SUBJECT = "Your ticket #{{ ticket.number }}: {{ ticket.subject }}"
OLD_TEXT = """Hello {{ recipient.name }},

here is the link to your ticket #{{ ticket.number }}:

{{ link }}

The link works for {{ valid_for }}. If you did not ask for it, ignore this mail.
"""
OLD_HTML = """<p>Hello {{ recipient.name }},</p>
<p>here is <a href="{{ link }}">the link to your ticket #{{ ticket.number }}</a>.</p>
<p>The link works for {{ valid_for }}. If you did not ask for it, ignore this mail.</p>
"""


@pytest.mark.django_db
def test_old_built_in_text_is_replaced_and_edited_text_is_kept() -> None:
    ensure_templates()
    MailTemplate.objects.filter(key="ticket_link").update(
        subject=OLD_SUBJECT, text_body=OLD_TEXT, html_body=OLD_HTML
    )
    MailTemplate.objects.filter(key="reply").update(subject="Our own subject")

    migration.update(apps, None)

    link = MailTemplate.objects.get(key="ticket_link")
    assert (link.subject, link.text_body) == (
        default_source("ticket_link").subject,
        default_source("ticket_link").text,
    )
    assert "{% blocktranslate" in link.text_body
    assert MailTemplate.objects.get(key="reply").subject == "Our own subject"
