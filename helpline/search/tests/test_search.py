"""Searching tickets: words, phrases, exclusions, ranking, snippets, numbers."""

from __future__ import annotations

import contextlib

import pytest

from helpline.conftest import World, make_customer
from helpline.search.query import BadSearch
from helpline.search.service import search
from helpline.search.tests.helpers import index, numbers
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_it_finds_a_ticket_by_a_word_of_its_message(world: World) -> None:
    vpn = world.open("Cannot work from home", body_html="<p>The VPN drops every hour.</p>")
    world.open("Printer jam")
    index()
    assert numbers("vpn", agent=world.admin) == [vpn.number]


def test_it_stems_words_and_folds_case_and_accents(world: World) -> None:
    ticket = world.open("Résumé upload", body_html="<p>Uploading keeps FAILING.</p>")
    index()
    assert numbers("resume", agent=world.admin) == [ticket.number]
    assert numbers("failed uploads", agent=world.admin) == [ticket.number]


def test_the_exact_subject_hit_comes_before_a_word_deep_in_a_long_thread(world: World) -> None:
    long = world.open("Weekly questions", body_html="<p>Hello.</p>")
    for n in range(12):
        lifecycle.reply(long, actor=world.agent, body_html=f"<p>Answer {n} about many things.</p>")
    lifecycle.customer_reply(long, actor=world.customer, body_html="<p>Also the invoice.</p>")
    subject = world.open("Invoice missing", body_html="<p>Where is it?</p>")
    index()
    assert numbers("invoice", agent=world.admin) == [subject.number, long.number]


def test_a_phrase_must_appear_as_typed(world: World) -> None:
    both = world.open("Mail", body_html="<p>Cannot connect to the server.</p>")
    apart = world.open("Mail too", body_html="<p>The server said I cannot connect.</p>")
    index()
    assert numbers('"connect to the server"', agent=world.admin) == [both.number]
    assert set(numbers("connect server", agent=world.admin)) == {both.number, apart.number}


def test_a_phrase_ranks_the_subject_and_the_customer_before_the_thread_newest_first(
    world: World,
) -> None:
    # SQLite ranks a search with a phrase by where it matched (bm25 would count
    # every document holding the phrase's words); PostgreSQL's weights agree, and
    # both put the newer of two equal matches first.
    subject = world.open("Printer out of toner", body_html="<p>Hello.</p>")
    thread_old = world.open("Office", body_html="<p>The printer out of toner again.</p>")
    thread_new = world.open("Office", body_html="<p>The printer out of toner again.</p>")
    index()
    found = numbers('"printer out of toner"', agent=world.admin)
    assert found == [subject.number, thread_new.number, thread_old.number]
    customer = make_customer("Printer out of toner", "desk@example.com")
    theirs = world.open("Office", body_html="<p>Hello.</p>", customer=customer, actor=customer)
    noted = world.open("Front desk", body_html="<p>Help.</p>")
    lifecycle.add_note(noted, actor=world.agent, body_html="<p>Printer out of toner.</p>")
    index()
    found = numbers('"printer out of toner"', agent=world.admin)
    assert set(found[:2]) == {theirs.number, subject.number}
    assert set(found[2:]) == {noted.number, thread_new.number, thread_old.number}
    assert found.index(thread_new.number) < found.index(thread_old.number)
    # A customer never finds the note, and their own tickets rank alike.
    assert numbers('"printer out of toner"', customer=world.customer) == [
        subject.number,
        thread_new.number,
        thread_old.number,
    ]
    # Pages of one by one go through the same order.
    seen: list[str] = []
    cursor = ""
    while True:
        page = search('"printer out of toner"', agent=world.admin, cursor=cursor, limit=1)
        seen += [hit.ticket.number for hit in page.hits]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == found


def test_an_excluded_word_leaves_its_tickets_out(world: World) -> None:
    printer = world.open("Printer and scanner", body_html="<p>Both broken.</p>")
    scanner = world.open("Scanner only", body_html="<p>Broken.</p>")
    index()
    assert numbers("broken -printer", agent=world.admin) == [scanner.number]
    assert numbers("-printer", agent=world.admin) == [scanner.number]
    assert printer.number in numbers("broken", agent=world.admin)


def test_the_snippet_highlights_the_words_and_escapes_the_rest(world: World) -> None:
    world.open("Error", body_html="<p>Then &lt;script&gt; said the token expired.</p>")
    index()
    hit = search("expired", agent=world.admin).hits[0]
    assert hit.snippet is not None
    assert "<mark>expired</mark>" in hit.snippet
    assert "&lt;script&gt;" in hit.snippet and "<script>" not in hit.snippet
    assert not hit.in_note


def test_an_agent_finds_notes_and_sees_where_the_snippet_is_from(world: World) -> None:
    ticket = world.open("Quiet one")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Customer is a reseller.</p>")
    index()
    [hit] = search("reseller", agent=world.agent).hits
    assert hit.in_note and hit.snippet is not None and "<mark>reseller</mark>" in hit.snippet


def test_a_customer_never_finds_an_internal_note(world: World) -> None:
    ticket = world.open("Quiet one")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Customer is a reseller.</p>")
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>We are working on it.</p>")
    index()
    assert numbers("reseller", customer=world.customer) == []
    assert numbers("reseller -printer", customer=world.customer) == []
    assert numbers("working", customer=world.customer) == [ticket.number]
    snippet = search("working", customer=world.customer).hits[0].snippet
    assert snippet is not None and "reseller" not in snippet


def test_a_customer_finds_only_their_own_tickets(world: World) -> None:
    mine = world.open("Toner", body_html="<p>Toner empty.</p>")
    world.open(
        "Toner", body_html="<p>Toner empty.</p>", customer=world.outsider, actor=world.outsider
    )
    index()
    assert numbers("toner", customer=world.customer) == [mine.number]
    assert search("toner", customer=world.customer).counts == {"open": 1}


def test_it_finds_by_the_customers_name_address_and_domain(world: World) -> None:
    acme = make_customer("Wile Coyote", "wile@acme.example")
    ticket = world.open("Rockets", customer=acme, actor=acme)
    world.open("Other")
    index()
    for typed in ("coyote", "wile@acme.example", "acme.example"):
        assert numbers(typed, agent=world.admin) == [ticket.number], typed


def test_a_number_or_its_first_digits_finds_tickets_by_number(world: World) -> None:
    first = world.open("One")
    second = world.open("Two")
    index()
    assert numbers(first.number, agent=world.admin) == [first.number]
    assert numbers(f"#{first.number}", agent=world.admin) == [first.number]
    common = first.number[:1] if first.number[0] == second.number[0] else None
    if common:
        assert set(numbers(common, agent=world.admin)) >= {first.number}
    assert search(first.number[:3], agent=world.admin).by_number


def test_a_number_no_ticket_number_starts_with_is_searched_as_a_word(world: World) -> None:
    """The trial's "invoice 55512": a number that is the start of no ticket's
    number (ticket numbers have six digits: eight cannot be) finds the messages
    that hold it, and pages on as a text search."""
    quoted = [
        world.open(f"Invoice {n}", body_html="<p>Our order 55512987 is late.</p>") for n in range(3)
    ]
    index()
    first = search("55512987", agent=world.admin, order="newest", limit=2)
    assert not first.by_number
    assert [hit.ticket.number for hit in first.hits] == [quoted[2].number, quoted[1].number]
    assert first.hits[0].snippet is not None and "<mark>55512987</mark>" in first.hits[0].snippet
    assert first.next_cursor is not None
    second = search(
        "55512987", agent=world.admin, order="newest", limit=2, cursor=first.next_cursor
    )
    assert [hit.ticket.number for hit in second.hits] == [quoted[0].number]
    # A number that starts a ticket's number stays a search by number.
    assert search(quoted[0].number[:4], agent=world.admin).by_number
    # The customer's own search too, in their public thread only.
    assert set(numbers("55512987", customer=world.customer)) == {t.number for t in quoted}


def test_pages_follow_each_other_without_gaps_or_repeats(world: World) -> None:
    opened = [world.open(f"Disk full {n}", body_html="<p>disk</p>" * (n + 1)) for n in range(7)]
    index()
    for order in ("relevance", "newest"):
        seen: list[str] = []
        cursor = ""
        while True:
            page = search("disk", agent=world.admin, order=order, cursor=cursor, limit=3)
            seen += [hit.ticket.number for hit in page.hits]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(t.number for t in opened), order
        assert len(seen) == len(set(seen))
    newest = numbers("disk", agent=world.admin, order="newest")
    assert newest == [t.number for t in reversed(opened)]


def test_counts_are_per_state(world: World) -> None:
    world.open("Fan noise")
    closed = world.open("Fan noise again")
    lifecycle.close(closed, actor=world.agent)
    index()
    found = search("fan", agent=world.admin)
    assert found.counts == {"open": 1, "closed": 1} and not found.counts_capped


def test_a_cursor_that_was_not_ours_is_refused(world: World) -> None:
    with pytest.raises(BadSearch, match="not valid"):
        search("fan", agent=world.admin, cursor="forged")


@pytest.mark.parametrize(
    "typed",
    [
        'a"b',
        '"unclosed phrase',
        "NEAR(a b)",
        "a OR b AND NOT c",
        "* ^ : {subject}",
        "col:value",
        "'; DROP TABLE tickets_ticket; --",
        "\x00",
        "é ü ß 中文",
    ],
)
def test_no_typed_text_acts_as_query_syntax(world: World, typed: str) -> None:
    world.open("Plain")
    index()
    # Refused with a reason is fine; an error of the database is not.
    with contextlib.suppress(BadSearch):
        search(typed, agent=world.admin)


def test_a_cursor_of_another_kind_of_search_is_refused(world: World) -> None:
    """A client that changes q but keeps its cursor got a KeyError (a 500)."""
    for n in range(3):
        ticket = world.open(f"Fan {n}", body_html="<p>fan</p>")
        # Numbers are drawn at random: three that share their first digits.
        Ticket.objects.filter(pk=ticket.pk).update(number=f"77770{n}")
    index()
    by_number = search("7777", agent=world.admin, limit=1)
    assert by_number.by_number and by_number.next_cursor is not None
    with pytest.raises(BadSearch, match="not valid") as refused:
        search("fan", agent=world.admin, cursor=by_number.next_cursor)
    assert refused.value.field == "cursor"


def test_a_cursor_serves_only_its_own_search_and_searcher(world: World) -> None:
    """A cursor carries the first page's counts and a place in the results: a page
    link shared with another agent, or kept while the words change, would show
    them the first search's (an administrator's counts to a department agent)."""
    for n in range(3):
        world.open(f"Fan {n}", body_html="<p>fan noise</p>")
    index()
    first = search("fan", agent=world.admin, limit=1)
    assert first.next_cursor is not None
    assert search("fan", agent=world.admin, limit=1, cursor=first.next_cursor).hits
    for other in (
        {"typed": "noise", "agent": world.admin},
        {"typed": "fan", "agent": world.agent},
        {"typed": "fan", "customer": world.customer},
    ):
        typed = str(other.pop("typed"))
        with pytest.raises(BadSearch, match="not valid"):
            search(typed, limit=1, cursor=first.next_cursor, **other)  # type: ignore[arg-type]
    # The same words spaced otherwise are the same search.
    assert search(" fan ", agent=world.admin, limit=1, cursor=first.next_cursor).hits


def test_a_best_match_cursor_holds_a_place_never_a_score(world: World) -> None:
    """SQLite's bm25 weighs a word by how many documents hold it, other
    departments' and notes included: a score in a readable cursor would tell."""
    from django.core import signing

    from helpline.search.service import _CURSOR_SALT

    for n in range(5):
        world.open(f"Fan {n}", body_html="<p>" + "fan " * (n + 1) + "</p>")
    index()
    seen: list[str] = []
    cursor = ""
    while True:
        page = search("fan", agent=world.admin, limit=2, cursor=cursor)
        seen += [hit.ticket.number for hit in page.hits]
        if page.next_cursor is None:
            break
        position = signing.loads(page.next_cursor, salt=_CURSOR_SALT)
        assert position["s"] == 0.0 and "p" in position
        assert all(v in (0, 0.0) or not isinstance(v, float) for v in position.values())
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 5


def test_the_snippet_markers_in_a_message_are_not_taken_for_hits(world: World) -> None:
    world.open("Odd", body_html="<p>bytes \x02 and \x03 around the kettle</p>")
    index()
    snippet = search("kettle", agent=world.admin).hits[0].snippet
    assert snippet is not None and snippet.count("<mark>") == snippet.count("</mark>") == 1


def test_the_subject_shows_its_hits_and_a_thread_without_one_shows_no_passage(
    world: World,
) -> None:
    """The trial: a ticket found by its subject showed an unrelated passage of its
    message, and the subject's own hit unmarked."""
    by_subject = world.open("Laptop <b>broken</b>", body_html="<p>Hello there.</p>")
    by_thread = world.open("Other", body_html="<p>My laptop is slow.</p>")
    index()
    for who in ({"agent": world.admin}, {"customer": world.customer}):
        hits = {hit.ticket: hit for hit in search("laptop", **who).hits}
        subject_hit, thread_hit = hits[by_subject], hits[by_thread]
        assert subject_hit.snippet is None
        assert subject_hit.subject == "<mark>Laptop</mark> &lt;b&gt;broken&lt;/b&gt;"
        assert thread_hit.subject is None
        assert thread_hit.snippet is not None and "<mark>laptop</mark>" in thread_hit.snippet
    # The number is the document's too (for searching by it), never shown twice.
    found = search(f"laptop {by_subject.number}", agent=world.admin)
    assert found.hits and by_subject.number not in str(found.hits[0].subject)


def test_a_hit_across_the_number_and_the_subject_is_marked_whole_and_an_edit_shows_plain(
    world: World,
) -> None:
    """The review: a phrase of the number and the subject's first word left a
    stray </mark> once the number was cut off; and the index's copy of an edited
    subject, not indexed yet, must not be shown for the ticket's."""
    ticket = world.open("Laptop broken", body_html="<p>Hello.</p>")
    index()
    [hit] = search(f'"{ticket.number} laptop" broken', agent=world.admin).hits
    assert hit.subject == "<mark>Laptop</mark> <mark>broken</mark>"
    lifecycle.edit(ticket, actor=world.agent, subject="Laptop broken again")
    [hit] = search("broken", agent=world.admin).hits
    assert hit.subject is None and hit.ticket.subject == "Laptop broken again"


def test_words_that_match_nothing_as_typed_are_found_as_starts_of_words(world: World) -> None:
    """What the suggestions showed as the agent typed ("lap", "ken@exa") is what
    Enter finds: when no ticket holds the words as typed, the last one is taken
    as the start of a word, newest first, and the page says so."""
    older = world.open("Laptop will not start", body_html="<p>Black screen.</p>")
    newer = world.open("Laptops for the new team", body_html="<p>Three.</p>")
    acme = make_customer("Wile Coyote", "wile@acme.com")
    theirs = world.open("Rockets", body_html="<p>Late.</p>", customer=acme, actor=acme)
    index()
    found = search("lap", agent=world.admin)
    assert found.prefixed and found.order == "relevance"
    assert [hit.ticket.number for hit in found.hits] == [newer.number, older.number]
    assert world.customer.email == "ken@example.com"
    assert numbers("ken@exa", agent=world.admin) == [newer.number, older.number]
    assert numbers("acme.co", agent=world.admin) == [theirs.number]
    # The words as typed, when they match, are not widened.
    exact = search("laptop", agent=world.admin)
    assert not exact.prefixed
    # Pages go on as starts of words, and say so.
    first = search("lap", agent=world.admin, limit=1)
    assert first.prefixed and first.next_cursor
    second = search("lap", agent=world.admin, limit=1, cursor=first.next_cursor)
    assert [hit.ticket.number for hit in second.hits] == [older.number]
    assert second.prefixed
    # Nothing that starts so: nothing, and no claim that it was widened.
    assert not search("zzq", agent=world.admin).prefixed
    # Under three characters (the suggestions' minimum), or a phrase alone: as typed.
    assert numbers("la", agent=world.admin) == []
    assert numbers('"laptop wil"', agent=world.admin) == []
    # "ken." and "ken@" are the start "ken" (the parser splits there).
    assert numbers("wile@", agent=world.admin) == [theirs.number]


def test_a_customer_finds_no_note_by_the_start_of_its_word(world: World) -> None:
    ticket = world.open("Printer", body_html="<p>Jammed.</p>")
    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Supplier Quintessa.</p>")
    index()
    assert numbers("quintes", agent=world.agent) == [ticket.number]
    assert numbers("quintes", customer=world.customer) == []


def test_a_pasted_reply_subject_finds_the_ticket(world: World) -> None:
    """Mail programs' "Re:", "Fwd:", "AW:" before a subject are no word of it."""
    ticket = world.open("Invoice amount looks wrong")
    index()
    for typed in ("Re: Invoice amount looks wrong", "Fwd: invoice amount", "AW: WG: invoice"):
        assert numbers(typed, agent=world.admin) == [ticket.number], typed
    # Other words before a colon are still words ("Error: disk full").
    assert numbers("Error: invoice", agent=world.admin) == []


def test_the_answers_to_the_topics_questions_are_the_agents_to_search(world: World) -> None:
    """Agents find a ticket by its topic's answers (an asset tag); customers do not
    (the portal does not show them, and agents may set them), nor do people in copy."""
    ticket = world.open("Laptop", extra={"asset_tag": "LT-0427", "rooms": ["B12", "C3"]})
    index()
    assert numbers("LT-0427", agent=world.agent) == [ticket.number]
    assert numbers("b12", agent=world.agent) == [ticket.number]
    assert numbers("b12", customer=world.customer) == []
    assert numbers("LT-04", customer=world.customer) == []
