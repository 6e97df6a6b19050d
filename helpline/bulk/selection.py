"""Which tickets a bulk action takes: those ticked on a page, or all that match.

A ticked ticket comes as "id:version" (the version the agent saw, so a ticket
that changed since is refused as "changed meanwhile", not changed blindly).
"All matching" takes the queue's tickets with its filters and sort, up to
HELPLINE_BULK_MAX, with no version (see `matching`). Either way, only tickets the
agent can see now are taken; the others are left out without their numbers (a
stranger's guessed id must not learn a number).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpline.accounts.models import Agent
from helpline.bulk.actions import BadBulkInput
from helpline.tickets import queues
from helpline.tickets.models import Ticket


@dataclass(frozen=True)
class Target:
    pk: int
    number: str
    version: int | None


def parse_picks(values: Iterable[str]) -> list[tuple[int, int | None]]:
    """The ticked tickets ("id:version", or "id"), in order, each once; BadBulkInput
    for more than HELPLINE_BULK_MAX or a value that is not one."""
    picks: dict[int, int | None] = {}
    for raw in values:
        if len(picks) >= settings.HELPLINE_BULK_MAX:
            raise BadBulkInput(too_many_text(), "t")
        pk_text, sep, version_text = str(raw).strip().partition(":")
        pk, version = queues.id_number(pk_text), queues.id_number(version_text) if sep else None
        if pk is None or (sep and version is None):
            raise BadBulkInput(_("The selection could not be read: tick the tickets again."), "t")
        picks.setdefault(pk, version)
    return list(picks.items())


def too_many_text() -> str:
    return _("At most %(limit)s tickets at once: narrow the selection with the filters.") % {
        "limit": f"{settings.HELPLINE_BULK_MAX:,}"
    }


def picked(agent: Agent, picks: list[tuple[int, int | None]]) -> tuple[list[Target], int]:
    """The ticked tickets the agent can see, in the order ticked, and how many
    were left out (gone, or not theirs to see)."""
    found: dict[int, str] = {}
    ids = [pk for pk, _v in picks]
    for start in range(0, len(ids), 1000):  # bounded IN lists on every database
        chunk = ids[start : start + 1000]
        found.update(
            Ticket.objects.visible_to(agent).filter(pk__in=chunk).values_list("pk", "number")
        )
    targets = [Target(pk, found[pk], version) for pk, version in picks if pk in found]
    return targets, len(picks) - len(targets)


def matching(agent: Agent, queue: str, params: Mapping[str, str]) -> list[Target]:
    """Every ticket of the queue with these filters, in its sort, at its current
    version; BadBulkInput past HELPLINE_BULK_MAX, or for a queue or filter the
    queue page would refuse."""
    try:
        selection = queues.select(agent, queue, params)
    except queues.BadQueueInput as bad:
        raise BadBulkInput(bad.message, bad.field) from None
    if selection is None:
        raise BadBulkInput(_("No such queue."), "queue")
    limit = settings.HELPLINE_BULK_MAX
    rows = list(selection.tickets.values_list("pk", "number")[: limit + 1])
    if len(rows) > limit:
        raise BadBulkInput(too_many_text(), "scope")
    # No version: the agent saw a count, not the tickets, and a large job runs for
    # minutes while the SLA sweep and customers move them on. Each ticket's
    # change is still checked against its state when its turn comes.
    return [Target(pk, number, None) for pk, number in rows]


def bar_query(post: QueryDict) -> tuple[str, dict[str, str]]:
    """The queue the selection bar was on, and its filters and sort."""
    params = queues.filter_params(post)
    if post.get("sort"):
        params["sort"] = str(post["sort"])[:20]
    return str(post.get("queue", "open"))[:20], params


def from_post(agent: Agent, post: QueryDict) -> tuple[list[Target], int, bool, str, dict[str, str]]:
    """What the selection bar sent: the tickets (ticked, or with `scope=matching`
    every one of the queue), how many ticked ones were left out, whether it was
    "all matching", and the queue with its filters and sort. BadBulkInput for a
    selection that cannot be used, or an empty one."""
    queue, params = bar_query(post)
    everything = post.get("scope") == "matching"
    left_out = 0
    if everything:
        targets = matching(agent, queue, params)
    else:
        targets, left_out = picked(agent, parse_picks(post.getlist("t")[: 10**6]))
    if not targets:
        raise BadBulkInput(_("Tick at least one ticket first."), "t")
    return targets, left_out, everything, queue, params


def count_matching(agent: Agent, queue: str, params: Mapping[str, str]) -> int:
    """How many tickets "all matching" would take, counted up to
    HELPLINE_BULK_MAX + 1 (one index range read, never the whole queue).
    BadQueueInput for a queue or filter the queue page would refuse."""
    selection = queues.select(agent, queue, params)
    if selection is None:
        raise queues.BadQueueInput(_("No such queue."), "queue")
    limit = settings.HELPLINE_BULK_MAX
    return selection.tickets.order_by()[: limit + 1].count()


def left_out_text(count: int) -> str:
    return ngettext(
        "%(count)s of the selected tickets is no longer yours to see: it was left out.",
        "%(count)s of the selected tickets are no longer yours to see: they were left out.",
        count,
    ) % {"count": f"{count:,}"}
