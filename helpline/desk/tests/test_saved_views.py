"""Saved views: a queue as an agent shapes it (filters, columns, sort, density),
for themselves or shared with a department or a team, counted in the sidebar."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.desk import saved_views
from helpline.desk.models import Density, SavedView, Sharing
from helpline.search.tests.helpers import index
from helpline.ticket_tasks import lifecycle as ticket_tasks
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket


def form(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Printers by due time",
        "queue": "open",
        "topic": str(world.topic.pk),
        "sort": "due",
        "columns": ["number", "subject", "due", "sla"],
        "density": Density.COMPACT,
        "share": Sharing.PERSONAL,
    }
    data.update(changes)
    return data


def save(client: Client, agent: Agent, data: dict[str, Any]) -> SavedView:
    client.force_login(agent.user)
    answer = client.post(reverse("desk:view_new"), data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    view = SavedView.objects.get(name=data["name"])
    assert answer["Location"] == reverse("desk:view", args=[view.pk])
    return view


def headers(html: str) -> list[str]:
    head = html[html.index("<thead") : html.index("</thead>")]
    return [
        re.sub(r"<[^>]+>|[▲▼↕]", "", th).strip()
        for th in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
    ]


def test_a_view_saved_from_a_queue_shows_its_tickets_in_its_columns(
    client: Client, world: World
) -> None:
    printer = world.open("Printer jam")
    world.open("Quote please", topic=world.sales_topic)
    client.force_login(world.agent.user)
    queue = client.get(reverse("desk:queue", args=["open"]), {"topic": world.topic.pk})
    # "Save as view" sends the filters form to the new view's form.
    assert 'formaction="/desk/views/new/" name="queue" value="open"' in queue.content.decode()
    prefilled = client.get(
        reverse("desk:view_new"), {"queue": "open", "topic": str(world.topic.pk), "sort": "due"}
    ).content.decode()
    assert f'<option value="{world.topic.pk}" selected>' in prefilled

    view = save(client, world.agent, form(world))

    assert (view.owner, view.queue, view.filters) == (
        world.agent,
        "open",
        {"topic": str(world.topic.pk)},
    )
    assert view.columns == ["number", "subject", "due", "sla"]
    page = client.get(reverse("desk:view", args=[view.pk])).content.decode()
    assert headers(page) == ["Ticket", "Subject", "Due", "SLA"]
    assert f"#{printer.number}" in page and "Quote please" not in page
    assert 'class="list compact shaped"' in page
    assert 'aria-sort="ascending"' in page  # by due time, soonest first
    # In the sidebar, with its count.
    assert re.search(rf'data-view="{view.pk}">\s*<span title="Printers by due time">', page)


def test_moving_a_column_shows_the_form_again_and_saves_nothing(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)
    answer = client.post(reverse("desk:view_new"), form(world, move="due:up"))

    assert answer.status_code == 200
    html = answer.content.decode()
    order = re.findall(r'<li data-column="(\w+)">', html)
    assert order[:4] == ["number", "due", "subject", "sla"]
    assert 'value="Printers by due time"' in html  # what was typed stays
    assert not SavedView.objects.exists()


def test_a_view_needs_a_name_and_a_column_and_keeps_what_was_typed(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)
    answer = client.post(reverse("desk:view_new"), form(world, name="  ", columns=[]))

    assert answer.status_code == 400
    html = answer.content.decode()
    assert "Give the view a name." in html and "Choose at least one column." in html
    assert f'<option value="{world.topic.pk}" selected>' in html
    assert not SavedView.objects.exists()


def test_a_view_shared_with_a_department_is_its_agents_and_its_supervisors_to_change(
    client: Client, world: World
) -> None:
    view = save(
        client,
        world.supervisor,
        form(world, name="Support board", share=f"department:{world.support.pk}"),
    )
    assert (view.sharing, view.department) == (Sharing.DEPARTMENT, world.support)

    client.force_login(world.agent.user)
    page = client.get(reverse("desk:view", args=[view.pk])).content.decode()
    assert "Support board" in page and "Shared with Support" in page
    assert reverse("desk:view_edit", args=[view.pk]) not in page  # not Alice's to change
    assert client.get(reverse("desk:view_edit", args=[view.pk])).status_code == 404
    assert client.post(reverse("desk:view_delete", args=[view.pk])).status_code == 404

    client.force_login(world.other_agent.user)  # Sales
    assert client.get(reverse("desk:view", args=[view.pk])).status_code == 404
    assert "Support board" not in client.get(reverse("desk:dashboard")).content.decode()


def test_only_a_departments_supervisor_may_share_with_it(client: Client, world: World) -> None:
    client.force_login(world.agent.user)
    answer = client.post(
        reverse("desk:view_new"), form(world, share=f"department:{world.support.pk}")
    )

    assert answer.status_code == 400
    assert "is not one of the available choices" in answer.content.decode()
    # With her team she may.
    view = save(client, world.agent, form(world, name="Level II", share=f"team:{world.team.pk}"))
    client.force_login(world.supervisor.user)  # in the team
    assert client.get(reverse("desk:view", args=[view.pk])).status_code == 200


def test_a_header_sorts_by_its_column_and_a_second_click_turns_it_round(
    client: Client, world: World
) -> None:
    old = world.open("Old one")
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    new = world.open("New one")
    view = save(client, world.agent, form(world, columns=["number", "subject", "created"]))
    url = reverse("desk:view", args=[view.pk])

    newest = client.get(url, {"sort": "created"}).content.decode()
    assert newest.index("New one") < newest.index("Old one")
    assert 'aria-sort="descending"' in newest
    assert f'href="{url}?sort=oldest"' in newest  # the second click
    oldest = client.get(url, {"sort": "oldest"}).content.decode()
    assert oldest.index("Old one") < oldest.index("New one")
    assert 'aria-sort="ascending"' in oldest
    # A sort that is none keeps the view's own (due time: not one of its columns).
    assert "aria-sort" not in client.get(url, {"sort": "nope"}).content.decode()
    assert new.pk and SavedView.objects.get(pk=view.pk).sort == "due"  # a click saves nothing


def test_a_cursor_that_is_not_ours_is_refused_with_the_reason(client: Client, world: World) -> None:
    view = save(client, world.agent, form(world))
    answer = client.get(reverse("desk:view", args=[view.pk]), {"cursor": "forged"})
    assert answer.status_code == 400
    assert "This queue cannot be shown." in answer.content.decode()


def test_a_view_with_a_search_lists_what_it_finds_in_its_queue_newest_first(
    client: Client, world: World
) -> None:
    toner = [world.open(f"Toner {i} is empty") for i in range(3)]
    world.open("Paper jam")
    lifecycle.close(toner[0], actor=world.admin, reason="Refilled")
    index()
    client.force_login(world.agent.user)
    found = client.get(reverse("desk:search"), {"q": "toner"}).content.decode()
    assert f'formaction="{reverse("desk:view_new")}"' in found  # "Save as view"
    prefilled = client.get(reverse("desk:view_new"), {"q": "toner"}).content.decode()
    assert 'name="search" value="toner"' in prefilled

    view = save(client, world.agent, form(world, search="toner", columns=["number", "subject"]))

    html = client.get(reverse("desk:view", args=[view.pk])).content.decode()
    listed = re.findall(r"Toner (\d) is empty", html)
    assert listed == ["2", "1"]  # open ones (the queue), newest first
    assert "Paper jam" not in html
    assert "Search:" in html and ">toner</code>" in html
    assert "?sort=" not in html  # its headers sort nothing
    assert "data-bulk-select-matching" not in html  # a page's tickets, not "all matching"
    counts, pending = saved_views.view_counts(world.agent, [view], read=True)
    assert counts[view.pk] == saved_views.ViewCount(2) and pending == []


def test_a_search_that_cannot_run_is_refused_when_the_view_is_saved(
    client: Client, world: World
) -> None:
    client.force_login(world.agent.user)
    answer = client.post(reverse("desk:view_new"), form(world, search="nope:thing"))

    assert answer.status_code == 400
    html = answer.content.decode()
    assert "“nope:”" in html and 'value="nope:thing"' in html
    assert not SavedView.objects.exists()


def test_counts_come_from_the_counters_or_stop_at_the_cap(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved_views, "COUNT_CAP", 3)
    for i in range(5):
        world.open(f"Printer {i}")
    lifecycle.assign(world.open("Assigned"), actor=world.admin, agent=world.agent)
    counted = save(
        client,
        world.agent,
        form(world, name="Support open", topic="", department=str(world.support.pk)),
    )
    capped = save(client, world.agent, form(world, name="Printers"))
    mine = save(client, world.agent, form(world, name="Mine", topic="", queue="mine"))

    counts, pending = saved_views.view_counts(world.agent, [counted, capped, mine], read=True)

    assert counts[counted.pk] == saved_views.ViewCount(6)  # the counters: no cap
    assert counts[capped.pk] == saved_views.ViewCount(3, capped=True)
    assert counts[mine.pk] == saved_views.ViewCount(1)
    assert pending == []
    page = client.get(reverse("desk:view", args=[capped.pk])).content.decode()
    assert ">3+</span>" in page and "more than 3 tickets" in page  # as read just now


def test_a_views_page_costs_the_same_queries_for_more_tickets(
    client: Client, world: World, django_assert_num_queries: Any
) -> None:
    view = save(client, world.agent, form(world, columns=list(saved_views.COLUMNS)))
    save(
        client, world.agent, form(world, name="Support", topic="", department=str(world.support.pk))
    )
    url = reverse("desk:view", args=[view.pk])
    world.open()

    def pinned() -> None:
        # session, user, agent, access, teams, the sidebar's views (the one shown
        # among them), the page's tickets (the ids of the agent's ranges, then
        # the tickets), who is on them, their open tasks, 6 option lists, the
        # queues' counts, the views' counters. The topic view's count is not
        # read for the page: the sidebar asks for it once the page is shown.
        with django_assert_num_queries(18):
            page = client.get(url).content.decode()
        assert f'id="view-count-{view.pk}" aria-label="not counted yet"' in page
        assert 'hx-get="/desk/views/counts/" hx-trigger="load"' in page
        # session, user, agent, access, teams, the views, the counters, the read.
        with django_assert_num_queries(8):
            counted = client.get(reverse("desk:view_counts")).content.decode()
        assert f'id="view-count-{view.pk}" hx-swap-oob="true"' in counted
        caches[saved_views.COUNT_CACHE].clear()

    pinned()
    for i in range(30):
        ticket = world.open(f"More {i}")
        ticket_tasks.add_task(ticket, actor=world.agent, title="Check toner", agent=world.agent)
        if i % 3 == 0:
            lifecycle.assign(ticket, actor=world.admin, agent=world.agent, team=world.team)
    pinned()


def test_a_count_read_is_shown_by_the_next_pages_without_reading_it_again(
    client: Client, world: World, django_assert_num_queries: Any
) -> None:
    for i in range(3):
        world.open(f"Printer {i}")
    view = save(client, world.agent, form(world))
    client.get(reverse("desk:view_counts"))
    page = client.get(reverse("desk:dashboard")).content.decode()
    assert re.search(rf'id="view-count-{view.pk}" aria-label="3 tickets">3</span>', page)
    assert 'hx-get="/desk/views/counts/"' not in page  # nothing left to count


def test_a_list_htmx_asks_for_reads_no_sidebar(
    client: Client, world: World, django_assert_num_queries: Any
) -> None:
    view = save(client, world.agent, form(world))
    world.open()
    # session, user, agent, access, teams, the views (the one asked for among
    # them), its tickets (ids, tickets), who is on them, 6 option lists (the
    # selection bar's): no counts.
    with django_assert_num_queries(15):
        answer = client.get(reverse("desk:view", args=[view.pk]), headers={"HX-Request": "true"})
    assert answer.status_code == 200 and b"views-title" not in answer.content


def test_the_columns_show_what_the_rows_do_not_hold(client: Client, world: World) -> None:
    ticket = world.open("Printer jam")
    ticket_tasks.add_task(ticket, actor=world.agent, title="Order toner", agent=world.agent)
    ticket_tasks.add_task(ticket, actor=world.agent, title="Call Ken", agent=world.agent)
    view = save(
        client, world.agent, form(world, columns=["number", "tasks", "sla", "organization"])
    )

    page = client.get(reverse("desk:view", args=[view.pk])).content.decode()
    cell = re.search(r'class="col-tasks num" data-label="Open tasks">(.*?)</td>', page, re.S)
    assert cell is not None and cell.group(1).strip() == "2"
    assert "badge-sla-" in page


def test_sla_states(world: World) -> None:
    ticket = world.open()
    now = timezone.now()
    ticket.due_at = now + timedelta(hours=5)
    assert saved_views.sla_state(ticket, now)[0] == "ok"
    ticket.due_at = now + timedelta(minutes=30)
    assert saved_views.sla_state(ticket, now)[0] == "soon"
    ticket.is_overdue = True
    assert saved_views.sla_state(ticket, now)[0] == "overdue"
    ticket.sla_paused_at = now
    assert saved_views.sla_state(ticket, now)[0] == "paused"
    ticket.due_at, ticket.sla_paused_at, ticket.is_overdue = None, None, False
    assert saved_views.sla_state(ticket, now)[0] == "none"


def test_an_agent_keeps_a_bounded_number_of_views(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved_views, "MAX_OWN", 2)
    save(client, world.agent, form(world, name="One"))
    save(client, world.agent, form(world, name="Two"))
    answer = client.post(reverse("desk:view_new"), form(world, name="Three"))
    assert answer.status_code == 400
    assert "You can keep at most 2 views" in answer.content.decode()


def test_the_owner_changes_and_deletes_a_view(client: Client, world: World) -> None:
    view = save(client, world.agent, form(world))
    edit = reverse("desk:view_edit", args=[view.pk])
    assert 'value="Printers by due time"' in client.get(edit).content.decode()

    answer = client.post(edit, form(world, name="Renamed", density=Density.COMFORTABLE))
    assert answer.status_code == 302
    view.refresh_from_db()
    assert (view.name, view.density) == ("Renamed", Density.COMFORTABLE)

    assert client.post(reverse("desk:view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_the_csv_of_a_view_is_its_queue_with_its_filters_even_on_a_refused_page(
    client: Client, world: World
) -> None:
    view = save(client, world.agent, form(world))
    export = reverse("reports:queue_export", args=["open"])
    for params in ({}, {"cursor": "forged"}):
        html = client.get(reverse("desk:view", args=[view.pk]), params).content.decode()
        assert f'href="{export}?topic={world.topic.pk}&amp;sort=due"' in html
    searching = save(client, world.agent, form(world, name="Toner", search="toner"))
    html = client.get(reverse("desk:view", args=[searching.pk])).content.decode()
    assert export not in html  # not the queue's: wider than the search


def test_the_ticket_number_is_always_a_column(client: Client, world: World) -> None:
    view = save(client, world.agent, form(world, columns=["subject", "status", "status"]))
    assert view.columns == ["number", "subject", "status"]
    page = client.get(reverse("desk:view", args=[view.pk])).content.decode()
    assert "data-bulk-all" in page or "No tickets here" in page


def test_who_changes_a_view_keeps_what_it_holds_outside_their_own_lists(
    client: Client, world: World
) -> None:
    """The administrator's view of Sales tickets, shared with Support: Sam, who
    supervises Support only, renames it; its Sales filter and its sharing stay."""
    view = SavedView.objects.create(
        name="Sales watch",
        owner=world.admin,
        sharing=Sharing.DEPARTMENT,
        department=world.support,
        filters={"department": str(world.sales.pk)},
        columns=["number", "subject"],
    )
    client.force_login(world.supervisor.user)
    edit = reverse("desk:view_edit", args=[view.pk])
    html = client.get(edit).content.decode()
    assert (
        f'<option value="{world.sales.pk}" selected>#{world.sales.pk} (not among your choices)'
        in html
    )
    assert 'value="personal"' not in html  # not his to make the owner's alone

    answer = client.post(
        edit,
        form(
            world,
            name="Sales watch, renamed",
            topic="",
            department=str(world.sales.pk),
            share=f"department:{world.support.pk}",
        ),
    )
    assert answer.status_code == 302
    view.refresh_from_db()
    assert view.filters == {"department": str(world.sales.pk)}
    assert (view.name, view.owner, view.department) == (
        "Sales watch, renamed",
        world.admin,
        world.support,
    )
    forged = client.post(edit, form(world, share=Sharing.PERSONAL))
    assert forged.status_code == 400


def test_a_teams_lead_sees_and_changes_its_views(client: Client, world: World) -> None:
    view = save(client, world.agent, form(world, share=f"team:{world.team.pk}"))
    lead = world.team.lead
    assert lead is not None
    world.team.members.remove(lead)
    client.force_login(lead.user)
    assert client.get(reverse("desk:view", args=[view.pk])).status_code == 200
    assert client.get(reverse("desk:view_edit", args=[view.pk])).status_code == 200


def test_moving_a_column_keeps_a_long_search_whole(client: Client, world: World) -> None:
    typed = "printer " * 40
    client.force_login(world.agent.user)
    html = client.post(
        reverse("desk:view_new"), form(world, search=typed, move="due:up")
    ).content.decode()
    assert f'value="{typed.strip()}' in html or f'value="{typed}"' in html
    assert 'value="due:up" class="btn btn-small" autofocus' in html or "autofocus" in html


def test_a_search_view_may_look_through_every_ticket_and_a_queue_view_may_not(
    client: Client, world: World
) -> None:
    closed = world.open("Toner arrived")
    lifecycle.close(closed, actor=world.admin, reason="Done")
    world.open("Toner low")
    index()
    client.force_login(world.agent.user)
    prefilled = client.get(reverse("desk:view_new"), {"q": "toner"}).content.decode()
    assert '<option value="all" selected>' in prefilled

    refused = client.post(reverse("desk:view_new"), form(world, queue="all"))
    assert refused.status_code == 400
    assert "is for a view with a search" in refused.content.decode()

    view = save(client, world.agent, form(world, queue="all", search="toner", topic=""))
    html = client.get(reverse("desk:view", args=[view.pk])).content.decode()
    assert "Toner arrived" in html and "Toner low" in html
    assert "Every ticket you can see" in html


def test_a_stored_filter_that_is_no_id_counts_nothing_and_breaks_no_page(
    client: Client, world: World
) -> None:
    view = save(client, world.agent, form(world, topic=""))
    SavedView.objects.filter(pk=view.pk).update(filters={"department": "\u00b2", "team": "9" * 30})
    view.refresh_from_db()
    counts, _pending = saved_views.view_counts(world.agent, [view], read=True)
    assert counts[view.pk] == saved_views.ViewCount(0)
    assert client.get(reverse("desk:dashboard")).status_code == 200
    assert client.get(reverse("desk:view", args=[view.pk])).status_code == 400


def test_two_of_ones_own_views_do_not_share_a_name(client: Client, world: World) -> None:
    save(client, world.agent, form(world))
    answer = client.post(reverse("desk:view_new"), form(world, name="printers BY due time"))
    assert answer.status_code == 400
    assert "There is a view of that name already" in answer.content.decode()


def test_sharing_another_departments_tickets_says_who_sees_what(
    client: Client, world: World
) -> None:
    client.force_login(world.admin.user)
    answer = client.post(
        reverse("desk:view_new"),
        form(
            world, topic="", department=str(world.sales.pk), share=f"department:{world.support.pk}"
        ),
        follow=True,
    )
    assert "lists another department&#x27;s tickets" in answer.content.decode()


def test_the_form_says_so_before_it_is_filled_when_no_view_can_be_added(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved_views, "MAX_OWN", 1)
    save(client, world.agent, form(world))
    html = client.get(reverse("desk:view_new")).content.decode()
    assert "You already have 1 views, the most allowed" in html


def test_a_queues_link_filters_are_kept_by_its_form_and_a_bad_customer_is_dropped(
    client: Client, world: World
) -> None:
    world.open()
    client.force_login(world.agent.user)
    params = {"team": str(world.team.pk), "customer": str(world.customer.pk)}
    html = client.get(reverse("desk:queue", args=["open"]), params).content.decode()
    assert f'<input type="hidden" name="team" value="{world.team.pk}">' in html
    assert f'<input type="hidden" name="customer" value="{world.customer.pk}">' in html
    prefilled = client.get(reverse("desk:view_new"), {"customer": "abc"}).content.decode()
    assert "Not a valid customer number" not in prefilled
    assert 'name="customer" value="abc"' not in prefilled


def test_the_views_page_lists_every_view_the_agent_may_open(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved_views, "MAX_SHOWN", 1)
    own = save(client, world.agent, form(world, name="B mine"))
    shared = SavedView.objects.create(
        name="A board", owner=world.supervisor, sharing=Sharing.DEPARTMENT, department=world.support
    )
    SavedView.objects.create(name="Sam's own", owner=world.supervisor)
    dashboard = client.get(reverse("desk:dashboard")).content.decode()
    assert f'data-view="{shared.pk}"' not in dashboard  # past the sidebar's one (own first)
    assert "All views…" in dashboard

    html = client.get(reverse("desk:views")).content.decode()
    assert html.index("A board") < html.index("B mine") and "Sam&#x27;s own" not in html
    assert reverse("desk:view_edit", args=[own.pk]) in html
    assert reverse("desk:view_edit", args=[shared.pk]) not in html  # Sam's to change


def test_a_search_views_later_page_links_to_its_first(
    client: Client, world: World, settings: Any
) -> None:
    settings.HELPLINE_QUEUE_PAGE_SIZE = 2
    for i in range(3):
        world.open(f"Toner {i} is empty")
    index()
    view = save(client, world.agent, form(world, search="toner", columns=["number", "subject"]))
    url = reverse("desk:view", args=[view.pk])
    first = client.get(url).content.decode()
    assert 'rel="first"' not in first
    later = re.search(r'href="([^"]+)" rel="next"', first)
    assert later is not None
    second = client.get(later.group(1).replace("&amp;", "&")).content.decode()
    assert "Toner 0 is empty" in second
    assert f'href="{url}" rel="first"' in second


def test_the_number_and_last_update_headers_turn_round_too(client: Client, world: World) -> None:
    first, second = world.open("First"), world.open("Second")
    Ticket.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(days=1))
    client.force_login(world.agent.user)
    queue = reverse("desk:queue", args=["open"])
    newest = client.get(queue).content.decode()  # by last update, newest first
    assert f'href="{queue}?sort=least_updated"' in newest
    stale = client.get(queue, {"sort": "least_updated"}).content.decode()
    assert stale.index("First") < stale.index("Second")
    assert 'aria-sort="ascending"' in stale
    by_number = client.get(queue, {"sort": "number"}).content.decode()
    assert f'href="{queue}?sort=number_desc"' in by_number
    highest = client.get(queue, {"sort": "number_desc"}).content.decode()
    order = sorted([first.number, second.number], reverse=True)
    assert highest.index(f"#{order[0]}") < highest.index(f"#{order[1]}")
