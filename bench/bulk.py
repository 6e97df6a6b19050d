"""A bulk close of many tickets, run by the real worker (helpline.bulk).

    .venv/bin/python bench/bulk.py --history 50000 --close 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_bulk \\
        .venv/bin/python bench/bulk.py      # an empty database

What it does, in a fresh data folder (SQLite) or the database DATABASE_URL names
(migrated, then filled; use an empty one):

1. writes `--history` tickets of a year's history (`helpline demo generate`:
   about a fifth of them still open);
2. takes `--close` open tickets as the desk's "every matching ticket" does
   (the open queue, an administrator) and makes the bulk close, timing that
   (the web request's part: the selection, the job and its items);
3. runs `helpline worker` in batch mode (the real task, in its slices) until
   the job is done, and times it.

Prints one JSON object: the request's seconds, the worker's seconds, tickets
closed per second, and the job's counts (done, refused). Figures are for one
machine and one run: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=50_000)
    parser.add_argument("--close", type=int, default=10_000)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="helpline-bench-bulk-")
    env = {"HELPLINE_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "helpline.settings"}
    helpline = [sys.executable, str(ROOT / "manage.py")]
    run_env = {**os.environ, **env}
    subprocess.run([*helpline, "migrate", "-v0"], env=run_env, check=True, cwd=ROOT)
    subprocess.run(
        [*helpline, "demo", "generate", "--tickets", str(args.history)],
        env=run_env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from helpline.accounts.models import Agent
    from helpline.bulk import runner
    from helpline.bulk.models import BulkJob
    from helpline.bulk.selection import Target
    from helpline.tickets import queues

    admin = Agent.objects.select_related("user").get(user__username="jane.doe")
    started = time.perf_counter()
    selection = queues.select(admin, "open", {"sort": "oldest"})
    assert selection is not None
    rows = selection.tickets.values_list("pk", "number", "version")[: args.close]
    targets = [Target(pk, number, version) for pk, number, version in rows]
    job = runner.start(admin, "close", {"reason": "Bench"}, targets)
    request_seconds = time.perf_counter() - started

    started = time.perf_counter()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    worker_seconds = time.perf_counter() - started
    job = BulkJob.objects.get(pk=job.pk)
    print(
        json.dumps(
            {
                "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
                "history": args.history,
                "tickets": job.total,
                "request_seconds": round(request_seconds, 2),
                "worker_seconds": round(worker_seconds, 1),
                "tickets_per_second": round(job.total / worker_seconds, 1),
                "done": job.done,
                "refused": job.refused,
                "state": job.state,
            }
        )
    )


if __name__ == "__main__":
    main()
