"""A web request with a Host header not in ALLOWED_HOSTS: Django's plain 400 (no
template rendered for an untrusted host) and one WARNING line in the log,
without the traceback that flooded it."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

LOGGER = "django.security.DisallowedHost"


@pytest.mark.parametrize("path", ["/", "/desk/", "/desk/tickets/123456/", "/login/"])
def test_a_bad_host_is_a_plain_400_and_one_line_without_traceback(
    client: Client, db: None, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.get(path, headers={"host": "evil.example"})

    assert response.status_code == 400
    html = response.content.decode()
    # Django's own page (no 400.html): nothing of the site's, no URL built from the host.
    assert "<h1>Bad Request (400)</h1>" in html
    assert "Helpline" not in html and "evil.example" not in html and "href" not in html
    records = [r for r in caplog.records if r.name == LOGGER]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    assert "evil.example" in record.getMessage()
    assert not [r for r in caplog.records if r.exc_info]
