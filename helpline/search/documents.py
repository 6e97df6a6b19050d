"""What a ticket's search document says: its text, read and normalized in Python.

`build` reads a batch of tickets (the ticket with its customer, the collaborators,
the thread and the attachments' names: four queries per batch, whatever its size)
and returns each one's `Text`. It is CPU work (HTML to text of every entry) and
runs with no transaction open (helpline.search.indexer writes the result).

Normalizing: the stored bodies are sanitized HTML, turned into plain text
(`lib.html.html_to_text`). Quoted history is already cut from replies by mail
intake, so a thread's text holds each message once. Case, accents and stemming
are the database's work, at index and at query time alike (backends).

Bounds: each part is cut at `PART_CHARS`; PostgreSQL refuses a `tsvector` past
1 MB, and words past the 16,383rd position of a part all share its last
position anyway. A thread longer than that is still found by its first 200,000
characters of messages and of notes each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from helpline.lib.html import html_to_text
from helpline.search.backends.base import START, STOP
from helpline.tickets.models import Attachment, Collaborator, Entry, EntryKind, Ticket

PART_CHARS = 200_000


@dataclass(frozen=True)
class Text:
    subject: str
    people: str
    public_text: str
    internal_text: str
    scope: str


def scope_of(
    department_id: int,
    assignee_id: int | None,
    team_id: int | None,
    customer_id: int,
    followers: Iterable[int] = (),
) -> str:
    """Who may find a ticket, as index tokens: its department (`d`), assignee
    (`a`), team (`t`), customer and the customers in copy (`c`): the columns of the
    queues' visibility (tickets.permissions.visibility_filter) and the tickets a
    customer reads on the portal (their own and those they are copied on). For a
    ticket without followers, the same string as migration 0003's SQL
    (schema.SCOPE_OF_TICKET); migration 0004 indexed those with followers again."""
    tokens = [f"d{department_id}"]
    if assignee_id is not None:
        tokens.append(f"a{assignee_id}")
    if team_id is not None:
        tokens.append(f"t{team_id}")
    tokens.append(f"c{customer_id}")
    tokens += [f"c{pk}" for pk in sorted(set(followers) - {customer_id})]
    return " ".join(tokens)


def person(name: str, email: str) -> str:
    """A person as the people part spells them: their name, their address, and the
    address's domain on its own (PostgreSQL reads "ken@acme.com" as one word, so a
    search for "acme.com" would not find it)."""
    domain = email.rpartition("@")[2]
    return " ".join(part for part in (name, email, domain) if part)


def build(ticket_ids: Iterable[int]) -> dict[int, Text]:
    """The documents of these tickets (those that still exist)."""
    ids = sorted(set(ticket_ids))
    tickets = Ticket.objects.filter(pk__in=ids).select_related("customer__organization")
    followers: dict[int, list[str]] = defaultdict(list)
    follower_ids: dict[int, list[int]] = defaultdict(list)
    for ticket_id, pk, name, email in Collaborator.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "customer_id", "customer__name", "customer__email"
    ):
        followers[ticket_id].append(person(name, email))
        follower_ids[ticket_id].append(pk)
    names: dict[int, list[str]] = defaultdict(list)
    for entry_id, filename in Attachment.objects.filter(entry__ticket_id__in=ids).values_list(
        "entry_id", "filename"
    ):
        names[entry_id].append(filename)
    public: dict[int, _Part] = defaultdict(_Part)
    internal: dict[int, _Part] = defaultdict(_Part)
    entries = Entry.objects.filter(ticket_id__in=ids).order_by("ticket_id", "created_at", "id")
    rows = entries.values_list("id", "ticket_id", "kind", "body").iterator(chunk_size=500)
    for entry_id, ticket_id, kind, body in rows:
        part = internal[ticket_id] if kind == EntryKind.NOTE else public[ticket_id]
        part.add(_plain(html_to_text(body)), names.get(entry_id, ()))
    found: dict[int, Text] = {}
    for ticket in tickets:
        customer = ticket.customer
        people = [person(customer.name, customer.email)]
        if customer.organization is not None:
            people.append(customer.organization.name)
        found[ticket.pk] = Text(
            subject=_plain(f"{ticket.number} {ticket.subject}"),
            people="\n".join(people + followers[ticket.pk]),
            public_text=public[ticket.pk].text(),
            # The answers to the topic's questions (an asset tag, an order number):
            # agents' only. The portal does not show them (agents may set them),
            # and a customer in copy would spell out the owner's by word starts.
            internal_text=_joined(_answers(ticket.extra), internal[ticket.pk].text()),
            scope=scope_of(
                ticket.department_id,
                ticket.assignee_id,
                ticket.team_id,
                customer.pk,
                follower_ids[ticket.pk],
            ),
        )
    return found


def _answers(extra: object) -> str:
    """The topic fields' answers as text: strings and numbers, lists of them
    (a multiple choice); never keys, which are ours."""
    if not isinstance(extra, dict):
        return ""
    found: list[str] = []
    for value in extra.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                found.append(str(item))
    return _plain(" ".join(found))[:PART_CHARS]


def _joined(answers: str, thread: str) -> str:
    return f"{answers}\n\n{thread}"[:PART_CHARS] if answers else thread


def _plain(text: str) -> str:
    """The text without the two characters the snippets mark hits with
    (backends.base.START and STOP): one in a message would open a <mark> that
    never closes."""
    return text.replace(START, " ").replace(STOP, " ")


class _Part:
    """One part of a document as it is filled, entry by entry, up to PART_CHARS."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.size = 0

    def add(self, text: str, filenames: Iterable[str]) -> None:
        if self.size >= PART_CHARS:
            return
        chunk = "\n".join([text, *filenames])
        self.chunks.append(chunk)
        self.size += len(chunk) + 2

    def text(self) -> str:
        return "\n\n".join(self.chunks)[:PART_CHARS]
