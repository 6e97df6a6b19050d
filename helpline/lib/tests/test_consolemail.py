"""Development mail is written to files, readable, with one log line each; its
links point at the port the site was started on."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMessage, EmailMultiAlternatives

from helpline.lib.consolemail import EmailBackend, readable

ROOT = Path(__file__).resolve().parents[3]
LINK = "https://127.0.0.1:8123/password/reset/MQ/d0h7x2-0123456789abcdef0123456789abcdef/?a=1&b=2"


def printed(message: EmailMultiAlternatives, directory: Path) -> str:
    assert EmailBackend(directory=directory).send_messages([message]) == 1
    [written] = directory.iterdir()
    return written.read_text(encoding="utf-8")


def test_a_mail_in_its_file_reads_as_written(tmp_path: Path) -> None:
    body = (
        "Grüße, Zoë! Choose a new password here, within the hour:\n"
        f"{LINK}\n"
        "If it was not you, ignore this mail; nothing changes. " + "Long line. " * 20 + "End."
    )
    message = EmailMultiAlternatives(
        "Réinitialiser votre mot de passe — Helpline",
        body,
        "Helpline <helpdesk@example.com>",
        ["Zoë Ünal <zoe@example.com>"],
        headers={"Reply-To": "support+t.123@example.com"},
    )
    message.attach_alternative(f"<p>Grüße</p><a href='{LINK}'>x</a>", "text/html")
    message.attach("log.txt", b"smoke\n", "text/plain")

    out = printed(message, tmp_path)

    assert "Subject: Réinitialiser votre mot de passe — Helpline" in out
    assert "To: Zoë Ünal <zoe@example.com>" in out
    assert "Reply-To: support+t.123@example.com" in out
    assert body in out  # every line whole, nothing encoded
    assert LINK in out
    assert "=?utf-8?" not in out and "=3D" not in out and "=C3" not in out
    assert "[text/html version of the text above:" in out
    assert "[attachment: log.txt, text/plain, 6 bytes]" in out


def test_each_mail_gets_a_file_of_its_own_and_one_log_line(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="helpline.mail")
    mails = [
        EmailMessage(f"Subject {n}", f"zz-body {n}", "helpdesk@example.com", [f"p{n}@example.com"])
        for n in range(2)
    ]

    assert EmailBackend(directory=tmp_path / "mail").send_messages(mails) == 2

    files = sorted((tmp_path / "mail").iterdir())
    assert len(files) == 2
    assert {f.read_text().count("zz-body") for f in files} == {1}
    lines = [r.getMessage() for r in caplog.records if r.name == "helpline.mail"]
    assert len(lines) == 2
    assert all("\n" not in line and "zz-body" not in line for line in lines)
    assert "p0@example.com" in lines[0] and "'Subject 0'" in lines[0]


def _base_url(env: dict[str, str]) -> str:
    code = "from django.conf import settings; print(settings.HELPLINE_BASE_URL)"
    environ = {k: v for k, v in os.environ.items() if k not in {"PORT", "HELPLINE_BASE_URL"}}
    environ.update(env, DJANGO_SETTINGS_MODULE="helpline.settings")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_mailed_links_follow_the_port_the_site_was_started_on() -> None:
    assert _base_url({"PORT": "8123"}) == "http://127.0.0.1:8123"
    assert _base_url({}) == "http://127.0.0.1:8000"
    assert _base_url({"PORT": "nonsense"}) == "http://127.0.0.1:8000"
    # A deployment's own address wins.
    assert (
        _base_url({"PORT": "8123", "HELPLINE_BASE_URL": "https://help.example.com/"})
        == "https://help.example.com"
    )


def test_control_characters_from_a_stranger_are_not_printed_raw() -> None:
    mail = EmailMessage(
        "Printer \x1b]0;owned\x07 broken",
        "Hello \x1b]52;c;ZWNobyBoaQ==\x07 and \x1b[2J bye\n",
        "helpdesk@example.com",
        ["agent@example.com"],
    )

    shown = readable(mail)

    assert "\x1b" not in shown and "\x07" not in shown
    assert "Printer" in shown and "Hello" in shown  # the rest is still readable
