"""Qualifiers (`status:open`, `assignee:me`, `created:>2026-01-01`...) as filters
on the ticket row: the same columns, and so the same indexes, as the queues.

Names are matched as people type them: a whole name, in any case, else the one
name that starts with what was typed, else the one with a word that does;
statuses and priorities also by the name pages show (German "gelöst"). No
match, or several, is a `BadSearch` that says which ("No status is called
“pend”. The statuses: ...", "“s” could be Sales or Support"); a search never
runs wider than asked. Several values separated by
commas mean any of them (`priority:high,emergency`).

Dates are the searcher's time zone's days: `created:2026-01-31` is that day,
`>`/`>=`/`<`/`<=` compare with it, `2026-01-01..2026-01-31` is a range (both days
in). An age is a number and a unit (h, d, w, m for 30 days, y for 365):
`updated:<7d` is "updated less than 7 days ago", `created:>1y` "more than a
year ago".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Agent, Department, Organization, Team
from helpline.search import customers
from helpline.search.query import EXAMPLES, BadSearch
from helpline.tickets.defaults import display_name
from helpline.tickets.models import (
    Attachment,
    EntryKind,
    HelpTopic,
    Priority,
    State,
    Status,
)

MAX_VALUES = 10  # comma-separated values of one qualifier
MAX_CUSTOMERS = 1_000  # customers one `customer:` value may stand for
_CUSTOMER_ID = re.compile(r"#(\d{1,18})")  # `customer:#42`: the customer with id 42
# Qualifiers a customer may use on the portal (their own tickets, public thread).
# Not `updated:`: every change moves a ticket's updated_at, internal ones (a note,
# a transfer) too, and a customer must not learn of those by it.
CUSTOMER_QUALIFIERS = frozenset({"status", "state", "created", "has"})


def qualifier_filter(
    key: str, value: str, *, agent: Agent | None, customer: bool = False, public_only: bool = False
) -> Q:
    """The filter of one qualifier, for `agent` (None: a customer, or the API
    channel), a `customer` (fewer qualifiers), reading only the public thread or not."""
    if customer and key not in CUSTOMER_QUALIFIERS:
        raise BadSearch(
            _("“%(key)s:” is for agents; here you can use %(allowed)s.")
            % {"key": key, "allowed": ", ".join(f"{k}:" for k in sorted(CUSTOMER_QUALIFIERS))}
        )
    values = [v.strip() for v in value.split(",") if v.strip()]
    if not values or len(values) > MAX_VALUES:
        raise BadSearch(
            _("“%(key)s:” takes one to %(limit)d values separated by commas.")
            % {"key": key, "limit": MAX_VALUES}
        )
    if key in ("created", "updated"):
        return _combined(values, lambda v: _when(key, v))
    if key == "is":
        return _combined(values, lambda v: _is(v, agent))
    if key == "has":
        return _combined(values, lambda v: _has(v, public_only))
    if key == "status" and customer:
        return _combined(values, _public_status)
    return _combined(values, lambda v: ONE_VALUE[key](v, agent))


def _combined(values: list[str], one: Callable[[str], Q]) -> Q:
    q = Q(pk__in=[])
    for value in values:
        q |= one(value)
    return q


# Per qualifier, whole sentences (a noun put into one sentence does not agree in
# every language): no such name (with the names there are: short lists, ours and
# the administrators'; organizations are many, so an example), and more than one
# name starting so.
NOT_FOUND = {
    "status": gettext_lazy("No status is called “%(typed)s”. The statuses: %(names)s."),
    "team": gettext_lazy("No team is called “%(typed)s”. The teams: %(names)s."),
    "department": gettext_lazy("No department is called “%(typed)s”. The departments: %(names)s."),
    "topic": gettext_lazy("No help topic is called “%(typed)s”. The help topics: %(names)s."),
    "priority": gettext_lazy("No priority is called “%(typed)s”. The priorities: %(names)s."),
    "org": gettext_lazy("No organization is called “%(typed)s” (%(example)s)."),
}
LISTED = 12  # names a "no such name" message lists at most
AMBIGUOUS = {
    "status": gettext_lazy(
        "“%(typed)s” could be more than one status (%(names)s…): type more of it."
    ),
    "team": gettext_lazy("“%(typed)s” could be more than one team (%(names)s…): type more of it."),
    "department": gettext_lazy(
        "“%(typed)s” could be more than one department (%(names)s…): type more of it."
    ),
    "topic": gettext_lazy(
        "“%(typed)s” could be more than one help topic (%(names)s…): type more of it."
    ),
    "priority": gettext_lazy(
        "“%(typed)s” could be more than one priority (%(names)s…): type more of it."
    ),
    "org": gettext_lazy(
        "“%(typed)s” could be more than one organization (%(names)s…): type more of it."
    ),
}


def named[M: Model](
    qs: QuerySet[M], field: str, typed: str, key: str, *, shown: Callable[[str], str] | None = None
) -> M:
    """The one row whose `field` is `typed` (any case), else the one it starts, or
    one of whose words it starts ("s1n3" for "Organization s1n3c1"). `shown`: the
    name as pages show it (statuses and priorities in the reader's language), also
    matched, in Python: those tables are short."""
    if shown is not None:
        return _named_as_shown(list(qs.order_by(field)), field, typed, key, shown)
    exact = list(qs.filter(**{f"{field}__iexact": typed})[:2])
    if len(exact) == 1:
        return exact[0]
    starts = Q(**{f"{field}__istartswith": typed}) | Q(**{f"{field}__icontains": f" {typed}"})
    starting = list(qs.filter(starts).order_by(field)[:3])
    if len(starting) == 1:
        return starting[0]
    if not starting:
        raise BadSearch(_not_found(qs, field, typed, key, None))
    names = ", ".join(str(getattr(row, field)) for row in starting[:2])
    raise BadSearch(str(AMBIGUOUS[key]) % {"typed": typed, "names": names})


def _named_as_shown[M: Model](
    rows: list[M], field: str, typed: str, key: str, shown: Callable[[str], str]
) -> M:
    wanted = typed.casefold()

    def spellings(row: M) -> tuple[str, str]:
        name = str(getattr(row, field))
        return name.casefold(), shown(name).casefold()

    for test in (
        lambda name: name == wanted,
        lambda name: name.startswith(wanted),
        lambda name: f" {wanted}" in name,
    ):
        found = [row for row in rows if any(test(n) for n in spellings(row))]
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(shown(str(getattr(row, field))) for row in found[:2])
            raise BadSearch(str(AMBIGUOUS[key]) % {"typed": typed, "names": names})
    raise BadSearch(_not_found(rows, field, typed, key, shown))


def _not_found(
    rows: QuerySet[Any] | list[Any],
    field: str,
    typed: str,
    key: str,
    shown: Callable[[str], str] | None,
) -> str:
    if key == "org":
        return str(NOT_FOUND[key]) % {"typed": typed, "example": EXAMPLES[key]}
    listed = list(rows.order_by(field)[: LISTED + 1] if isinstance(rows, QuerySet) else rows)
    names = [str(getattr(row, field)) for row in listed[:LISTED]]
    text = ", ".join(shown(n) if shown else n for n in names)
    if len(listed) > LISTED:
        text += ", …"
    return str(NOT_FOUND[key]) % {"typed": typed, "names": text}


def _status(value: str, agent: Agent | None) -> Q:
    # A status, or a state by its name ("open", "closed") when no status is called so.
    exact = Status.objects.filter(name__iexact=value)
    if not exact.exists() and value.lower() in State.values:
        return Q(state=value.lower())
    return Q(status=named(Status.objects.all(), "name", value, "status", shown=display_name))


def _public_status(value: str) -> Q:
    """A customer's `status:`: by the names the portal shows them (a status's
    customer label, else its name in their language), never by the names agents
    see: those may be internal ("Fraud review"), and a list of them in a message
    would tell. One label may stand for several statuses: all of them."""
    wanted = value.casefold()
    labels: dict[str, list[int]] = {}  # by the label folded: "In Progress", "In progress"
    shown: dict[str, str] = {}
    for status in Status.objects.order_by("order", "pk"):
        folded = status.public_name.casefold()
        labels.setdefault(folded, []).append(status.pk)
        shown.setdefault(folded, status.public_name)
    for test in (
        lambda label: label == wanted,
        lambda label: label.startswith(wanted),
        lambda label: f" {wanted}" in label,
    ):
        found = [label for label in labels if test(label)]
        if len(found) == 1:
            return Q(status__in=labels[found[0]])
        if found:
            names = ", ".join(shown[label] for label in found[:2])
            raise BadSearch(str(AMBIGUOUS["status"]) % {"typed": value, "names": names})
    if wanted in State.values:
        return Q(state=wanted)
    names = ", ".join(list(shown.values())[:LISTED])
    raise BadSearch(str(NOT_FOUND["status"]) % {"typed": value, "names": names})


def _state(value: str, agent: Agent | None) -> Q:
    lowered = value.lower()
    if lowered not in (State.OPEN, State.CLOSED):
        raise BadSearch(_("“state:” is open or closed (%(example)s).") % {"example": "state:open"})
    return Q(state=lowered)


def _assignee(value: str, agent: Agent | None) -> Q:
    lowered = value.lower()
    if lowered == "me":
        if agent is None:
            # The API's channel key is nobody: "me" means no agent there.
            raise BadSearch(_("“assignee:me” needs an agent's key; this one is the channel's."))
        return Q(assignee=agent)
    if lowered == "none":
        return Q(assignee__isnull=True)
    agents = Agent.objects.select_related("user")
    by_login = agents.filter(user__username__iexact=value).first()
    if by_login is not None:
        return Q(assignee=by_login)
    named = Q(user__first_name__istartswith=value) | Q(user__last_name__iexact=value)
    first, _space, last = value.strip().rpartition(" ")
    if first:
        # The whole name, as the queues show it: "John Doe".
        named |= Q(user__first_name__iexact=first.strip(), user__last_name__iexact=last)
    found = list(agents.filter(named)[:3])
    if len(found) == 1:
        return Q(assignee=found[0])
    if not found:
        raise BadSearch(
            _(
                "No agent is called “%(typed)s”: type their user name, their name (in quotes "
                "with a space in it), or me, or none."
            )
            % {"typed": value}
        )
    raise BadSearch(
        _("“%(typed)s” could be more than one agent (%(names)s...): type their user name.")
        % {"typed": value, "names": ", ".join(a.name for a in found[:2])}
    )


def _team(value: str, agent: Agent | None) -> Q:
    if value.lower() == "none":
        return Q(team__isnull=True)
    return Q(team=named(Team.objects.all(), "name", value, "team"))


def _department(value: str, agent: Agent | None) -> Q:
    return Q(department=named(Department.objects.all(), "name", value, "department"))


def _topic(value: str, agent: Agent | None) -> Q:
    if value.lower() == "none":
        return Q(topic__isnull=True)
    return Q(topic=named(HelpTopic.objects.all(), "name", value, "topic"))


def _priority(value: str, agent: Agent | None) -> Q:
    return Q(priority=named(Priority.objects.all(), "name", value, "priority", shown=display_name))


def _from(value: str, agent: Agent | None) -> Q:
    """An address (the customer's), or a domain: `acme.com`, `@acme.com`."""
    address = value.strip("<>").lower()
    if "@" in address.lstrip("@"):
        return Q(customer__email__iexact=address)
    domain = address.lstrip("@")
    if not re.fullmatch(r"[\w.-]+\.[\w-]+", domain):
        raise BadSearch(
            _("“from:” takes an email address or a domain (%(example)s).")
            % {"example": EXAMPLES["from"]}
        )
    return Q(customer__email__iendswith=f"@{domain}")


def _customer(value: str, agent: Agent | None) -> Q:
    """By a whole address, else by words of the name, address or phone (the
    customer lookup's trigram index: a name's LIKE read every customer, twice a
    search, 40-50 ms at 100,000). Words under three characters: by the name.
    `#` and a number is one customer by their id: the ticket page links the
    tickets of a customer without an address so (a name may be several people's)."""
    if (one := _CUSTOMER_ID.fullmatch(value.strip())) is not None:
        return Q(customer_id=int(one.group(1)))
    if "@" in value and " " not in value.strip():
        return Q(customer__email__iexact=value)
    ids, rest = customers.matching(value, MAX_CUSTOMERS)
    # The words the index cannot take (under three characters, past the fifth)
    # narrow by the name or the address: a search never runs wider than asked.
    narrower = Q()
    for word in rest:
        narrower &= Q(customer__name__icontains=word) | Q(customer__email__icontains=word)
    if ids is None:
        return narrower
    if len(ids) > MAX_CUSTOMERS:
        raise BadSearch(
            _(
                "More than %(count)s customers match “%(typed)s”: type more of the name "
                "or the address."
            )
            % {"count": number_format(MAX_CUSTOMERS, force_grouping=True), "typed": value}
        )
    return Q(customer_id__in=ids) & narrower


def _org(value: str, agent: Agent | None) -> Q:
    return Q(customer__organization=named(Organization.objects.all(), "name", value, "org"))


ONE_VALUE: dict[str, Callable[[str, Agent | None], Q]] = {
    "status": _status,
    "state": _state,
    "assignee": _assignee,
    "team": _team,
    "department": _department,
    "topic": _topic,
    "priority": _priority,
    "from": _from,
    "customer": _customer,
    "org": _org,
}


def _is(value: str, agent: Agent | None) -> Q:
    match value.lower():
        case "open":
            return Q(state=State.OPEN)
        case "closed":
            return Q(state=State.CLOSED)
        case "overdue":
            return Q(state=State.OPEN, is_overdue=True)
        case "unassigned":
            return Q(assignee__isnull=True, team__isnull=True)
        case "assigned":
            return Q(assignee__isnull=False) | Q(team__isnull=False)
        case "mine" if agent is not None:
            return Q(assignee=agent)
    values = "open, closed, overdue, unassigned, assigned" + (", mine" if agent else "")
    raise BadSearch(_("“is:” is one of %(values)s.") % {"values": values})


def _has(value: str, public_only: bool) -> Q:
    if value.lower() not in ("attachment", "attachments"):
        raise BadSearch(_("“has:” takes attachment (%(example)s).") % {"example": "has:attachment"})
    # By the attachments' own ticket column: one index probe per ticket.
    files = Attachment.objects.filter(ticket=OuterRef("pk"))
    if public_only:
        files = files.exclude(entry__kind=EntryKind.NOTE)
    return Q(Exists(files))


# --- dates ------------------------------------------------------------------------

_AGE = re.compile(r"(\d{1,4})([hdwmy])")
MAX_AGE_DAYS = 100 * 365
_UNITS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}
_COMPARE = re.compile(r"(>=|<=|>|<)?(.+)")


def _when(key: str, value: str) -> Q:
    column = "created_at" if key == "created" else "updated_at"
    if ".." in value:
        start_text, _sep, end_text = value.partition("..")
        start, _end = _day(key, start_text)
        _start, end = _day(key, end_text)
        if end <= start:
            raise BadSearch(
                _("“%(key)s:” has a range that ends before it starts: %(typed)s.")
                % {"key": key, "typed": value}
            )
        return Q(**{f"{column}__gte": start, f"{column}__lt": end})
    match = _COMPARE.fullmatch(value)
    assert match is not None  # `.+` matches any non-empty value
    op, rest = match.group(1) or "", match.group(2)
    if (age := _AGE.fullmatch(rest.lower())) is not None:
        days = int(age.group(1)) * _UNITS[age.group(2)]
        if days > MAX_AGE_DAYS:  # "3000y" reached back before year 1: a 500
            raise BadSearch(
                _("“%(key)s:” looks back at most %(years)d years.") % {"key": key, "years": 100}
            )
        moment = timezone.now() - timedelta(days=days)
        # An age: "<7d" is younger than seven days, so after the moment.
        newer = op in ("<", "<=", "")
        return Q(**{f"{column}__{'gte' if newer else 'lt'}": moment})
    start, end = _day(key, rest)
    lookups = {
        "": {f"{column}__gte": start, f"{column}__lt": end},
        ">": {f"{column}__gte": end},
        ">=": {f"{column}__gte": start},
        "<": {f"{column}__lt": start},
        "<=": {f"{column}__lt": end},
    }
    return Q(**lookups[op])


def _day(key: str, text: str) -> tuple[datetime, datetime]:
    """The start and the end of the day `text` (YYYY-MM-DD), in the current zone."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is None or not 1970 <= day.year <= 9998:
        raise BadSearch(
            _(
                "“%(key)s:” takes a day such as 2026-01-31, a range such as "
                "2026-01-01..2026-01-31, or an age such as 7d, each after > or < if you like."
            )
            % {"key": key}
        )
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end
