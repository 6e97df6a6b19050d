"""`helpline worker`: the background worker that runs beside the web server.

It runs django-tasks-db's worker (`db_worker`), which claims queued tasks from
the database (mail, webhooks, ... scheduled by the lifecycle on commit) and runs
them. `make run` starts one next to gunicorn; a deployment runs one or more.
SIGINT/SIGTERM stop it cleanly: a running task is finished first, a second signal
aborts it.

The worker survives database trouble (a locked SQLite, a PostgreSQL restart): it
logs, backs off and tries again instead of exiting; tasks that met such trouble,
or whose worker died, are queued again; a permanent database error (a missing
table, a disk I/O error) ends it with status 3 for its supervisor to restart it.
See `helpline.worker.runner`.

Beside it, a scheduler thread queues the periodic jobs (mail polling, outbox
retries; later the SLA sweep and auto-close) when they are due, see
`helpline.worker.scheduler`: this command is the one long-running process that
owns the clock, so they belong here rather than in cron or in a request.

With HELPLINE_TASK_BROKER_URL set (tasks on RQ, helpline.ops.scaling), it runs an
RQ worker instead (`helpline.worker.broker`), with the same scheduler beside it;
--interval and the --stale-* options are the database queue's and do not apply.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Command as DbWorker
from django_tasks_db.management.commands.db_worker import valid_interval

from helpline.worker import scheduler
from helpline.worker.runner import (
    EXIT_PERMANENT,
    FIRST_DELAY,
    MAX_DELAY,
    STALE_AFTER,
    STALE_CHECK_EVERY,
    PermanentDatabaseError,
    ResilientWorker,
)

# The backend helpline.ops.scaling configures for HELPLINE_TASK_BROKER_URL.
RQ_BACKEND = "django_tasks_rq.RQBackend"


class Command(BaseCommand):
    help = "Run the background worker: queued tasks and the periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="Seconds to wait before looking again when no task is queued (default: 1).",
        )
        parser.add_argument(
            "--queue-name",
            default="*",
            help="Queues to work on, comma-separated; '*' for all (default).",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Only run queued tasks; leave periodic jobs to other workers.",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the tasks queued now, then exit (for tests and cron-style use).",
        )
        parser.add_argument(
            "--retry-delay",
            type=valid_interval,
            default=FIRST_DELAY,
            help="Seconds to wait after the first database error; doubled on each "
            f"further one, up to --max-retry-delay (default: {FIRST_DELAY:g}).",
        )
        parser.add_argument(
            "--max-retry-delay",
            type=valid_interval,
            default=MAX_DELAY,
            help=f"Longest wait between database retries (default: {MAX_DELAY:g}).",
        )
        parser.add_argument(
            "--stale-after",
            type=valid_interval,
            default=STALE_AFTER,
            help="Seconds after which a task still marked running is taken for one whose "
            f"worker died, and queued again (default: {STALE_AFTER:g}).",
        )
        parser.add_argument(
            "--stale-check-every",
            type=valid_interval,
            default=STALE_CHECK_EVERY,
            help=f"Seconds between looks for such tasks (default: {STALE_CHECK_EVERY:g}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["batch"] and not options["no_scheduler"]:
            threading.Thread(
                target=scheduler.run_forever, args=(stop,), name="scheduler", daemon=True
            ).start()
        try:
            if settings.TASKS[DEFAULT_TASK_BACKEND_ALIAS]["BACKEND"] == RQ_BACKEND:
                self._run_rq(options)
            else:
                self._run_tasks(options)
        finally:
            stop.set()

    def _run_rq(self, options: dict[str, Any]) -> None:
        from helpline.worker import broker  # RQ's modules, only when it is configured

        queues = options["queue_name"].split(",")
        if queues == ["*"]:
            queues = settings.TASKS[DEFAULT_TASK_BACKEND_ALIAS].get("QUEUES") or ["default"]
        broker.run(
            queues,
            burst=options["batch"],
            verbosity=options["verbosity"],
            first_delay=options["retry_delay"],
            max_delay=options["max_retry_delay"],
        )

    def _run_tasks(self, options: dict[str, Any]) -> None:
        # db_worker's own logging set-up, then its worker made resilient.
        DbWorker().configure_logging(options["verbosity"])
        worker = ResilientWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not options["batch"],
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
            first_delay=options["retry_delay"],
            max_delay=options["max_retry_delay"],
            stale_after=options["stale_after"],
            stale_check_every=options["stale_check_every"],
        )
        worker.configure_signals()
        try:
            worker.run()
        except PermanentDatabaseError as error:
            # Logged by the worker; a non-zero exit lets the supervisor restart it.
            raise CommandError(
                f"The worker stopped on a permanent database error: {error}",
                returncode=EXIT_PERMANENT,
            ) from error
