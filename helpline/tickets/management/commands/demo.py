from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from helpline.tickets.demo import DEMO_LOGINS, DEMO_PASSWORD, is_empty, load_demo


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Load the walkthrough's demo data (Jane, John, Ken) into an empty database; "
        "`demo generate --tickets N` writes a year of help-desk history instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            choices=["generate"],
            help="generate: fill the database with a realistic history of N tickets.",
        )
        parser.add_argument("--tickets", type=int, default=10_000, help="How many (1-10,000,000).")
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same data."
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to a database that holds tickets already (refused without it).",
        )
        parser.add_argument(
            "--now",
            type=_moment,
            default=None,
            help="The history ends at this moment (ISO 8601; default: now). With --seed, "
            "the same --now gives the same rows.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self._generate(options)
            return
        if not is_empty():
            self.stdout.write("Agents exist already; demo data not loaded.")
            return
        load_demo()
        self.stdout.write(f"Demo data loaded. Logins (password {DEMO_PASSWORD!r}):")
        for role, login, url in DEMO_LOGINS:
            self.stdout.write(f"  {role:20} {login:18} {url}")

    def _generate(self, options: dict[str, Any]) -> None:
        from helpline.tickets.generate import GenerateError, generate

        now = options["now"] or timezone.now().replace(second=0, microsecond=0)
        try:
            summary = generate(
                options["tickets"],
                seed=options["seed"],
                now=now,
                append=options["append"],
                progress=not options["no_progress"] and options["verbosity"] > 0,
            )
        except GenerateError as error:
            raise CommandError(str(error)) from None
        rows = ", ".join(f"{label.split('.')[-1]} {n:,}" for label, n in summary.rows.items())
        self.stdout.write(
            f"Generated {summary.tickets:,} tickets in {summary.seconds:.0f} s ({rows}). "
            f"Logins as for `helpline demo` (password {DEMO_PASSWORD!r}); agents agent01-agent40."
        )
