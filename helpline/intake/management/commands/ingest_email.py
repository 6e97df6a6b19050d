"""`helpline ingest-email`: file one raw message read on standard input.

For a mail server to pipe into, e.g. in Postfix's aliases:
    support: "|/srv/helpline/.venv/bin/helpline ingest-email --mailbox support@example.com"
Exit codes are those of sysexits.h, which mail servers act on:
    0   filed: a ticket, a reply, a note, a duplicate, ignored, or quarantined (the
        message is stored either way, so the mail server may forget it; a message
        whose MIME structure is beyond intake's bounds is quarantined, not bounced);
    75  EX_TEMPFAIL: not stored (database unreachable, unknown --mailbox, ...): the
        mail server keeps the message and tries again later;
    65  EX_DATAERR: the input is empty or not a mail message at all: it bounces.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.intake.ingest import ingest_message
from helpline.intake.models import Mailbox
from helpline.intake.parse import parse_message

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one raw email message on standard input and file it (for a mail server's pipe)."
    # A mail server calls this for every message: no system checks on each call.
    requires_system_checks: list[str] = []
    # Tests hand the message in as `stdin_bytes` (a binary file) through call_command.
    stealth_options = ("stdin_bytes",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox",
            metavar="ADDRESS",
            help="The mailbox (address) the message was delivered to; it picks the "
            "department. Default: the mailbox the message is addressed to.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: IO[bytes] = options.get("stdin_bytes") or sys.stdin.buffer
        raw = source.read()
        if not raw.strip():
            raise CommandError("The input is empty.", returncode=EX_DATAERR)
        parsed = parse_message(raw)  # once: ingest_message takes it as it is
        if not parsed.has_headers:
            raise CommandError("The input is not a mail message.", returncode=EX_DATAERR)
        try:
            mailbox = None
            if options["mailbox"]:
                mailbox = Mailbox.objects.filter(address__iexact=options["mailbox"]).first()
                if mailbox is None:
                    raise CommandError(
                        f"No mailbox {options['mailbox']} is set up.", returncode=EX_TEMPFAIL
                    )
            result = ingest_message(raw, mailbox=mailbox, channel="email", parsed=parsed)
        except CommandError:
            raise
        except Exception as e:  # the database, mostly: let the mail server retry
            raise CommandError(
                f"Could not store the message, try again later ({type(e).__name__}: {e})",
                returncode=EX_TEMPFAIL,
            ) from e
        number = f" #{result.ticket.number}" if result.ticket else ""
        self.stdout.write(
            f"{result.outcome}{number}{': ' + result.reason if result.reason else ''}"
        )
