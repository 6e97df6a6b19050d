"""The fault test's helpers that run inside the site's own database, as a child process
with the fault settings (`python -m helpline.tests.faults.site_db prepare|probe`):

- `prepare`: migrate the empty database and create what the load needs: a
  department with a help topic and two agents (so each new ticket mails the
  customer and both agents), an API key that opens tickets as the API channel,
  and an agent's token that replies. Prints the secrets and ids as JSON.
- `probe`: print, as JSON, everything the invariants are checked against: the
  tickets, the thread entries, the events, the outbox, the queue counters and the
  task queue.

The test process itself never opens this database: it holds pytest-django's own.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.tests.faults.settings")


def prepare() -> dict[str, Any]:
    from django.core.management import call_command

    from helpline.accounts.models import Agent, Department, DepartmentAccess, Role, User
    from helpline.api.models import AgentToken, ApiKey, Scope
    from helpline.tickets.defaults import ensure_defaults
    from helpline.tickets.models import HelpTopic, Priority

    call_command("migrate", verbosity=0, interactive=False)
    ensure_defaults()
    support = Department.objects.create(name="Support")
    agents = []
    for username in ("alice.agent", "bob.agent"):
        first, _, last = username.partition(".")
        user = User.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            first_name=first.title(),
            last_name=last.title(),
        )
        agent = Agent.objects.create(user=user, role=Role.AGENT)
        DepartmentAccess.objects.create(agent=agent, department=support)
        agents.append(agent)
    topic = HelpTopic.objects.create(
        name="Faults", department=support, priority=Priority.objects.get(name="Normal")
    )
    key = ApiKey(name="Load", scopes=[Scope.CREATE, Scope.READ])
    create_secret = key.set_secret()
    key.save()
    token = AgentToken(agent=agents[0], name="Load")
    reply_secret = token.set_secret()
    token.save()
    return {"create_key": create_secret, "reply_token": reply_secret, "topic_id": topic.pk}


def probe() -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from helpline.notify.models import OutboundMessage
    from helpline.tickets.models import Entry, Event, IssuedNumber, Ticket
    from helpline.tickets.tests.helpers import actual, counted

    return {
        "tickets": list(Ticket.objects.values_list("pk", "number", "subject")),
        "issued_numbers": list(IssuedNumber.objects.values_list("number", flat=True)),
        "entries": list(Entry.objects.values_list("pk", "ticket_id", "kind", "body")),
        "events": [
            [ticket, kind, n]
            for (ticket, kind), n in Counter(Event.objects.values_list("ticket_id", "kind")).items()
        ],
        "outbox": list(
            OutboundMessage.objects.values_list(
                "pk", "ticket_id", "kind", "message_id", "status", "attempts", "to", "last_error"
            )
        ),
        "counters_match": counted() == actual(),
        "tasks": dict(Counter(DBTaskResult.objects.values_list("status", flat=True))),
    }


def main(argv: list[str]) -> None:
    import django

    django.setup()
    jobs = {"prepare": prepare, "probe": probe}
    json.dump(jobs[argv[1]](), sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv)
