"""Content canaries of the access matrix: a page that answers 200 must not carry
what its reader may not see.

A status code proves the gate; it says nothing about what a page that opens
shows. A queue, a search, a CSV or a JSON list of the wrong tickets answers 200
all the same. So the matrix's scene (routes.py, `build_scene`) writes a
distinctive string into every piece of ticket data a role could be shown: each
ticket's subject, its customer's message, its internal note, the files on them,
and the names and addresses of its customers. The tickets are Ken's in Support (`support`, and
`resolved`), Ken's in Sales (`sales`) and Olive's in Sales (`olive`), so every
role has a ticket of another customer or another department in the scene.

Who may see a canary follows from whose ticket it is on (`may_see`):

- a ticket's public content (subject, customer message, the customer's name and
  address): its customer, the agents of its department, administrators;
- an internal note: the agents of the ticket's department and administrators,
  never a customer;
- a signed link (a guest ticket link, a rating link) shows its ticket's public
  content to whoever holds it (`GRANTS`).

Every 2xx answer of the matrix (HTML, CSV, JSON, a file) is searched, without
regard to case, for every canary its role may not see on that case. Each canary is
a word found nowhere else (`zz` and a tag: no template, translation, token or
fixture holds it), placed first in its field so that a list that shortens a
long subject still shows it whole.
"""

from __future__ import annotations

from dataclasses import dataclass

# Whose tickets the scene holds: the customer role and the department of each.
TICKETS: dict[str, tuple[str, str]] = {
    "support": ("customer", "support"),
    "resolved": ("customer", "support"),
    "sales": ("customer", "sales"),
    "olive": ("outsider", "sales"),
}
# What each role sees as an agent: departments (administrators: every one).
DEPARTMENTS: dict[str, frozenset[str]] = {
    "other_department": frozenset({"sales"}),
    "agent": frozenset({"support"}),
    "supervisor": frozenset({"support"}),
    "admin": frozenset({"support", "sales"}),
}


@dataclass(frozen=True)
class Canary:
    text: str
    what: str  # in words: "subject of Ken's Sales ticket"
    tickets: tuple[str, ...]  # visible wherever one of these tickets' content is
    note: bool = False  # internal: agents and administrators only

    def __str__(self) -> str:
        return f"{self.text!r} ({self.what})"


def _ticket(key: str, whose: str) -> list[Canary]:
    return [
        Canary(f"zz{key}subj", f"subject of {whose}", (key,)),
        Canary(f"zz{key}msg", f"customer's message on {whose}", (key,)),
        Canary(f"zz{key}note", f"internal note on {whose}", (key,), note=True),
    ]


KEN_NAME = "zzkenname"
OLIVE_NAME = "zzolivename"
KEN_TICKETS = ("support", "resolved", "sales")

SUPPORT = _ticket("support", "Ken's Support ticket")
SALES = _ticket("sales", "Ken's Sales ticket")
OLIVE = _ticket("olive", "Olive's Sales ticket")
RESOLVED_SUBJECT = Canary("zzresolvedsubj", "subject of Ken's resolved ticket", ("resolved",))
CANARIES: tuple[Canary, ...] = (
    *SUPPORT,
    *SALES,
    *OLIVE,
    RESOLVED_SUBJECT,
    Canary(KEN_NAME, "Ken's name", KEN_TICKETS),
    Canary("ken@example.com", "Ken's address", KEN_TICKETS),
    Canary(OLIVE_NAME, "Olive's name", ("olive",)),
    Canary("olive@example.org", "Olive's address", ("olive",)),
)
assert len({c.text for c in CANARIES}) == len(CANARIES)
assert not any(a.text in b.text for a in CANARIES for b in CANARIES if a != b)

# Cases that show a ticket's public content to whoever holds the case's link.
GRANTS: dict[str, tuple[str, ...]] = {
    "portal:signed_ticket[valid]": ("support",),
    "portal:signed_reply[valid]": ("support",),
    "portal:signed_file[customer's file]": ("support",),
    "portal:signed_file_pages[customer's PDF]": ("support",),
    "feedback:rate[valid]": ("resolved",),
    "feedback:thanks[valid]": ("resolved",),
}


def _sees_ticket(role: str, ticket: str, *, note: bool) -> bool:
    customer, department = TICKETS[ticket]
    if department in DEPARTMENTS.get(role, frozenset()):
        return True
    return role == customer and not note


def may_see(role: str, canary: Canary, case_id: str) -> bool:
    granted = GRANTS.get(case_id, ())
    return any(
        _sees_ticket(role, ticket, note=canary.note) or (ticket in granted and not canary.note)
        for ticket in canary.tickets
    )


def forbidden(role: str, case_id: str) -> list[Canary]:
    """The canaries `role` may not see on the page of `case_id`."""
    return [c for c in CANARIES if not may_see(role, c, case_id)]


def found(body: str, canaries: list[Canary]) -> list[Canary]:
    text = body.lower()
    return [c for c in canaries if c.text.lower() in text]
