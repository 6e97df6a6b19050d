"""Log lines, from real processes: the worker, gunicorn, a mail "sent" without
SMTP. Every line has its time, level and logger; with LOG_FORMAT=json each line
is one JSON object; a mail's body never reaches the log."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from helpline.ops.tests.tasks import fail_loudly
from helpline.worker.tests.processes import child_env

ROOT = Path(__file__).resolve().parents[3]
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+: "
)


def json_lines(stream: str) -> list[dict[str, Any]]:
    """Every line parsed as one JSON object with time, level, logger and message."""
    entries = []
    for line in stream.splitlines():
        entry = json.loads(line)  # a line that is not JSON fails here, with its text
        assert {"time", "level", "logger", "message"} <= entry.keys(), line
        assert ISO_TIME.match(entry["time"]), line
        entries.append(entry)
    return entries


def own_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A process with the real settings and a var/ of its own (no database used)."""
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT", "SMTP_HOST"}}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "HELPLINE_VAR_DIR": str(tmp_path),
        **extra,
    }


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_one_json_object_per_line_with_the_traceback_inside() -> None:
    fail_loudly.enqueue()
    result = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch", "--verbosity", "1"],
        cwd=ROOT,
        env=child_env(LOG_FORMAT="json"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    entries = json_lines(result.stderr)
    assert any(e["message"].startswith("Starting worker") for e in entries)
    failed = [e for e in entries if e["level"] == "ERROR" and "exception" in e]
    assert len(failed) == 1
    assert failed[0]["logger"] == "django.tasks"
    assert "Traceback" in failed[0]["exception"]
    assert "RuntimeError: zz-broken on purpose\nwith a second line" in failed[0]["exception"]


def test_plain_text_lines_start_with_time_level_and_logger(tmp_path: Path) -> None:
    result = run_python(
        "import logging; logging.getLogger('helpline.example').warning('Disk %s full', 'var');"
        "logging.getLogger('django.request').error('Broken', exc_info=ValueError('zz'))",
        own_env(tmp_path),
    )

    lines = result.stderr.splitlines()
    assert TEXT_LINE.match(lines[0]) and lines[0].endswith(
        " WARNING helpline.example: Disk var full"
    )
    assert TEXT_LINE.match(lines[1]) and lines[1].endswith(" ERROR django.request: Broken")
    assert lines[2:] == ["ValueError: zz"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_and_django_log_json_lines_on_stderr_and_the_access_log_on_stdout(
    tmp_path: Path,
) -> None:
    port = _free_port()
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        # The test settings: static files without `collectstatic` for the 404 page.
        env=own_env(tmp_path, LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="helpline.settings_test"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert json.loads(r.read()) == {"status": "ok"}
                break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # A view of Django's that logs (a 404 is a WARNING on django.request).
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/zz-no-such-page", timeout=5)
    finally:
        web.send_signal(signal.SIGTERM)
        stdout, stderr = web.communicate(timeout=30)

    errors, access = json_lines(stderr), json_lines(stdout)
    assert any(e["logger"] == "gunicorn.error" and "Listening at" in e["message"] for e in errors)
    assert any(e["logger"] == "django.request" and e["level"] == "WARNING" for e in errors)
    requests = [e["message"] for e in access if e["logger"] == "gunicorn.access"]
    assert any("GET /healthz" in m for m in requests)
    assert any("GET /zz-no-such-page" in m for m in requests)


def test_a_mail_without_smtp_is_one_log_line_and_a_file_never_the_body(tmp_path: Path) -> None:
    result = run_python(
        "from django.core.mail import send_mail;"
        "send_mail('Réinitialiser zz-subject', 'zz-secret-body https://x/reset/abc', "
        "'helpdesk@example.com', ['ken@example.com', 'Zoë <zoe@example.com>'])",
        own_env(tmp_path, LOG_FORMAT="json"),
    )

    assert result.stdout == ""
    assert "zz-secret-body" not in result.stderr
    [entry] = json_lines(result.stderr)
    assert entry["logger"] == "helpline.mail" and entry["level"] == "INFO"
    assert "ken@example.com" in entry["message"] and "zoe@example.com" in entry["message"]
    assert "Réinitialiser zz-subject" in entry["message"]
    [written] = (tmp_path / "mail").iterdir()
    assert str(written) in entry["message"]
    assert "zz-secret-body https://x/reset/abc" in written.read_text()
