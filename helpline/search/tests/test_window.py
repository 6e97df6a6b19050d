"""The bounded window of a text search (helpline.search.window), with the bounds
made small: counts past the cap say "more", best match ranks the newest matches
and says so, and newest first pages on below what it examined, without gaps."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.search import window
from helpline.search.backends import backend
from helpline.search.service import search
from helpline.search.tests.helpers import index

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window, "EXAMINE", 3)
    monkeypatch.setattr(window, "EXAMINE_MAX", 6)
    monkeypatch.setattr(window, "RANK_WINDOW", 3)
    monkeypatch.setattr(window, "COUNT_CAP", 4)
    monkeypatch.setattr(window, "FIRST_CHUNK", 2)
    monkeypatch.setattr(window, "PROBE_ROWS", 2)


def test_no_cursor_or_message_depends_on_tickets_the_searcher_may_not_read(
    world: World, small: None
) -> None:
    """The review's probe: Alice (Support) compares the cursors of two searches that
    differ by a word only a Sales ticket holds; they must not differ. With the
    scope in the index, the Sales tickets are not even looked at: more of them
    than the window holds leave Alice's counts exact, not "at least"."""
    mine = world.open("Support kettle", body_html="<p>kettle</p>")
    for n in range(8):
        body = "<p>kettle merger</p>" if n == 5 else "<p>kettle</p>"
        world.open(f"Sales kettle {n}", topic=world.sales_topic, body_html=body)
    index()
    one = search("kettle", agent=world.agent, order="newest")
    two = search("kettle -merger", agent=world.agent, order="newest")
    for found in (one, two):
        assert [hit.ticket.number for hit in found.hits] == [mine.number]
        assert (found.counts, found.counts_capped, found.next_cursor) == ({"open": 1}, False, None)


def test_counts_past_the_cap_say_more(world: World, small: None) -> None:
    for n in range(5):
        world.open(f"Kettle {n}", body_html="<p>kettle</p>")
    index()
    found = search("kettle", agent=world.admin)
    assert found.counts_capped and found.total == 5  # counted 4 + 1: "more than 4"


def test_best_match_ranks_the_newest_and_says_so(world: World, small: None) -> None:
    subject_hit = world.open("Kettle", body_html="<p>Hello</p>")  # the oldest: out of the window
    newer = [world.open(f"Other {n}", body_html="<p>the kettle</p>") for n in range(4)]
    index()
    found = search("kettle", agent=world.admin)
    assert found.windowed
    shown = [hit.ticket.number for hit in found.hits]
    assert subject_hit.number not in shown and set(shown) <= {t.number for t in newer}
    # With few matches everything is ranked: the subject hit comes first.
    assert not search("hello", agent=world.admin).windowed


def test_newest_first_pages_on_below_what_it_examined(world: World, small: None) -> None:
    # The oldest of all, Olive's.
    mine = world.open("Support kettle", customer=world.outsider, actor=world.outsider)
    for n in range(7):
        world.open(f"Support kettle {n}")
    index()
    # The newest 6 matches Alice may see all fail the qualifier.
    first = search("kettle from:olive@example.org", agent=world.agent, order="newest")
    assert first.hits == [] and first.next_cursor is not None and first.counts_capped
    # The cursor names no ticket: no hit yet, so no id at all; what it counts is
    # windows looked at (reading it needs no key: it is signed).
    position = signing.loads(first.next_cursor, salt="helpline.search.cursor")
    assert position["i"] is None and position["w"] == 6
    second = search(
        "kettle from:olive@example.org", agent=world.agent, order="newest", cursor=first.next_cursor
    )
    assert [hit.ticket.number for hit in second.hits] == [mine.number]
    assert second.next_cursor is None


def test_the_page_says_at_least_and_best_among_the_newest(
    client: Client, world: World, small: None
) -> None:
    world.open("Support kettle", customer=world.outsider, actor=world.outsider)
    for n in range(7):
        world.open(f"Kettle {n}", body_html="<p>kettle</p>")
    index()
    client.force_login(world.admin.user)
    html = client.get(reverse("desk:search"), {"q": "kettle"}).content.decode()
    assert "More than 4 tickets match." in html
    assert 'id="search-window"' in html
    client.force_login(world.agent.user)
    query = {"q": "kettle from:olive@example.org", "order": "newest"}
    html = client.get(reverse("desk:search"), query).content.decode()
    assert "At least 0 tickets match: 0 open, 0 closed." in html
    assert "None of the newest tickets with these words meets the rest of the search" in html
    assert 'rel="next"' in html


@pytest.fixture(params=[True, False], ids=["probing", "scoped"])
def probing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways of a scoped search, on either database: without the scope first
    (SQLite's way), or with it from the start (PostgreSQL's)."""
    monkeypatch.setattr(type(backend()), "probes_unscoped", request.param)
    return bool(request.param)


@pytest.mark.parametrize("probe", [2, 100], ids=["too-few-seen", "all-read"])
def test_a_narrow_scope_is_exact_whichever_way_it_is_read(
    world: World, small: None, probing: bool, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice sees one Support ticket among many Sales ones: the newest matches
    read without the scope hold none of hers (2), and the page is read with the
    scope; or they are every match (100), and the page is made of them. The same
    exact answer either way, by relevance and newest first."""
    monkeypatch.setattr(window, "PROBE_ROWS", probe)
    mine = world.open("Support kettle", body_html="<p>kettle</p>")
    for n in range(8):
        world.open(f"Sales kettle {n}", topic=world.sales_topic, body_html="<p>kettle</p>")
    index()
    for order in ("newest", "relevance"):
        found = search("kettle", agent=world.agent, order=order)
        assert [hit.ticket.number for hit in found.hits] == [mine.number]
        assert (found.counts, found.counts_capped, found.next_cursor) == ({"open": 1}, False, None)
        assert not found.windowed


def test_a_wide_scope_pages_the_same_whichever_way_it_is_read(
    world: World, small: None, probing: bool
) -> None:
    """Alice sees every match: read without the scope or with it, the pages, the
    counts and the cursors are the same."""
    opened = [world.open(f"Support kettle {n}", body_html="<p>kettle</p>") for n in range(7)]
    world.open("Sales kettle", topic=world.sales_topic, body_html="<p>kettle</p>")
    index()
    shown: list[str] = []
    cursor = ""
    for _page in range(4):
        found = search("kettle", agent=world.agent, order="newest", cursor=cursor, limit=3)
        shown += [hit.ticket.number for hit in found.hits]
        if found.next_cursor is None:
            break
        cursor = found.next_cursor
    assert shown == [t.number for t in reversed(opened)]


def test_pages_from_a_probe_are_the_pages_of_the_scoped_read(
    world: World, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice sees every match (all Support): the probe without the scope fills the
    page (its 6 newest matches hold the 5 a page needs). Paged by relevance and
    newest first, with and without probing, the pages are the same, newest first
    covers every match, and none repeats."""
    monkeypatch.setattr(window, "PROBE_ROWS", 6)
    opened = [
        world.open(f"Support kettle {n}", body_html="<p>kettle</p>" * (n + 1)) for n in range(9)
    ]
    index()

    def pages(order: str) -> list[list[str]]:
        out: list[list[str]] = []
        cursor = ""
        for _page in range(8):
            found = search("kettle", agent=world.agent, order=order, cursor=cursor, limit=2)
            out.append([hit.ticket.number for hit in found.hits])
            if found.next_cursor is None:
                break
            cursor = found.next_cursor
        return out

    engine = type(backend())
    for order in ("relevance", "newest"):
        monkeypatch.setattr(engine, "probes_unscoped", True)
        probed = pages(order)
        monkeypatch.setattr(engine, "probes_unscoped", False)
        assert probed == pages(order), order
        shown = [number for page in probed for number in page]
        assert len(shown) == len(set(shown)), order
    assert shown == [t.number for t in reversed(opened)]  # newest first: all of them


def test_batches_that_grow_leave_no_match_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matches are taken twice what the page needs first (4), then four times more
    (16), up to EXAMINE (20) and the bound (24): the page stops at 24 matches
    looked at, and the next goes on from there to Olive's, the oldest."""
    monkeypatch.setattr(window, "EXAMINE", 20)
    monkeypatch.setattr(window, "EXAMINE_MAX", 24)
    monkeypatch.setattr(window, "COUNT_CAP", 1)
    monkeypatch.setattr(window, "PROBE_ROWS", 2)
    mine = world.open("Support kettle", customer=world.outsider, actor=world.outsider)
    for n in range(29):
        world.open(f"Support kettle {n}")
    index()
    first = search("kettle from:olive@example.org", agent=world.agent, order="newest", limit=1)
    assert first.hits == [] and first.next_cursor is not None
    assert signing.loads(first.next_cursor, salt="helpline.search.cursor")["w"] == 24
    second = search(
        "kettle from:olive@example.org",
        agent=world.agent,
        order="newest",
        limit=1,
        cursor=first.next_cursor,
    )
    assert [hit.ticket.number for hit in second.hits] == [mine.number]


def test_a_search_without_filters_takes_little_more_than_the_page_needs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index answers in the searcher's scope, so without qualifiers nearly every
    match passes: an eighth more than the page needs first (1,126 for best match),
    twice that with qualifiers (2,002), and a page and one more for suggestions,
    which show no counts. Each match read costs (PostgreSQL reads its document and
    scores it)."""
    world.open("Kettle", body_html="<p>The kettle whistles.</p>")
    index()
    engine = type(backend())
    asked: list[int] = []
    real = engine.newest_matches

    def counting(
        self: Any, text: Any, *, before: int | None, limit: int, scored: bool, offset: int = 0
    ) -> Any:
        asked.append(limit)
        return real(self, text, before=before, limit=limit, scored=scored, offset=offset)

    monkeypatch.setattr(engine, "newest_matches", counting)
    need = window.RANK_WINDOW + 1
    search("kettle", agent=world.admin)
    assert asked == [need + need // 8]
    asked.clear()
    search("kettle status:open", agent=world.admin)
    assert asked == [2 * need]
    asked.clear()
    search("kett", agent=world.admin, prefix=True, limit=5, counts=False)
    assert asked == [6]


@pytest.mark.parametrize("walk", [1, 3, 1_000_000])
def test_a_scoped_read_in_two_parts_pages_like_one_walk(
    world: World, small: None, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """PostgreSQL reads a scoped search's newest matches by walking the newest
    `WALK` ids, then the rest through the GIN indexes (backends.postgres
    .newest_matches). However small the walk, every page (with the window's
    offsets, made small here) is the one a single walk gives. On SQLite the
    setting does nothing and the pages are the same."""
    from helpline.search.backends import postgres

    monkeypatch.setattr(postgres, "WALK", walk)
    mine = []
    for n in range(9):
        if n % 3 == 1:
            world.open(f"Sales kettle {n}", topic=world.sales_topic, body_html="<p>kettle</p>")
        else:
            mine.append(world.open(f"Kettle {n}", body_html="<p>kettle</p>"))
        world.open(f"Toaster {n}", body_html="<p>toaster</p>")
    index()
    seen: list[str] = []
    cursor = ""
    for _page in range(20):
        found = search("kettle", agent=world.agent, order="newest", limit=2, cursor=cursor)
        seen += [hit.ticket.number for hit in found.hits]
        if not found.next_cursor:
            break
        cursor = found.next_cursor
    assert seen == [t.number for t in reversed(mine)]
    assert search("toaster", agent=world.other_agent).hits == []  # none in Sales
    # The backend's reads themselves, at every offset and below every id.
    from helpline.search.backends import TextQuery
    from helpline.search.service import scope_tokens

    text = TextQuery(("kettle",), scope=scope_tokens(world.agent, None))
    ids = [t.pk for t in reversed(mine)]
    engine = backend()
    for offset in range(len(ids) + 1):
        for before in (None, ids[2]):
            below = [pk for pk in ids if before is None or pk < before]
            got = engine.newest_matches(text, before=before, limit=2, scored=False, offset=offset)
            assert [pk for pk, _s in got] == below[offset : offset + 2], (offset, before)
