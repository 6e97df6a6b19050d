"""Real concurrency in tests: jobs in threads released at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(*jobs: Callable[[], object], timeout: float = 30) -> list[object]:
    """Run the jobs in threads released together; each result or raised exception.
    Each thread closes its own database connection when done."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = job()
        except BaseException as exc:  # reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results
