"""`helpline notify ...`: look at the outbox and push it from the command line.

    helpline notify list [--status failed]    what is queued, failed or sent
    helpline notify send-due                  fan out and send what is due now
    helpline notify retry [--id N ...]        failed mail (or these) again, now

Sending here is fine: this is a command, not a request.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.notify.fanout import fan_out_due
from helpline.notify.models import OutboundMessage, OutboundStatus
from helpline.notify.sending import retry, send_due


class Command(BaseCommand):
    help = "Outbound mail: list the outbox, send what is due, retry failed mail."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="Show outbox messages, newest first.")
        listing.add_argument(
            "--status", choices=[s.value for s in OutboundStatus], help="Only this status."
        )
        listing.add_argument("--limit", type=int, default=50)
        due = actions.add_parser("send-due", help="Send every message that is due now.")
        due.add_argument("--limit", type=int, default=1000)
        again = actions.add_parser(
            "retry", help="Send failed mail again now (or the messages given by --id)."
        )
        again.add_argument("--id", type=int, action="append", dest="ids", help="A message id.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options["status"], options["limit"])
        elif action == "send-due":
            fan_out_due(limit=options["limit"])  # changes whose mail is still to write
            counts = send_due(limit=options["limit"])
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            self.stdout.write(summary or "Nothing was due.")
        elif action == "retry":
            self._retry(options["ids"])
        else:  # pragma: no cover - argparse allows nothing else
            raise CommandError(f"Unknown action {action}")

    def _list(self, status: str | None, limit: int) -> None:
        rows = OutboundMessage.objects.select_related("ticket").order_by("-created_at", "-id")
        if status:
            rows = rows.filter(status=status)
        for m in rows[:limit]:
            about = f"#{m.ticket.number}" if m.ticket else "(account)"
            self.stdout.write(
                f"{m.pk:>6} {m.created_at:%Y-%m-%d %H:%M} {m.status:<8} {about} "
                f"{m.kind} to {', '.join(m.to + m.cc)} (attempts {m.attempts})"
                + (f"\n       {m.last_error}" if m.last_error else "")
            )

    def _retry(self, ids: list[int] | None) -> None:
        chosen = retry(ids, send=True)
        if not chosen:
            self.stdout.write("Nothing to retry.")
            return
        for m in OutboundMessage.objects.filter(pk__in=chosen).order_by("pk"):
            detail = f": {m.last_error}" if m.status != OutboundStatus.SENT else ""
            self.stdout.write(f"{m.pk}: {m.status}{detail}")
