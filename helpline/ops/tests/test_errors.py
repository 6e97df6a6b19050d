"""Server errors reach the people who run Helpline: mail to ADMINS over SMTP, and
an event to the Sentry DSN (a local HTTP server standing in for Sentry)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from helpline.notify.tests.smtp import SMTPServer
from helpline.ops.errors import admins

ROOT = Path(__file__).resolve().parents[3]


class Envelopes(ThreadingHTTPServer):
    """Keeps the body of every POST (Sentry's envelopes), decompressed."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Envelopes

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sentry() -> Iterator[Envelopes]:
    server = Envelopes()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_unhandled_view_error_arrives_at_the_sentry_dsn_as_an_envelope(
    sentry: Envelopes, tmp_path: Path
) -> None:
    port = sentry.server_address[1]
    code = (
        "import django; django.setup();"
        "import sentry_sdk; from django.test import Client, override_settings;"
        "from django.conf import settings; assert settings.SENTRY_ENABLED;"
        "c = Client(raise_request_exception=False, HTTP_COOKIE='tracker=zz-cookie');"
        "r = override_settings(ROOT_URLCONF='helpline.ops.tests.boom_urls')(c.get)('/boom/');"
        "sentry_sdk.flush(10); print(r.status_code)"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")},
        "DJANGO_SETTINGS_MODULE": "helpline.settings_test",
        "HELPLINE_VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "testserver",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1",
        "SENTRY_ENVIRONMENT": "zz-test",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip

    assert result.stdout.strip().splitlines()[-1] == "500"
    events = [body for path, body in sentry.received if path == "/api/1/envelope/"]
    assert events, f"nothing arrived: {sentry.received!r}"
    envelope = b"\n".join(events).decode()
    items = [json.loads(line) for line in envelope.splitlines() if line.startswith("{")]
    event = next(i for i in items if i.get("exception"))
    errors = {(e["type"], e["value"]) for e in event["exception"]["values"]}
    assert ("RuntimeError", "zz-boom: a server error on purpose") in errors, errors
    assert event["environment"] == "zz-test"
    assert event["transaction"] == "/boom/", event.get("transaction")
    assert "zz-cookie" not in envelope  # no personal data: cookies stay home


@pytest.mark.urls("helpline.ops.tests.boom_urls")
def test_a_server_error_is_mailed_to_the_admins(settings: Any) -> None:
    server = SMTPServer().start()
    try:
        settings.MAILERS = server.mailer_settings()
        settings.DEBUG = False
        settings.ADMINS = admins("Ana Ops <ana@example.com>, oncall@example.com")

        response = Client(raise_request_exception=False).get("/boom/")

        assert response.status_code == 500
        [mail] = server.messages
        assert sorted(mail.rcpt_tos) == ["ana@example.com", "oncall@example.com"]
        assert "Internal Server Error: /boom/" in mail.header("Subject")
        assert "RuntimeError at /boom/\r\nzz-boom: a server error on purpose" in mail.text
    finally:
        server.stop()


def test_admins_come_from_one_variable_and_a_wrong_entry_stops_the_start() -> None:
    assert admins("") == []
    assert admins('Ana Ops <ana@example.com>, "Doe, Jane" <jane@example.com>, x@example.com') == [
        "Ana Ops <ana@example.com>",
        '"Doe, Jane" <jane@example.com>',
        "x@example.com",
    ]
    with pytest.raises(ImproperlyConfigured, match="not a mail address: Ana"):
        admins("Ana, bob@example.com")
