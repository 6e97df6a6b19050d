"""Daily rollups: the report figures per local day and group, kept in step with
the lifecycle, so a report reads a few rows per day and group instead of every
event of its period (issue 11: 1.2-2.6 s per event query at a million tickets).

How they are kept. `record` receives the lifecycle's `events_recorded` signal
inside the transaction of every change (as notify's outbox does): a change that
rolls back takes its figures with it, one that commits has them. It replays the
events of the change on the ticket's last replay state (`RollupTicket`: its
groups, whether it was open, who handled it that day) and adds what they count
with one UPSERT for the rows (their time histograms merged in SQL) and one for
the state: no rendering, no read beyond the ticket's state row. `rebuild`
replays the events in bulk with the same `Replay`, and so does `GeneratedFeed`
for `helpline demo generate`, so they cannot disagree on what an event counts.

What an event counts, and where:
- in the groups the ticket was in right after the event (the department, help
  topic, team, priority, source and assignee of that moment; a transfer does not
  move what happened before it), and by agent, to the agent it is about (the
  agent assigned for Assigned, the one who acted for Resolved, Closed, Reopened,
  first responses and Handled, the assignee of the moment for Opened and Overdue);
- the backlog as moves: +1 where an open ticket now is, -1 where it was, on the
  day it opened, moved (transfer, assignment, new priority or topic), left
  (resolved, closed) or came back (reopened);
- Handled once per ticket and day in each group (at its first answer that day),
  and once per ticket, day and agent for that agent;
- times as exact sums and counts (means) and as a histogram of log buckets
  (`bucket_of`): a percentile is the middle of the bucket holding the nearest
  rank, within 5 % of the exact value (and within 1 s below 1 s).

Days are local days in `settings.REPORTS_TIME_ZONE` (the site's TIME_ZONE unless
set). A report in another zone is computed from the events (metrics.sql).
"""

from helpline.reports.rollups.rebuild import GeneratedFeed, rebuild
from helpline.reports.rollups.replay import (
    DIMS,
    Replay,
    TicketState,
    bucket_of,
    bucket_value,
    keeps,
    zone_name,
)
from helpline.reports.rollups.store import record, write

__all__ = [
    "DIMS",
    "GeneratedFeed",
    "Replay",
    "TicketState",
    "bucket_of",
    "bucket_value",
    "keeps",
    "rebuild",
    "record",
    "write",
    "zone_name",
]
