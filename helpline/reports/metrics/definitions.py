"""What every figure means, in words: shown on the report page (hover or help link)
and written in docs/metrics.md (a test checks that each text appears there
verbatim), so the same definitions are used everywhere."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

GROUPS: dict[str, str | Promise] = {
    "none": gettext_lazy("No grouping"),
    "department": gettext_lazy("Department"),
    "topic": gettext_lazy("Help topic"),
    "agent": gettext_lazy("Agent"),
    "team": gettext_lazy("Team"),
    "priority": gettext_lazy("Priority"),
    "source": gettext_lazy("Source"),
}

DEFINITIONS: dict[str, str | Promise] = {
    "period": (
        gettext_lazy(
            "A period is whole days in the viewer's time zone: from 00:00 on the first day "
            "to 00:00 after the last day. An event counts in the period when it happened "
            "inside those bounds."
        )
    ),
    "grouping": (
        gettext_lazy(
            "Rows group what happened by the department, help topic, team, priority or "
            "source the ticket had at that moment: what happened before a transfer stays "
            "with the department it happened in. By agent, each figure goes to the agent "
            "it is about: the agent assigned for Assigned; the agent who acted for "
            "Resolved, Closed, Reopened, first response and Handled; the ticket's assignee "
            "of the moment for Opened, Overdue and the backlog. Actions by the customer or "
            "the system fall under “No agent”. A report in another time zone than the help "
            "desk's groups by the ticket's current values."
        )
    ),
    "opened": gettext_lazy("Tickets opened in the period."),
    "assigned": gettext_lazy(
        "Times a ticket was assigned to an agent in the period (by a person or "
        "automatically; a reassignment counts again)."
    ),
    "overdue": gettext_lazy(
        "Targets missed in the period: each ticket that went past its first-response "
        "or its resolution target counts once per missed target."
    ),
    "resolved": gettext_lazy(
        "Resolutions in the period. A ticket that is reopened and resolved again counts again."
    ),
    "closed": gettext_lazy("Tickets closed in the period, from resolved or straight from open."),
    "reopened": gettext_lazy(
        "Times a resolved or closed ticket was reopened in the period, by an agent "
        "or by the customer replying."
    ),
    "backlog": gettext_lazy(
        "Open tickets at the end of each day: tickets opened up to then, minus those "
        "resolved, minus those closed while still open, plus those reopened."
    ),
    "first_response": gettext_lazy(
        "Time from opening to the ticket's first answer by an agent (a reply or the "
        "resolution), for first answers sent in the period; a ticket closed unanswered and "
        "reopened counts from the reopening. In clock hours, with time the SLA clock was "
        "paused (On Hold, Pending Customer Reply) left out."
    ),
    "first_response_business": gettext_lazy(
        "The same first-response time counted only during the "
        "business hours of the ticket's SLA plan (24/7 plans count every hour), pauses left "
        "out."
    ),
    "resolution": gettext_lazy(
        "Time from opening (or from the last reopening) to resolution, for "
        "resolutions in the period; in clock hours, with SLA pauses left out."
    ),
    "resolution_business": gettext_lazy(
        "The same resolution time counted only during the business "
        "hours of the ticket's SLA plan, pauses left out."
    ),
    "median": gettext_lazy(
        "Median: the middle value. With n values sorted from shortest, the one at "
        "position n/2, rounded up (the 2nd of 4, the 3rd of 5); in the help desk's "
        "time zone, within 5 percent of it."
    ),
    "p90": gettext_lazy(
        "90th percentile: 9 in 10 values are no longer. With n values sorted from "
        "shortest, the one at position 0.9 n, rounded up (the 9th of 10, the 10th of 11); "
        "in the help desk's time zone, within 5 percent of it."
    ),
    "mean": gettext_lazy("Mean: the sum of the values divided by their number."),
    "first_response_met": gettext_lazy(
        "Share of the first answers in the period whose ticket had a "
        "first-response target that met it."
    ),
    "resolution_met": gettext_lazy(
        "Share of the resolutions in the period with a resolution target that met it."
    ),
    "first_response_breaches": gettext_lazy(
        "First-response targets the SLA sweep marked missed in "
        "the period (an overdue event), answered since or not. An answer sent late "
        "before the sweep got there counts as not met in First response met but adds no "
        "breach here."
    ),
    "resolution_breaches": gettext_lazy(
        "Resolution targets the SLA sweep marked missed in the "
        "period (an overdue event), resolved since or not. A resolution late before the "
        "sweep got there counts as not met in Resolution met but adds no breach here."
    ),
    "reopen_rate": gettext_lazy("Reopened divided by Resolved, both in the period."),
    "handled": gettext_lazy(
        "Tickets an agent answered or resolved in the period, each ticket counted "
        "once per agent and day; the total counts each ticket once a day (in another "
        "time zone than the help desk's: once in the period)."
    ),
    "satisfaction": gettext_lazy(
        "Customer ratings given in the period: how many were good, okay and "
        "bad, and the score, the share of good among them. By agent, a rating goes to the "
        "agent who resolved."
    ),
}
