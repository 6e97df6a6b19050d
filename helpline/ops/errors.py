"""Hearing about server errors: mail to ADMINS, and Sentry when SENTRY_DSN is set.

- HELPLINE_ADMINS="Ana Ops <ana@example.com>, oncall@example.com" fills ADMINS:
  Django mails them every server error (a 500) with its traceback, through the
  same mailer as all other mail (settings.MAILERS), unless DEBUG is on.
- SENTRY_DSN switches on sentry-sdk (the `helpline[sentry]` extra), imported
  only then. Unhandled errors of the web and the worker's tasks (logged at ERROR)
  become events. Sent without personal data: no cookies, no user, no request
  bodies (a ticket's text is the customer's, not the error tracker's); the
  traceback's local variables are kept, as they are what explains an error.
  SENTRY_ENVIRONMENT and SENTRY_RELEASE name the deployment;
  SENTRY_TRACES_SAMPLE_RATE (default 0) turns on performance tracing.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import formataddr, getaddresses

from django.core.exceptions import ImproperlyConfigured


def admins(value: str) -> list[str]:
    """ "Name <a@b>, c@d" as Django's ADMINS: one "Name <a@b>" string each; a
    name may hold a comma when quoted ('"Doe, Jane" <jane@example.com>')."""
    if not value.strip():
        return []
    people = getaddresses([value])
    wrong = [name or address for name, address in people if "@" not in address]
    if wrong:
        raise ImproperlyConfigured(f"HELPLINE_ADMINS: not a mail address: {', '.join(wrong)}")
    return [formataddr((name, address)) for name, address in people]


def init_sentry(environ: Mapping[str, str]) -> bool:
    """Start sentry-sdk when SENTRY_DSN is set; True if it was started."""
    dsn = environ.get("SENTRY_DSN", "").strip()
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError as error:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: install helpline[sentry]."
        ) from error
    try:
        rate = float(environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0)
    except ValueError as error:
        raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number.") from error
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environ.get("SENTRY_ENVIRONMENT") or None,
        release=environ.get("SENTRY_RELEASE") or None,
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=rate,
    )
    return True
