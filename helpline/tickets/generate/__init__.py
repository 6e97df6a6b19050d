"""`helpline demo generate --tickets N`: a year of help-desk history, in bulk, for
benchmarks and for trying Helpline at scale.

What it writes (`world`, then one `story` per ticket):
- the walkthrough's world (Jane, John, Mia, Ken, their departments, topics and
  plans) when the database has none, and more of each: forty agents with access
  to one to three departments, teams, departments with reopen windows and
  auto-close, help topics on a 24/7, a four-hour and a business-hours plan with
  an escalation policy, organizations, and a customer for every four tickets,
  picked with a long tail (a few customers write often, most once or twice);
- tickets opened over the last year (more on weekdays and in office hours), each
  living through the lifecycle's steps until now: replies, customer messages,
  notes, status moves and pauses, resolutions, ratings, reopenings, closing by an
  agent or by auto-close, and the SLA sweep at every alarm (targets missed,
  escalation levels fired, priorities raised). Recent and stalled tickets are
  still open; about a fifth of all are. Threads run from 1 to 30 entries;
- attachments as metadata only. No file is written: 100,000 files at a million
  tickets cost more disk and time than the benchmark gains, and a missing file's
  download already answers 404 "The file is missing." (tickets.downloads; tested);
- the derived values the lifecycle keeps, computed by the lifecycle's own pure
  functions (`tickets.deadlines`): each ticket's state, clock, due and alarm times,
  overdue flag, escalation level, reopen count, version and update times; the
  ClockPause and EscalationFired rows; the queue counters (`add_queue_counts`); and
  what apps derive from the events, through the feeds they register
  (`register_feed`: the reports' daily rollups, replayed as the stories are told).

How: plain rows written with `executemany` in batches of 2,000 tickets, one
transaction each (`writer`), ids given by the generator so rows can point at
each other before they exist; memory holds one batch. One seeded random stream
and a fixed "now" make a run reproducible. Ticket numbers keep Helpline's shape
(`numbers`). ANALYZE runs at the end on SQLite and PostgreSQL.
"""

from helpline.tickets.generate.run import (
    FEEDS,
    MAX_TICKETS,
    Feed,
    GenerateError,
    Summary,
    add_queue_counts,
    generate,
    register_feed,
)

__all__ = [
    "FEEDS",
    "MAX_TICKETS",
    "Feed",
    "GenerateError",
    "Summary",
    "add_queue_counts",
    "generate",
    "register_feed",
]
