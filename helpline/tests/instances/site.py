"""The instances test's helpers that run inside the site's own database, as a child
process with the instances settings (`python -m helpline.tests.instances.site
prepare|probe`):

- `prepare`: what the fault test's site needs (helpline.tests.faults.site_db: a
  department, two agents, an API key and an agent's token), plus the cache tables,
  and passwords for the agents who sign in to the desk. Prints it as JSON.
- `probe`: print, as JSON, what the guarantees are checked against: the tickets,
  the outbox, and the runs of the periodic test job.
- `fill N`: open N tickets (for throughput.py), their mail queued, none sent.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.tests.instances.settings")

PASSWORD = "instances-Password-1"
AGENTS = ("alice.agent", "bob.agent")


def prepare() -> dict[str, Any]:
    from django.core.management import call_command

    from helpline.accounts.models import User
    from helpline.tests.faults.site_db import prepare as prepare_faults

    world = prepare_faults()
    call_command("createcachetable", verbosity=0)
    for user in User.objects.filter(username__in=AGENTS):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return {**world, "password": PASSWORD, "agents": list(AGENTS)}


def probe() -> dict[str, Any]:
    from helpline.notify.models import OutboundMessage
    from helpline.tests.instances.jobs import RUN_PREFIX
    from helpline.tickets.models import Ticket
    from helpline.worker.models import JobSchedule

    return {
        "tickets": list(Ticket.objects.values_list("number", "subject")),
        "outbox": list(OutboundMessage.objects.values_list("message_id", "status", "attempts")),
        "tick_runs": [
            at.isoformat()
            for at in JobSchedule.objects.filter(name__startswith=RUN_PREFIX)
            .order_by("next_run_at")
            .values_list("next_run_at", flat=True)
        ],
    }


def fill(tickets: int) -> dict[str, Any]:
    """Open `tickets` tickets through the lifecycle, as the customer; each commit
    queues its mail (on the queue configured: the database's or the broker's)."""
    from helpline.accounts.customers import find_or_create_customer
    from helpline.notify.models import OutboundMessage
    from helpline.tickets import lifecycle
    from helpline.tickets.models import HelpTopic

    topic = HelpTopic.objects.get(name="Faults")
    customer = find_or_create_customer(name="Tess Throughput", email="tess@example.com")
    for n in range(tickets):
        new = lifecycle.NewTicket(
            customer=customer,
            subject=f"throughput-{n}",
            body_html=f"<p>Ticket {n} of a burst.</p>",
            topic=topic,
        )
        lifecycle.open_ticket(new, actor=customer)
    return {"mails": OutboundMessage.objects.count()}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[1] == "fill":
        json.dump(fill(int(argv[2])), sys.stdout)
        return
    jobs = {"prepare": prepare, "probe": probe}
    json.dump(jobs[argv[1]](), sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv)
