"""`helpline reports ...`: the reports' daily rollups.

    helpline reports rebuild-rollups [--start YYYY-MM-DD] [--end YYYY-MM-DD]

recounts the rollups of those local days (in REPORTS_TIME_ZONE; without dates,
all of them) from the events: after an import, a change of REPORTS_TIME_ZONE,
or when upgrading to a version that keeps them. It commits every 500 tickets:
the desk keeps working meanwhile, and a change made then is counted once, but the
reports of those days show partial figures until it ends (rollups/rebuild.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.reports import rollups


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name} {value!r} is not a date; write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "The reports' daily rollups: rebuild-rollups recounts them from the events."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        rebuild = actions.add_parser(
            "rebuild-rollups", help="Recount the daily rollups from the events."
        )
        rebuild.add_argument("--start", help="The first local day (YYYY-MM-DD); default: all.")
        rebuild.add_argument("--end", help="The last local day (YYYY-MM-DD); default: all.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild-rollups":
            self._rebuild(_day(options.get("start"), "start"), _day(options.get("end"), "end"))

    def _rebuild(self, start: date | None, end: date | None) -> None:
        if start and end and end < start:
            raise CommandError(f"--end {end} is before --start {start}.")
        last = [0]

        def progress(done: int) -> None:
            if done - last[0] >= 50_000:
                last[0] = done
                self.stdout.write(f"  {done:,} tickets ...")

        done = rollups.rebuild(start, end, progress=progress)
        days = f"{start or 'the first day'} to {end or 'the last'}"
        self.stdout.write(
            f"Rebuilt the daily rollups ({rollups.zone_name()} days, {days}) "
            f"from the events of {done:,} tickets."
        )
