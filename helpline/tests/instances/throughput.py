"""Mail throughput through the worker, on the database queue and on the broker:
`python -m helpline.tests.instances.throughput [--tickets N] [--workers K]
[--postgres]`. Prints one JSON object per queue.

A burst is queued first, with no worker running: N tickets opened through the
lifecycle (each queues its mail on commit: an autoresponse and an alert to each of
the department's two agents), on the queue under test. Then K `helpline worker`s
start (without their schedulers: no outbox sweep sends mail behind the queue's
back), and the clock runs from the first task taken to the last mail received by a
real SMTP server (aiosmtpd, in this process). mails/s = mails / that time.

What it measures: a task per mail through the queue (the database queue's claim
and result rows, or RQ's pop and result keys in Redis), the outbox claim, one SMTP
conversation each. The machine's other load counts too: quote figures from one
run side by side, not alone. The database is a temp SQLite file, or with
--postgres a database on 127.0.0.1:5432 (named helpline_scale_throughput_*),
dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from helpline.notify.tests.smtp import SMTPServer
from helpline.tests.instances.databases import SiteDatabases
from helpline.tests.instances.harness import Worker, site_env, site_script
from helpline.tests.instances.redis import RedisServer

STARTED = re.compile(r"^(\S+) INFO \S+: Task id=\S+ path=\S+ state=RUNNING", re.MULTILINE)


def measure(
    made: SiteDatabases, template: str, folder: Path, *, broker: bool, tickets: int, workers: int
) -> dict[str, Any]:
    name = "broker" if broker else "database"
    url = made.create(f"{name}_{workers}", template=template)
    run_folder = folder / f"{name}-{workers}"
    run_folder.mkdir()
    smtp = SMTPServer().start()
    redis = RedisServer().start() if broker else None
    started: list[Worker] = []
    try:
        env = site_env(url, run_folder)
        env.update(SMTP_HOST=smtp.host, SMTP_PORT=str(smtp.port), LOG_LEVEL="INFO")
        if redis is not None:
            env["HELPLINE_TASK_BROKER_URL"] = redis.url(0)
        mails = site_script(env, "fill", str(tickets))["mails"]
        started = [Worker(env, run_folder, n, "--no-scheduler") for n in range(1, workers + 1)]
        deadline = time.monotonic() + 600
        while len({m.header("Message-ID") for m in smtp.messages}) < mails:
            if time.monotonic() > deadline or not all(w.alive() for w in started):
                raise RuntimeError("the mail did not all arrive\n" + started[0].tail())
            time.sleep(0.05)
        last = time.time()
        first = min(_epoch(stamp) for w in started for stamp in STARTED.findall(w.text())[:1])
    finally:
        for worker in started:
            worker.stop()
        smtp.stop()
        if redis is not None:
            redis.destroy()
    seconds = last - first
    return {
        "queue": "broker (RQ on Redis)" if broker else "database queue",
        "database": "postgresql" if made.postgres else "sqlite",
        "workers": workers,
        "mails": mails,
        "seconds": round(seconds, 2),
        "mails_per_second": round(mails / seconds, 1),
    }


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="helpline-throughput-"))
    suite = (
        {"ENGINE": "postgresql", "NAME": "helpline_scale_throughput", "HOST": "127.0.0.1"}
        if options.postgres
        else {"ENGINE": "sqlite3", "NAME": "throughput"}
    )
    try:
        with SiteDatabases(suite, folder) as made:
            url = made.create("template")
            site_script(site_env(url, folder), "prepare")
            for broker in (False, True):
                figures = measure(
                    made,
                    "template",
                    folder,
                    broker=broker,
                    tickets=options.tickets,
                    workers=options.workers,
                )
                print(json.dumps(figures), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
