"""Fixtures of the outbound-mail tests, on top of the shared `world`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpline.notify.defaults import ensure_templates
from helpline.notify.models import MailTemplate
from helpline.notify.tests.smtp import SMTPServer


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    """A real SMTP server on a free port, with Django's default mailer pointed at it."""
    server = SMTPServer().start()
    settings.MAILERS = server.mailer_settings()
    settings.EMAIL_CONFIGURED = True
    yield server
    server.stop()


@pytest.fixture
def mail_templates(db: None) -> None:
    """The template rows as the data migration leaves them. Transactional tests
    anywhere in the suite empty every table, migration data too, so tests that need
    the rows make them here."""
    MailTemplate.objects.all().delete()
    ensure_templates()
