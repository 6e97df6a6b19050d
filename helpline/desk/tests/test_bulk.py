"""Bulk actions from the queues: the selection bar, the job's page, the export."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse

from helpline.bulk.models import BulkJob, JobState
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.models import State, Ticket


def ticked(*tickets: Ticket) -> list[str]:
    return [f"{t.pk}:{t.version}" for t in tickets]


def signed_in(client: Client, agent: Any) -> Client:
    client.force_login(agent.user)
    client.raise_request_exception = True
    return client


def test_the_queue_has_a_box_per_ticket_and_the_selection_bar(client: Client, world: World) -> None:
    ticket = world.open()
    page = signed_in(client, world.supervisor).get(reverse("desk:dashboard")).content.decode()

    assert f'name="t" value="{ticket.pk}:{ticket.version}" form="bulk-form"' in page
    assert 'id="bulk-form"' in page and "data-bulk-all" in page
    assert 'value="close"' in page  # the actions
    # Its query count is pinned with the dashboard's (test_desk.py): the bar adds none.


def test_ticked_tickets_are_closed_and_the_agent_sees_each_outcome(
    client: Client, world: World
) -> None:
    first, second = world.open("One"), world.open("Two")
    second = lifecycle.close(second, actor=world.supervisor)
    signed_in(client, world.supervisor)

    answer = client.post(
        reverse("desk:bulk_start"),
        {"t": ticked(first, second), "action": "close", "reason": "Done", "back": "/desk/"},
    )

    job = BulkJob.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("desk:bulk_job", kwargs={"pk": job.pk})
    assert Ticket.objects.get(pk=first.pk).state == State.CLOSED
    page = client.get(answer["Location"]).content.decode()
    assert "1 closed; 1 refused." in page
    assert f'data-refused="{second.number}"' in page
    assert f"#{first.number}" in page


def test_a_refused_form_is_shown_again_with_the_selection_and_what_was_typed(
    client: Client, world: World
) -> None:
    ticket = world.open()
    signed_in(client, world.supervisor)

    answer = client.post(
        reverse("desk:bulk_start"),
        {"t": ticked(ticket), "action": "resolve", "resolve_text": "", "reason": "kept"},
    )

    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Explain the resolution" in page
    assert f'name="t" value="{ticket.pk}:{ticket.version}"' in page
    assert 'value="kept"' in page
    assert not BulkJob.objects.exists()


def test_nothing_ticked_is_refused_with_a_sentence(client: Client, world: World) -> None:
    signed_in(client, world.supervisor)
    answer = client.post(reverse("desk:bulk_start"), {"action": "close"})
    assert answer.status_code == 400
    assert "Tick at least one ticket first." in answer.content.decode()


def test_every_matching_ticket_of_a_filtered_queue_is_taken(client: Client, world: World) -> None:
    support = [world.open(f"Support {i}") for i in range(3)]
    sales = world.open("Sales", topic=world.sales_topic)
    signed_in(client, world.admin)

    count = client.get(
        reverse("desk:bulk_matching"), {"queue": "open", "department": str(world.support.pk)}
    )
    answer = client.post(
        reverse("desk:bulk_start"),
        {
            "scope": "matching",
            "queue": "open",
            "department": str(world.support.pk),
            "action": "priority",
            "priority": str(world.topic.priority_id or sales.priority_id),
        },
    )

    assert "All 3 matching tickets are selected." in count.content.decode()
    job = BulkJob.objects.get()
    assert answer.status_code == 302
    assert job.total == 3
    assert set(job.items.values_list("number", flat=True)) == {t.number for t in support}


def test_a_job_is_its_agents_alone(client: Client, world: World) -> None:
    ticket = world.open()
    job_answer = signed_in(client, world.agent).post(
        reverse("desk:bulk_start"), {"t": ticked(ticket), "action": "close"}
    )
    other = Client()
    other.force_login(world.admin.user)

    assert other.get(job_answer["Location"]).status_code == 404


def test_a_job_still_running_shows_its_progress_and_polls(
    client: Client, world: World, settings: Any
) -> None:
    settings.HELPLINE_BULK_INLINE = 0
    ticket = world.open()
    signed_in(client, world.supervisor).post(
        reverse("desk:bulk_start"), {"t": ticked(ticket), "action": "close"}
    )
    job = BulkJob.objects.get()
    assert job.state == JobState.PENDING

    page = client.get(reverse("desk:bulk_job", kwargs={"pk": job.pk})).content.decode()
    part = client.get(
        reverse("desk:bulk_job", kwargs={"pk": job.pk}), headers={"HX-Request": "true"}
    ).content.decode()

    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    assert part.lstrip().startswith('<div id="bulk-progress"') and "Waiting for the worker" in part


def test_back_to_the_queue_never_leaves_the_site(client: Client, world: World) -> None:
    ticket = world.open()
    answer = signed_in(client, world.supervisor).post(
        reverse("desk:bulk_start"),
        {"t": ticked(ticket), "action": "close", "back": "https://evil.example/desk/"},
    )
    assert BulkJob.objects.get().back_url == "/desk/"
    assert "evil.example" not in client.get(answer["Location"]).content.decode()


def test_the_selection_exports_the_ticked_tickets_in_order_and_only_visible_ones(
    client: Client, world: World
) -> None:
    first, second = world.open("First"), world.open("Second")
    sales = world.open("Sales", topic=world.sales_topic)
    signed_in(client, world.agent)

    answer = client.post(reverse("reports:selection_export"), {"t": ticked(second, sales, first)})

    assert answer.status_code == 200
    body = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [second.number, first.number]
