"""What every figure means, in words: shown on the report page (hover or help link)
and written in docs/metrics.md (a test checks that each text appears there
verbatim), so the same definitions are used everywhere."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _lazy

GROUPS: dict[str, str | Promise] = {
    "none": _lazy("No grouping"),
    "department": _lazy("Department"),
    "topic": _lazy("Help topic"),
    "agent": _lazy("Agent"),
    "team": _lazy("Team"),
    "priority": _lazy("Priority"),
    "source": _lazy("Source"),
}

DEFINITIONS: dict[str, str | Promise] = {
    "period": (
        _lazy(
            "A period is whole days in the viewer's time zone: from 00:00 on the first day "
            "to 00:00 after the last day. An event counts in the period when it happened "
            "inside those bounds."
        )
    ),
    "grouping": (
        _lazy(
            "Rows group tickets by their current department, help topic, team, priority "
            "or source. By agent, each figure goes to the agent it is about: the agent "
            "assigned for Assigned; the agent who acted for Resolved, Closed, Reopened, "
            "first response and Handled; the ticket's current assignee for Opened, Overdue "
            "and the backlog. Actions by the customer or the system fall under “No agent”."
        )
    ),
    "opened": _lazy("Tickets opened in the period."),
    "assigned": _lazy(
        "Times a ticket was assigned to an agent in the period (by a person or "
        "automatically; a reassignment counts again)."
    ),
    "overdue": _lazy(
        "Targets missed in the period: each ticket that went past its first-response "
        "or its resolution target counts once per missed target."
    ),
    "resolved": _lazy(
        "Resolutions in the period. A ticket that is reopened and resolved again counts again."
    ),
    "closed": _lazy("Tickets closed in the period, from resolved or straight from open."),
    "reopened": _lazy(
        "Times a resolved or closed ticket was reopened in the period, by an agent "
        "or by the customer replying."
    ),
    "backlog": _lazy(
        "Open tickets at the end of each day: tickets opened up to then, minus those "
        "resolved, minus those closed while still open, plus those reopened."
    ),
    "first_response": _lazy(
        "Time from opening to the ticket's first answer by an agent (a reply or the "
        "resolution), for first answers sent in the period; a ticket closed unanswered and "
        "reopened counts from the reopening. In clock hours, with time the SLA clock was "
        "paused (On Hold, Pending Customer Reply) left out."
    ),
    "first_response_business": _lazy(
        "The same first-response time counted only during the "
        "business hours of the ticket's SLA plan (24/7 plans count every hour), pauses left "
        "out."
    ),
    "resolution": _lazy(
        "Time from opening (or from the last reopening) to resolution, for "
        "resolutions in the period; in clock hours, with SLA pauses left out."
    ),
    "resolution_business": _lazy(
        "The same resolution time counted only during the business "
        "hours of the ticket's SLA plan, pauses left out."
    ),
    "median": _lazy(
        "Median: the middle value. With n values sorted from shortest, the one at "
        "position n/2, rounded up (the 2nd of 4, the 3rd of 5)."
    ),
    "p90": _lazy(
        "90th percentile: 9 in 10 values are no longer. With n values sorted from "
        "shortest, the one at position 0.9 n, rounded up (the 9th of 10, the 10th of 11)."
    ),
    "mean": _lazy("Mean: the sum of the values divided by their number."),
    "first_response_met": _lazy(
        "Share of the first answers in the period whose ticket had a "
        "first-response target that met it."
    ),
    "resolution_met": _lazy(
        "Share of the resolutions in the period with a resolution target that met it."
    ),
    "first_response_breaches": _lazy(
        "First-response targets the SLA sweep marked missed in "
        "the period (an overdue event), answered since or not. An answer sent late "
        "before the sweep got there counts as not met in First response met but adds no "
        "breach here."
    ),
    "resolution_breaches": _lazy(
        "Resolution targets the SLA sweep marked missed in the "
        "period (an overdue event), resolved since or not. A resolution late before the "
        "sweep got there counts as not met in Resolution met but adds no breach here."
    ),
    "reopen_rate": _lazy("Reopened divided by Resolved, both in the period."),
    "handled": _lazy(
        "Tickets an agent answered or resolved in the period, each ticket counted "
        "once per agent; the total counts each ticket once."
    ),
    "satisfaction": _lazy(
        "Customer ratings given in the period: how many were good, okay and "
        "bad, and the score, the share of good among them. By agent, a rating goes to the "
        "agent who resolved."
    ),
}
