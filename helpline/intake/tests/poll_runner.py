"""Poll one mailbox in this process and SIGKILL it in the middle of the batch.

    python -m helpline.intake.tests.poll_runner MAILBOX_ID N STAGE

STAGE "after-commit": die once the Nth message's import has committed, before it is
moved or deleted on the server. STAGE "before-commit": die inside the transaction
that imports the Nth message, after its ticket and ledger row are written. A real
SIGKILL: no exception handler, no `finally`, no QUIT or LOGOUT reaches the server.
"""

from __future__ import annotations

import os
import signal
import sys

os.environ["DJANGO_SETTINGS_MODULE"] = "helpline.intake.tests.subprocess_settings"

import django

django.setup()

from helpline.intake import fetch, ingest  # noqa: E402
from helpline.intake.models import Mailbox  # noqa: E402


def main() -> None:
    mailbox_id, kill_at, stage = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seen = 0

    def count() -> None:
        nonlocal seen
        seen += 1
        if seen == kill_at:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    if stage == "after-commit":
        after_import = fetch._after_import

        def die_before_moving(session: fetch.Session, uid: str) -> None:
            count()
            after_import(session, uid)

        fetch._after_import = die_before_moving
    else:
        write_ledger = ingest._write_ledger

        def die_before_commit(*args: object, **kwargs: object) -> None:
            write_ledger(*args, **kwargs)  # type: ignore[arg-type]
            count()

        ingest._write_ledger = die_before_commit
    fetch.poll_mailbox(Mailbox.objects.get(pk=mailbox_id))
    print("the poll finished without being killed")


if __name__ == "__main__":
    main()
