"""“I'm on it” (helpline.desk.on_it): an agent tells colleagues they are working
on a ticket; one holder at a time, taken over only on confirmation; it ends when
they are done, reply or release, when the ticket is resolved, closed or
transferred, and by itself; colleagues see it on the page, in the queues and the
search results; customers never do."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.desk import on_it, together
from helpline.desk.models import OnIt
from helpline.desk.tests.test_desk import login
from helpline.search.tests.helpers import index
from helpline.tickets import lifecycle
from helpline.tickets.models import EventKind, Ticket

# The buttons' words, with the typographic apostrophe the page shows.
ON_IT = "I\u2019m on it"
DONE = "I\u2019m done"

pytestmark = pytest.mark.django_db


def _as(agent: Agent) -> Client:
    client = login(Client(), agent)
    client.raise_request_exception = True
    return client


def _press(client: Client, ticket: Ticket, do: str = "start", htmx: bool = False, **data: Any):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("desk:on_it", args=[ticket.number]), {"do": do, **data}, headers=headers
    )


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def _poll(client: Client, ticket: Ticket, shown: str = "") -> str:
    response = client.post(reverse("desk:presence", args=[ticket.number]), {"on_it_shown": shown})
    assert response.status_code == 200
    return response.content.decode()


def _holder(ticket: Ticket) -> Agent | None:
    marker = on_it.current(ticket)
    return marker.agent if marker else None


def _assigned(world: World) -> Ticket:
    ticket = world.open()
    return lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)


# --- start, stop, take over -------------------------------------------------------


def test_an_agent_says_they_are_on_it_and_colleagues_see_who_since_when(world: World) -> None:
    ticket = _assigned(world)
    started = on_it.start(world.agent, ticket)
    assert not started.asked and not started.claimed
    assert _holder(ticket) == world.agent

    page = _page(_as(world.supervisor), ticket)
    assert re.search(r'<strong translate="no">Alice Agent</strong> is on it since <time', page)
    assert "Take over…" in page
    mine = _page(_as(world.agent), ticket)
    assert "<strong>You are on it</strong> since" in mine and DONE in mine


def test_saying_it_again_keeps_the_marker_and_its_time(world: World) -> None:
    ticket = _assigned(world)
    first = on_it.start(world.agent, ticket).marker
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        again = on_it.start(world.agent, ticket)
    assert not again.asked
    assert OnIt.objects.get().since == first.since
    assert OnIt.objects.count() == 1


def test_a_colleague_is_asked_before_taking_over_and_the_one_taken_from_is_told(
    world: World,
) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)

    asked = on_it.start(world.supervisor, ticket)
    assert asked.asked and asked.marker.agent == world.agent
    assert _holder(ticket) == world.agent  # nothing changed

    taken = on_it.start(world.supervisor, ticket, take_from=world.agent.pk)
    assert not taken.asked
    assert _holder(ticket) == world.supervisor
    assert OnIt.objects.get().taken_from == world.agent
    told = _page(_as(world.agent), ticket)
    assert re.search(r'<strong translate="no">Sam Super</strong> took it over from you at', told)


def test_a_takeover_confirmed_for_someone_who_no_longer_holds_it_asks_again(
    world: World,
) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    on_it.start(world.admin, ticket, take_from=world.agent.pk)  # Ada took it meanwhile
    again = on_it.start(world.supervisor, ticket, take_from=world.agent.pk)
    assert again.asked and again.marker.agent == world.admin
    assert _holder(ticket) == world.admin


def test_two_agents_starting_at_once_leave_one_holder_and_ask_the_other(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read "nobody" before either wrote: the unique constraint lets one in,
    and the other, reading again, is asked."""
    ticket = _assigned(world)
    real = on_it.current
    calls: list[int] = []
    # Alice's, committed just after Sam's read.
    now = timezone.now()
    OnIt.objects.create(ticket=ticket, agent=world.agent, since=now, active_at=now, seen_at=now)

    def nobody_at_first(t: Ticket) -> OnIt | None:
        calls.append(1)
        return None if len(calls) == 1 else real(t)

    monkeypatch.setattr(on_it, "current", nobody_at_first)
    started = on_it.start(world.supervisor, ticket)
    assert started.asked and started.marker.agent == world.agent
    assert list(OnIt.objects.values_list("agent", flat=True)) == [world.agent.pk]


def test_i_am_done_ends_only_ones_own(world: World) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    assert not on_it.stop(world.supervisor, ticket)
    assert _holder(ticket) == world.agent
    assert on_it.stop(world.agent, ticket)
    assert _holder(ticket) is None


def test_no_event_is_written_and_the_ticket_is_not_changed(world: World) -> None:
    """A soft lock beside the ticket: a colleague's reply is not held back by it."""
    ticket = _assigned(world)
    events, version = ticket.events.count(), ticket.version
    on_it.start(world.agent, ticket)
    on_it.start(world.supervisor, ticket, take_from=world.agent.pk)
    on_it.stop(world.supervisor, ticket)
    ticket.refresh_from_db()
    assert ticket.events.count() == events and ticket.version == version


# --- who may ----------------------------------------------------------------------


def test_an_agent_who_cannot_see_the_ticket_cannot_mark_it_nor_learn_it_exists(
    world: World,
) -> None:
    ticket = _assigned(world)
    with pytest.raises(lifecycle.NotAllowed):
        on_it.start(world.other_agent, ticket)
    sales = _as(world.other_agent)
    sales.raise_request_exception = False
    assert _press(sales, ticket).status_code == 404
    assert not OnIt.objects.exists()


def test_a_ticket_that_is_not_open_cannot_be_marked_and_shows_no_button(world: World) -> None:
    ticket = lifecycle.close(_assigned(world), actor=world.supervisor)
    with pytest.raises(lifecycle.Refused):
        on_it.start(world.agent, ticket)
    assert 'id="on-it-button"' not in _page(_as(world.agent), ticket)
    refused = _press(_as(world.agent), ticket)
    assert refused.status_code == 400
    assert "This ticket is closed; reopen it first." in refused.content.decode()
    assert not OnIt.objects.exists()


def test_a_customer_never_sees_it(world: World, client: Client) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "on it" not in page.lower() and "on-it" not in page
    # The desk is not theirs at all.
    assert _press(client, ticket).status_code in (302, 403, 404)
    assert OnIt.objects.get().agent == world.agent


def test_an_inactive_agents_marker_no_longer_holds(world: World) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    world.agent.user.is_active = False
    world.agent.user.save()
    assert _holder(ticket) is None
    assert not on_it.start(world.supervisor, ticket).asked


# --- claiming -------------------------------------------------------------------------


def test_on_an_unassigned_ticket_it_claims_the_ticket_too(world: World) -> None:
    ticket = world.open()
    assert "Claims the ticket and tells colleagues" in _page(_as(world.agent), ticket)
    started = on_it.start(world.agent, ticket, claim=True, expected_version=ticket.version)
    assert started.claimed and _holder(ticket) == world.agent
    ticket.refresh_from_db()
    assert ticket.assignee == world.agent
    assert ticket.events.filter(kind=EventKind.ASSIGNED).count() == 1  # the claim's


def test_on_a_colleagues_ticket_it_does_not_reassign(world: World) -> None:
    ticket = _assigned(world)
    started = on_it.start(world.supervisor, ticket, claim=True, expected_version=ticket.version)
    assert not started.claimed
    ticket.refresh_from_db()
    assert ticket.assignee == world.agent and _holder(ticket) == world.supervisor


def test_a_claim_with_an_old_version_is_refused_and_marks_nothing(world: World) -> None:
    ticket = world.open()
    seen = ticket.version
    lifecycle.add_note(ticket, actor=world.supervisor, body_html="<p>meanwhile</p>")
    with pytest.raises(lifecycle.Conflict):
        on_it.start(world.agent, ticket, claim=True, expected_version=seen)
    response = _press(_as(world.agent), ticket, version=str(seen))
    assert response.status_code == 409
    assert not OnIt.objects.exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- how it ends ------------------------------------------------------------------------


def test_it_ends_when_its_agent_replies_or_releases_not_when_a_colleague_replies(
    world: World,
) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    lifecycle.reply(ticket, actor=world.supervisor, body_html="<p>Me too</p>")
    assert _holder(ticket) == world.agent
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Done</p>")
    assert _holder(ticket) is None

    on_it.start(world.agent, ticket)
    lifecycle.release(ticket, actor=world.agent)
    assert _holder(ticket) is None


@pytest.mark.parametrize("change", ["resolve", "close", "transfer"])
def test_it_ends_when_anyone_resolves_closes_or_transfers_the_ticket(
    world: World, change: str
) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    if change == "resolve":
        lifecycle.resolve(ticket, actor=world.supervisor, explanation_html="<p>Fixed</p>")
    elif change == "close":
        lifecycle.close(ticket, actor=world.admin)
    else:
        lifecycle.transfer(ticket, actor=world.admin, department=world.sales)
    assert not OnIt.objects.exists()


def test_it_ends_by_itself_away_from_the_page_or_idle(world: World) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    alice = _as(world.agent)
    start = timezone.now()

    # The page open (the poll) keeps it for IDLE at most: only work renews it.
    step = on_it.AWAY - timedelta(minutes=1)
    at = start
    while at + step < start + on_it.IDLE:
        at += step
        with time_machine.travel(at, tick=False):
            _poll(alice, ticket)
            assert _holder(ticket) == world.agent
    with time_machine.travel(start + on_it.IDLE + timedelta(minutes=1), tick=False):
        _poll(alice, ticket)
        assert _holder(ticket) is None
        # Pressing it again starts anew.
        assert not on_it.start(world.agent, ticket).asked
        assert _holder(ticket) == world.agent

    # Away from the page (no poll, no work) for AWAY: it ends too.
    later = start + on_it.IDLE + timedelta(minutes=1) + on_it.AWAY + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert _holder(ticket) is None
        assert not on_it.start(world.supervisor, ticket).asked  # nobody to take it from


def test_work_on_the_ticket_keeps_it_open_the_page_typing_and_changes(world: World) -> None:
    ticket = _assigned(world)
    on_it.start(world.agent, ticket)
    alice = _as(world.agent)
    at = timezone.now()
    # Every 25 minutes, for four hours, Alice opens the page, types, or adds a note.
    for n in range(10):
        at += timedelta(minutes=25)
        with time_machine.travel(at, tick=False):
            if n % 3 == 0:
                _page(alice, ticket)
            elif n % 3 == 1:
                together.save_draft(world.agent, ticket, together.DraftKind.REPLY, f"draft {n}")
            else:
                lifecycle.add_note(ticket, actor=world.agent, body_html=f"<p>note {n}</p>")
            assert _holder(ticket) == world.agent


def test_tidy_drops_ended_markers_and_keeps_the_others(world: World) -> None:
    ended, held = _assigned(world), _assigned(world)
    on_it.start(world.agent, ended)
    with time_machine.travel(timezone.now() + on_it.IDLE + timedelta(minutes=5), tick=False):
        on_it.start(world.supervisor, held)
        assert together.has_stale()
        assert together.tidy() >= 1
        assert list(OnIt.objects.values_list("ticket", flat=True)) == [held.pk]


# --- the ticket page and its poll -----------------------------------------------------


def test_the_button_works_without_script_and_takes_over_on_confirmation(world: World) -> None:
    ticket = _assigned(world)
    alice, sam = _as(world.agent), _as(world.supervisor)
    done = _press(alice, ticket)
    assert done.status_code == 302 and done["Location"].endswith(f"/tickets/{ticket.number}/")
    assert "You are on it." in _page(alice, ticket)  # the message, once

    asked = _press(sam, ticket)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "take it over? They will see that you did." in html
    assert f'name="holder" value="{world.agent.pk}"' in html
    assert _holder(ticket) == world.agent

    taken = _press(sam, ticket, do="take", holder=str(world.agent.pk))
    assert taken.status_code == 302 and _holder(ticket) == world.supervisor
    assert "took it over from you" in _page(alice, ticket)

    assert _press(sam, ticket, do="stop").status_code == 302
    assert _holder(ticket) is None
    assert _press(sam, ticket, do="nonsense").status_code == 404
    assert sam.get(reverse("desk:on_it", args=[ticket.number])).status_code == 302


def test_with_htmx_the_box_alone_is_answered(world: World) -> None:
    ticket = _assigned(world)
    alice, sam = _as(world.agent), _as(world.supervisor)
    box = _press(alice, ticket, htmx=True).content.decode()
    assert "<html" not in box and "<strong>You are on it</strong>" in box
    assert 'id="on-it-button"' in box  # focus stays on the button htmx swaps in

    asked = _press(sam, ticket, htmx=True).content.decode()
    assert "take it over?" in asked and "<html" not in asked
    cancel = sam.get(reverse("desk:on_it", args=[ticket.number]), headers={"HX-Request": "true"})
    assert "Take over…" in cancel.content.decode()

    # A claim changes the whole page: htmx loads it again.
    fresh = world.open()
    claimed = _press(alice, fresh, htmx=True, version=str(fresh.version))
    assert claimed["HX-Refresh"] == "true"
    assert "You claimed the ticket and are on it." in _page(alice, fresh)


def test_the_poll_sends_the_box_only_when_the_marker_changed(world: World) -> None:
    ticket = _assigned(world)
    sam = _as(world.supervisor)
    assert "hx-swap-oob" not in _poll(sam, ticket, shown="")
    on_it.start(world.agent, ticket)
    changed = _poll(sam, ticket, shown="")
    assert 'hx-swap-oob="innerHTML"' in changed and "Alice Agent" in changed
    key = on_it.key(on_it.current(ticket))
    assert "hx-swap-oob" not in _poll(sam, ticket, shown=key)
    on_it.stop(world.agent, ticket)
    assert ON_IT in _poll(sam, ticket, shown=key)


def test_the_page_keeps_its_live_region_and_the_poll_says_what_it_shows(world: World) -> None:
    ticket = _assigned(world)
    page = _page(_as(world.agent), ticket)
    assert '<div id="on-it" class="on-it" aria-live="polite">' in page
    assert 'hx-include="#on-it-shown"' in page
    assert 'aria-describedby="on-it-help"' in page and 'id="on-it-help"' in page


# --- the lists --------------------------------------------------------------------------


def test_the_queue_and_the_search_results_show_who_is_on_a_ticket(world: World) -> None:
    mine, theirs, free = _assigned(world), _assigned(world), _assigned(world)
    on_it.start(world.agent, mine)
    on_it.start(world.supervisor, theirs)
    alice = _as(world.agent)
    queue = alice.get(reverse("desk:dashboard")).content.decode()
    rows = dict(re.findall(r'<tr role="row" data-ticket="([^"]+)">(.*?)</tr>', queue, re.S))
    assert "You are on it" in rows[mine.number]
    assert '<span translate="no">Sam Super</span> is on it' in rows[theirs.number]
    assert "on-it-badge" not in rows[free.number]

    index()
    found = alice.get(reverse("desk:search"), {"q": "printer"}).content.decode()
    assert '<span translate="no">Sam Super</span> is on it' in found
    assert found.count('data-testid="on-it-badge"') == 2


def test_the_queue_reads_the_markers_in_one_statement_however_many(world: World) -> None:
    tickets = [_assigned(world) for _ in range(3)]
    alice = _as(world.admin)
    url = reverse("desk:dashboard")
    alice.get(url)
    with CaptureQueriesContext(connection) as none_marked:
        alice.get(url)
    for n, ticket in enumerate([*tickets, *(_assigned(world) for _ in range(8))]):
        on_it.start([world.agent, world.supervisor, world.admin][n % 3], ticket)
    with CaptureQueriesContext(connection) as all_marked:
        page = alice.get(url).content.decode()
    assert page.count('data-testid="on-it-badge"') == 11
    assert len(all_marked.captured_queries) == len(none_marked.captured_queries)
    assert sum("desk_onit" in q["sql"] for q in all_marked.captured_queries) == 1


def test_it_speaks_german_to_a_german_browser(world: World) -> None:
    ticket = _assigned(world)
    alice, sam = _as(world.agent), _as(world.supervisor)
    url = reverse("desk:ticket", args=[ticket.number])
    page = alice.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ich bin dran" in page and "Zeigt Kolleginnen und Kollegen" in page
    on_it.start(world.agent, ticket)
    assert "ist seit <time" in sam.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    queue = sam.get(reverse("desk:dashboard"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<span translate="no">Alice Agent</span> ist dran' in queue
