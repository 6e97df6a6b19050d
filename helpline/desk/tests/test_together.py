"""Agents on one ticket together: drafts saved as they type, who else is on the
ticket and typing, what changed since the page was opened, and a refused send
that lists it and offers to send anyway (helpline.desk.together)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.conftest import World, make_customer
from helpline.desk import together
from helpline.desk.models import Draft, Presence
from helpline.desk.tests.test_desk import act, login
from helpline.tickets import lifecycle
from helpline.tickets.models import EntryKind, Event, EventKind, Ticket

pytestmark = pytest.mark.django_db


def _draft(client: Client, ticket: Ticket, kind: str, body: str):
    return client.post(reverse("desk:draft", args=[ticket.number, kind]), {"body": body})


def _poll(client: Client, ticket: Ticket, opened: float | None = None) -> str:
    data = {"opened": f"{opened:.3f}"} if opened is not None else {}
    response = client.post(reverse("desk:presence", args=[ticket.number]), data)
    assert response.status_code == 200
    return response.content.decode()


def _page(client: Client, ticket: Ticket) -> str:
    return client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()


def _as(agent: Agent) -> Client:
    return login(Client(), agent)


def test_a_draft_survives_a_reload_and_another_device_and_goes_once_sent(world: World) -> None:
    ticket = world.open()
    laptop = _as(world.agent)
    saved = _draft(laptop, ticket, "reply", "Unplug it and wait ten seconds")
    assert saved.status_code == 200 and "Draft saved at" in saved.content.decode()
    _draft(laptop, ticket, "note", "Customer is on the phone again")

    phone = _as(world.agent)  # another device, same agent
    page = _page(phone, ticket)
    assert re.search(r'<textarea name="body"[^>]*id="reply-body"[^>]*>\s*Unplug it and wait', page)
    assert re.search(r'id="note-body"[^>]*>\s*Customer is on the phone again', page)
    assert "Draft saved at" in page
    # Another agent starts from an empty box.
    assert "Unplug it" not in _page(_as(world.supervisor), ticket)

    response = act(phone, ticket, "reply", version=ticket.version, body="Unplug it, please.")
    assert response.status_code == 302
    assert not Draft.objects.filter(kind="reply").exists()
    assert Draft.objects.filter(kind="note").exists()  # the note's stays
    assert "Unplug it and wait" not in _page(laptop, ticket)


def test_an_emptied_box_leaves_no_draft_and_bad_drafts_are_refused(world: World) -> None:
    ticket = world.open()
    client = _as(world.agent)
    _draft(client, ticket, "reply", "Hello")
    assert Draft.objects.count() == 1
    emptied = _draft(client, ticket, "reply", "   ")
    assert emptied.status_code == 200 and not Draft.objects.exists()

    nul = _draft(client, ticket, "reply", "a\x00b")  # PostgreSQL refuses NUL in text
    assert nul.status_code == 200 and Draft.objects.get().body == "ab"
    _draft(client, ticket, "reply", "")
    too_long = _draft(client, ticket, "reply", "x" * (together.MAX_DRAFT_CHARS + 1))
    assert too_long.status_code == 413
    assert "Too long to keep as a draft." in too_long.content.decode()
    assert _draft(client, ticket, "essay", "Hello").status_code == 404
    # Another department's agent may not keep one there, nor learn it exists.
    assert _draft(_as(world.other_agent), ticket, "reply", "Hi").status_code == 404
    assert not Draft.objects.exists()


def test_agents_see_who_else_is_on_the_ticket_and_who_is_typing(world: World) -> None:
    ticket = world.open()
    alice, sam = _as(world.agent), _as(world.supervisor)
    assert "is viewing" not in _poll(alice, ticket)  # alone
    _poll(sam, ticket)
    seen_by_alice = _poll(alice, ticket)
    assert f'<strong translate="no">{world.supervisor.name}</strong> is viewing' in seen_by_alice
    assert world.supervisor.name not in _poll(sam, ticket)  # nobody sees themselves

    _draft(sam, ticket, "reply", "I'll take this one")
    assert "is typing a reply" in _poll(alice, ticket)
    # Typing stops being news after a while; being there lasts while the page polls.
    later = timezone.now() + timedelta(seconds=together.TYPING_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        _poll(sam, ticket)
        text = _poll(alice, ticket)
        assert "is viewing" in text and "is typing" not in text
    # Gone once the page stops saying it is open.
    gone = timezone.now() + timedelta(seconds=together.PRESENCE_SECONDS + 20)
    with time_machine.travel(gone, tick=False):
        assert "is viewing" not in _poll(alice, ticket)


def test_the_page_says_what_changed_since_it_was_opened(world: World) -> None:
    ticket = world.open()
    alice = _as(world.agent)
    opened = time.time()
    assert "changed since you opened it" not in _poll(alice, ticket, opened)
    lifecycle.reply(ticket, actor=world.supervisor, body_html="<p>On it.</p>")
    text = _poll(alice, ticket, opened)
    assert "This ticket changed since you opened it." in text
    assert world.supervisor.name in text
    # Her own changes are no news to her.
    assert "changed since" not in _poll(_as(world.supervisor), ticket, opened)
    # The customer writing is news; the clock's marks are not.
    lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Thanks!</p>")
    assert world.customer.name in _poll(_as(world.supervisor), ticket, opened)
    later = time.time()
    Event.objects.create(  # as the SLA sweep records it: nobody's doing
        ticket=ticket, kind=EventKind.OVERDUE, actor_name="System", created_at=timezone.now()
    )
    assert "changed since" not in _poll(alice, ticket, later)
    # A page opened after the change has nothing to say.
    assert "changed since" not in _poll(alice, ticket, time.time() + 1)
    assert "changed since" not in _poll(alice, ticket)  # no time given: nothing


def test_a_refused_send_lists_what_changed_and_sends_anyway_on_request(world: World) -> None:
    ticket = world.open()
    alice = _as(world.agent)
    page = alice.get(reverse("desk:ticket", args=[ticket.number]))
    # What the page's reply form sends back: when it was opened, and the version.
    reply_form = page.content.decode().split('id="panel-reply"', 1)[1].split("</form>", 1)[0]
    opened = re.search(r'name="opened" value="([\d.]+)"', reply_form).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', reply_form).group(1)  # type: ignore[union-attr]
    lifecycle.reply(ticket, actor=world.supervisor, body_html="<p>Already answered.</p>")

    refused = act(alice, ticket, "reply", version=version, opened=opened, body="My answer")
    assert refused.status_code == 409
    html = refused.content.decode()
    changes = html.split('data-testid="conflict-changes"', 1)[1].split("</ul>", 1)[0]
    assert world.supervisor.name in changes
    assert "send it anyway, or revise it first" in html
    assert ">Send anyway</button>" in html and "My answer" in html
    kept = refused.context["forms"]["reply"]
    # Sent again as the page sends it: its time now "opened" again, so it goes.
    sent = act(
        alice,
        ticket,
        "reply",
        version=kept["version"].value(),
        opened=kept["opened"].value(),
        body=kept["body"].value(),
    )
    assert sent.status_code == 302
    assert ticket.entries.filter(kind=EntryKind.REPLY).count() == 2


def test_a_held_reply_says_its_files_must_be_attached_again(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = world.open()
    alice = _as(world.agent)
    opened = time.time()
    lifecycle.reply(ticket, actor=world.supervisor, body_html="<p>Already answered.</p>")
    log = SimpleUploadedFile("trace.log", b"boot ok", content_type="text/plain")
    refused = act(
        alice,
        ticket,
        "reply",
        version=ticket.version,
        opened=opened,
        body="See the log",
        attachments=log,
    )
    assert refused.status_code == 409
    assert "please attach the files again" in refused.content.decode()


def test_a_time_no_page_gave_is_ignored_not_an_error(world: World) -> None:
    ticket = world.open()
    alice = _as(world.agent)
    for opened in ("1e20", "-5", "nan", "inf"):
        sent = act(alice, ticket, "reply", version=ticket.version, opened=opened, body="Hi")
        assert sent.status_code == 302, opened
    poll = alice.post(reverse("desk:presence", args=[ticket.number]), {"opened": "1e20"})
    assert poll.status_code == 200


def test_two_replies_sent_at_once_hold_the_second_under_the_lock(world: World) -> None:
    """The check is the lifecycle's, under the ticket's lock: of two replies on
    pages opened before either was sent, the second is held."""
    ticket = world.open()
    opened = timezone.now()  # both pages opened after the customer wrote
    lifecycle.reply(ticket, actor=world.supervisor, body_html="<p>First.</p>", seen_at=opened)
    with pytest.raises(lifecycle.ChangedMeanwhile):
        lifecycle.reply(ticket, actor=world.agent, body_html="<p>Second.</p>", seen_at=opened)
    # The clock's changes hold nothing back.
    later = timezone.now()
    Event.objects.create(
        ticket=ticket, kind=EventKind.OVERDUE, actor_name="System", created_at=timezone.now()
    )
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Second.</p>", seen_at=later)


def test_a_draft_save_arriving_after_the_send_keeps_nothing(world: World) -> None:
    ticket = world.open()
    alice = _as(world.agent)
    opened = time.time() - 5
    act(alice, ticket, "reply", version=ticket.version, body="Unplug it, please.")
    late = alice.post(
        reverse("desk:draft", args=[ticket.number, "reply"]),
        {"body": "Unplug it, please.", "opened": f"{opened:.3f}"},
    )
    assert late.status_code == 200 and not Draft.objects.exists()
    # A save from a page opened after the send is a new draft.
    fresh = alice.post(
        reverse("desk:draft", args=[ticket.number, "reply"]),
        {"body": "One more thing", "opened": f"{time.time() + 1:.3f}"},
    )
    assert fresh.status_code == 200 and Draft.objects.count() == 1


def test_a_poll_writes_only_every_few_seconds(world: World) -> None:
    ticket = world.open()
    alice = _as(world.agent)
    _poll(alice, ticket)
    seen = Presence.objects.get().seen_at
    _poll(alice, ticket)
    assert Presence.objects.get().seen_at == seen  # read, not written again
    later = timezone.now() + timedelta(seconds=together.SEEN_WRITE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        _poll(alice, ticket)
    assert Presence.objects.get().seen_at > seen


def test_a_live_part_of_a_page_whose_session_ended_sends_the_page_to_sign_in(
    world: World,
) -> None:
    ticket = world.open()
    gone = Client()
    response = gone.post(
        reverse("desk:presence", args=[ticket.number]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("desk:login"))
    # Without htmx: the usual redirect.
    assert gone.post(reverse("desk:presence", args=[ticket.number])).status_code == 302


def test_tidying_drops_presence_long_gone_and_drafts_left_for_a_month(world: World) -> None:
    ticket = world.open()
    together.seen(world.agent, ticket)
    together.save_draft(world.agent, ticket, together.DraftKind.REPLY, "Old words")
    assert together.tidy() == 0
    with time_machine.travel(timezone.now() + together.DRAFTS_KEPT + timedelta(hours=1)):
        together.seen(world.supervisor, ticket)  # here now: kept
        assert together.tidy() == 2  # Alice's presence and her draft
    assert list(Presence.objects.values_list("agent", flat=True)) == [world.supervisor.pk]
    assert not Draft.objects.exists()


@pytest.mark.parametrize("grown", [False, True])
def test_the_page_the_poll_and_a_draft_read_a_pinned_number_of_statements(
    world: World, django_assert_num_queries, grown: bool
) -> None:
    """Pinned, and the same for a ticket with a long thread, drafts of both kinds
    and others on it: the page reads its drafts in one statement, the poll and a
    draft's save are a few each, whatever the thread holds."""
    ticket = world.open()
    alice = _as(world.admin)
    if grown:
        for n in range(8):
            lifecycle.add_note(ticket, actor=world.agent, body_html=f"<p>note {n}</p>")
            lifecycle.reply(ticket, actor=world.supervisor, body_html=f"<p>reply {n}</p>")
        _draft(alice, ticket, "reply", "Soon")
        _draft(alice, ticket, "note", "Later")
        _poll(_as(world.agent), ticket)
        _poll(_as(world.supervisor), ticket)
        for n in range(3):
            follower = make_customer(f"Follower {n}", f"f{n}@example.net")
            lifecycle.add_collaborator(ticket, actor=world.agent, customer=follower)
    url = reverse("desk:ticket", args=[ticket.number])
    alice.get(url)  # caches warm (statuses, priorities: read once per process)
    # 20, the topic's questions (answers form), the people who follow it (Cc),
    # who is on it ("I'm on it"), its tasks (ticket_tasks), its linked tickets
    # (desk.linked: one, both ways) and the organizations the customer's details
    # may be given (desk.views.customer).
    with django_assert_num_queries(26):
        alice.get(url)
    # The poll: the session, the agent, the ticket, whether its last "still here"
    # is fresh, the write when it is not (a fresh one after the drafts below),
    # the changes (counted when there are more than it lists), the others, who
    # is on it.
    with django_assert_num_queries(9):
        _poll(alice, ticket, time.time() - 60)
    # A draft: the session, the agent, the ticket, then one transaction (a
    # savepoint here, inside the test's) of two upserts and the writer's "I'm on
    # it" marked active (a conditional UPDATE).
    with django_assert_num_queries(9):
        _draft(alice, ticket, "reply", "Soon, really")
