"""`helpline search`: the search index from the command line.

helpline search status            documents, tickets without one, marks waiting
helpline search pending           index every marked ticket now (after
                                  `demo generate`, or to catch up without the worker)
helpline search reindex [--from ID]
                                  rebuild every document, in id order, in small
                                  transactions: the desk keeps working, and a
                                  change made meanwhile is indexed again after.
                                  Stopped, it says the id to go on --from.
helpline search compact           merge the index into its fastest form to read
                                  (pending and reindex end with it; the worker
                                  merges a little every ten minutes)
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Max

from helpline.search import indexer
from helpline.search.backends import backend
from helpline.search.models import Document, Pending
from helpline.tickets.models import Ticket


class Command(BaseCommand):
    help = "The search index: status, index what is pending, or rebuild it all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "pending", "reindex", "compact"])
        parser.add_argument(
            "--from",
            dest="start_after",
            type=int,
            default=0,
            help="reindex: start after this ticket id (where a stopped run ended).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress line.")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = not options["no_progress"] and options["verbosity"] > 0
        match options["action"]:
            case "status":
                self._status()
            case "pending":
                self._pending(progress)
            case "reindex":
                self._reindex(options["start_after"], progress)
        if options["action"] in ("pending", "reindex", "compact"):
            self._compact()

    def _status(self) -> None:
        tickets = Ticket.objects.count()
        documents = Document.objects.count()
        waiting = Pending.objects.count()
        self.stdout.write(
            f"{documents:,} documents for {tickets:,} tickets; {waiting:,} tickets waiting "
            f"for indexing; index pieces: {backend().fragments():,} (1 when compact)."
        )

    def _pending(self, progress: bool) -> None:
        total = Pending.objects.count()
        done = 0
        started = time.monotonic()
        while True:
            step = indexer.index_pending(limit=5_000)
            done += step
            if progress:
                self._line(f"Indexed {done:,} of about {total:,} marked tickets", started)
            if step == 0:
                break
        self._end(progress)
        self.stdout.write(f"Indexed {done:,} tickets in {time.monotonic() - started:.0f} s.")

    def _reindex(self, start_after: int, progress: bool) -> None:
        last = Ticket.objects.aggregate(last=Max("pk"))["last"] or 0
        started = time.monotonic()
        reached = start_after

        def report(done: int, upto: int) -> None:
            nonlocal reached
            reached = upto
            if progress:
                share = upto / last if last else 1
                self._line(f"Reindexed {done:,} tickets, up to id {upto:,} ({share:.0%})", started)

        try:
            done = indexer.reindex(start_after, progress=report)
        except KeyboardInterrupt:
            self._end(progress)
            self.stdout.write(f"Stopped. Go on with: helpline search reindex --from {reached}")
            raise SystemExit(1) from None
        self._end(progress)
        self.stdout.write(f"Reindexed {done:,} tickets in {time.monotonic() - started:.0f} s.")

    def _compact(self) -> None:
        started = time.monotonic()
        done = indexer.compact(full=True)
        took = time.monotonic() - started
        if done:
            self.stdout.write(f"Compacted the index in {took:.0f} s.")
        else:  # the desk kept writing: the worker's routine merge goes on with it
            self.stdout.write(f"Compacted the index for {took:.0f} s; the worker goes on with it.")

    def _line(self, text: str, started: float) -> None:
        elapsed = time.monotonic() - started
        sys.stderr.write(f"\r{text}, {elapsed:.0f} s ")
        sys.stderr.flush()

    def _end(self, progress: bool) -> None:
        if progress:
            sys.stderr.write("\n")
