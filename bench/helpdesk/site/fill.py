"""Fill django-helpdesk with N tickets in bulk through its ORM, and set up the
bench's caller: `python fill.py N` (in its venv, DJANGO_SETTINGS_MODULE=settings);
prints JSON.

Like Helpline's side: one queue whose new tickets alert six addresses
(new_ticket_cc, django-helpdesk's way of alerting staff) besides the submitter's
acknowledgement, so each ticket opened by the load mails 7 recipients; a staff
user with a DRF token (the API wants IsAdminUser). Each ticket gets its opening
follow-up, as django-helpdesk's own form leaves it; most are closed, spread over
the statuses as in Helpline's generated data.
"""

import json
import os
import random
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

BATCH = 5000


def main(count: int) -> dict:
    started = time.monotonic()
    rng = random.Random(11)  # noqa: S311 (test data, not secrets)
    user, _ = get_user_model().objects.get_or_create(
        username="bench",
        defaults={"email": "bench@bench.example", "is_staff": True, "is_superuser": True},
    )
    token, _ = Token.objects.get_or_create(user=user)
    queue, _ = Queue.objects.get_or_create(
        slug="bench",
        defaults={
            "title": "Bench",
            "email_address": "queue@bench.example",
            "new_ticket_cc": ",".join(f"alert{i}@bench.example" for i in range(1, 7)),
        },
    )
    # Open, reopened, resolved, closed, duplicate: about a fifth still open.
    statuses = [1] * 18 + [2] * 2 + [3] * 10 + [4] * 68 + [5] * 2
    made = Ticket.objects.count()
    while made < count:
        n = min(BATCH, count - made)
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(
                Ticket(
                    title=f"Bench ticket {made + i}",
                    queue=queue,
                    submitter_email=f"customer{rng.randrange(5000)}@customers.example",
                    status=rng.choice(statuses),
                    priority=rng.randint(1, 5),
                    description="Something is broken since this morning.",
                )
                for i in range(n)
            )
            FollowUp.objects.bulk_create(
                FollowUp(
                    ticket=ticket,
                    title="Ticket Opened",
                    comment=ticket.description,
                    public=True,
                    user=user,
                )
                for ticket in tickets
            )
        made += n
    return {
        "token": token.key,
        "queue_id": queue.pk,
        "tickets": Ticket.objects.count(),
        "fill_seconds": round(time.monotonic() - started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
