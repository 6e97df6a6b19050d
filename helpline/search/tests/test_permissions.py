"""No searcher learns of a ticket, or a note, they may not read: not by a hit, not
by a snippet, not by a count. Swept over the roles of the access matrix (two
customers, an agent of another department, an agent, a supervisor, an
administrator, and the API channel) and over searches that could leak: a word of
the message, a word of a note, the start of either (as typed, and as the
suggestions read it), the number, its first digits, the customer's address, a
qualifier, an exclusion; and page by page, one hit at a time."""

from __future__ import annotations

import pytest

from helpline.accounts.models import Customer, Role
from helpline.conftest import World, make_agent
from helpline.search.models import Document
from helpline.search.service import Results, search
from helpline.search.tests.helpers import index
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

PUBLIC_WORD, NOTE_WORD = "pelican", "cormorant"


def searchers(world: World) -> dict[str, dict[str, object]]:
    return {
        "ken": {"customer": world.customer},
        "olive": {"customer": world.outsider},
        "bob (sales)": {"agent": world.other_agent},
        "alice (support)": {"agent": world.agent},
        "sam (supervisor)": {"agent": world.supervisor},
        "ada (admin)": {"agent": world.admin},
        "api channel": {"channel": True},
    }


def may_read(who: dict[str, object], ticket: Ticket) -> tuple[bool, bool]:
    """(may read the ticket's public thread, may read its notes)."""
    if "customer" in who:
        customer = who["customer"]
        assert isinstance(customer, Customer)
        # Their own tickets and those they are copied on.
        mine = ticket.customer_id == customer.pk
        return mine or ticket.collaborators.filter(customer=customer).exists(), False
    if "agent" in who:
        visible = Ticket.objects.visible_to(who["agent"]).filter(pk=ticket.pk).exists()  # type: ignore[arg-type]
        return visible, visible
    return True, False  # the API channel: every public thread, no note


def test_no_search_leaks_a_ticket_or_a_note(world: World) -> None:
    support = world.open("Support matter", body_html=f"<p>A {PUBLIC_WORD} flew in.</p>")
    lifecycle.add_note(support, actor=world.agent, body_html=f"<p>A {NOTE_WORD} too.</p>")
    sales = world.open(
        "Sales matter", topic=world.sales_topic, body_html=f"<p>A {PUBLIC_WORD} flew in.</p>"
    )
    lifecycle.add_note(sales, actor=world.other_agent, body_html=f"<p>{NOTE_WORD} here.</p>")
    olives = world.open(
        "Olive's",
        customer=world.outsider,
        actor=world.outsider,
        body_html=f"<p>A {PUBLIC_WORD} flew in.</p>",
    )
    # Olive is copied on the Sales matter: hers to find, its note never.
    lifecycle.add_collaborator(sales, actor=world.other_agent, customer=world.outsider)
    index()
    tickets = [support, sales, olives]
    searches = {
        "public word": (PUBLIC_WORD, lambda r, n: r),
        "note word": (NOTE_WORD, lambda r, n: n),
        # Excluded by a note's word only for who may read the note: for anyone
        # else the ticket must still be found, or its absence gives the note away.
        "note word, excluded": (f"matter -{NOTE_WORD}", lambda r, n: not n),
        "phrase": (f'"a {PUBLIC_WORD}"', lambda r, n: r),
        # Matching no whole word: searched as the start of one (Results.prefixed).
        "public word start": (PUBLIC_WORD[:5], lambda r, n: r),
        "note word start": (NOTE_WORD[:6], lambda r, n: n),
    }
    for name, who in searchers(world).items():
        for label, (typed, rule) in searches.items():
            results = search(typed, **who)  # type: ignore[arg-type]
            shown = {hit.ticket.pk for hit in results.hits}
            # The suggestions' read, and the same search a hit per page.
            suggested = search(typed, **who, prefix=True, counts=False)  # type: ignore[arg-type]
            assert {hit.ticket.pk for hit in suggested.hits} == shown, (name, label)
            assert _paged(typed, who) == [hit.ticket.pk for hit in results.hits], (name, label)
            for ticket in tickets:
                readable, notes = may_read(who, ticket)
                if not readable:
                    assert ticket.pk not in shown, (name, label, ticket.subject)
                if rule is not None:
                    expected = readable and rule(readable, notes) and _says(ticket, typed)
                    assert (ticket.pk in shown) == expected, (name, label, ticket.subject)
            _no_secret_in_snippets(name, label, results, who)
            assert sum(results.counts.values()) == len(shown), (name, label)
        for ticket in tickets:
            readable, _notes = may_read(who, ticket)
            for typed in (ticket.number, ticket.number[:4], f"from:{ticket.customer.email}"):
                if "customer" in who and typed.startswith("from:"):
                    continue  # not a customer's qualifier
                results = search(typed, **who)  # type: ignore[arg-type]
                shown = {hit.ticket.pk for hit in results.hits}
                assert (ticket.pk in shown) == readable, (name, typed, ticket.subject)
                assert sum(results.counts.values()) == len(shown), (name, typed)


def _paged(typed: str, who: dict[str, object]) -> list[int]:
    """The hits of `typed`, one page of one at a time, following the cursors."""
    found: list[int] = []
    cursor = ""
    for _page in range(10):
        results = search(typed, **who, limit=1, cursor=cursor)  # type: ignore[arg-type]
        found += [hit.ticket.pk for hit in results.hits]
        if results.next_cursor is None:
            return found
        cursor = results.next_cursor
    raise AssertionError(f"more pages than hits: {typed}")


def _says(ticket: Ticket, typed: str) -> bool:
    # Each of the three tickets says "A pelican flew in"; Olive's has no note, and
    # no "matter" in its subject.
    if NOTE_WORD[:6] in typed or "matter" in typed:
        return ticket.subject != "Olive's"
    return True


def _no_secret_in_snippets(name: str, label: str, results: Results, who: dict[str, object]) -> None:
    for hit in results.hits:
        _readable, notes = may_read(who, hit.ticket)
        if not notes:
            assert NOTE_WORD not in (hit.snippet or ""), (name, label)
            assert not hit.in_note, (name, label)


def test_the_scope_tokens_are_not_words_anybody_can_search(world: World) -> None:
    """The document's scope (d1, a2, c3...) is in the same FTS5 table as its text:
    a search for a token finds nothing by it, and an exclusion of one hides
    nothing."""
    ticket = lifecycle.assign(world.open("Scoped"), actor=world.admin, agent=world.agent)
    index()
    tokens = Document.objects.get(ticket=ticket).scope.split()
    assert len(tokens) == 3
    for token in tokens:
        for who in searchers(world).values():
            assert not search(token, **who).hits, (token, who)  # type: ignore[arg-type]
        for agent in (world.admin, world.agent):
            # An exclusion with the words, or alone (the tickets' own check).
            assert [h.ticket for h in search(f"scoped -{token}", agent=agent).hits] == [ticket]
            assert [h.ticket for h in search(f"-{token}", agent=agent).hits] == [ticket]
        # Search as you type: the token is the start of no word of the ticket's.
        assert search(token, agent=world.agent, prefix=True).hits == []
        assert search(token, customer=world.customer, prefix=True).hits == []


def test_an_agent_without_access_or_inactive_finds_nothing(world: World) -> None:
    world.open("Hidden wombat")
    index()
    nobody = make_agent("nora.none", Role.AGENT)
    assert search("wombat", agent=nobody).hits == []
    world.agent.user.is_active = False
    world.agent.user.save()
    assert search("wombat", agent=world.agent).hits == []


def test_a_follower_never_learns_the_owners_address_by_searching(world: World) -> None:
    """The portal shows a customer copied on a ticket the other people's names
    only. Their search reads the subject and the public thread, never the people:
    the owner's address, its start (a prefix would spell it out letter by letter),
    its domain, their organization, or the other followers' addresses."""
    from helpline.accounts.models import Organization
    from helpline.conftest import make_customer

    world.customer.organization = Organization.objects.create(name="Quokka Holdings")
    world.customer.save()
    ticket = world.open("Fence down", body_html="<p>The fence fell.</p>")
    mia = make_customer("Mia Follower", "mia@example.org")
    zed = make_customer("Zed Hidden", "zed.hidden@private.net")
    for follower in (mia, zed):
        lifecycle.add_collaborator(ticket, actor=world.agent, customer=follower)
    index()
    assert [h.ticket for h in search("fence", customer=mia).hits] == [ticket]
    for typed in (
        "ken@example.com",
        "ken@exa",
        "ken",
        "adams",
        "example.com",
        "quokka",
        "zed.hidden@private.net",
        "zed.hid",
        "private.net",
        "fence -ken@example.com",
    ):
        found = [h.ticket for h in search(typed, customer=mia).hits]
        assert found == ([ticket] if typed.startswith("fence") else []), typed
    # The owner searches the thread too: not the followers' names or addresses.
    assert search("zed", customer=world.customer).hits == []
    # Agents find the ticket by every one of them.
    assert [h.ticket for h in search("zed.hid", agent=world.agent).hits] == [ticket]
