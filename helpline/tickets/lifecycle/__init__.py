"""The only write path for tickets.

Every channel (portal, desk, API, email, clock) calls one of these functions. Each
one takes keyword arguments and an actor, checks permission and the transition,
writes the change and its event rows in one transaction, keeps the queue counters
in step, and refuses with a `LifecycleError` whose message can be shown as is.

Concurrency: changes that overwrite a field take `expected_version`, the version
the person was looking at. If the ticket changed since, `Conflict` is raised and
carries the fresh ticket, so the person sees the new state and nothing is
silently overwritten. The write itself is a conditional UPDATE on the version,
so even callers that pass no version never lose an update.

Opening takes a request object: `open_ticket(NewTicket(...), actor=...)`. Layers
above the lifecycle (the routing rules of helpline.automation) reach new tickets
through the registry in `hooks`, never by being imported from here.

Modules: `core` (errors, locking, the change recorder), `opening`, `hooks`,
`assignment` (by a person), `auto_assignment` (by the department's or team's
mode), `status`, `thread`, `held`, `clock`, `escalation`, `sweep` (the clock's
batch path), `rating`, `merging` (merge and its undo), `linking` (links, a
parent's children, splitting a message off), `people` (the customer's details).
"""

from helpline.tickets.lifecycle.assignment import assign, claim, claim_next, release, transfer
from helpline.tickets.lifecycle.clock import plan_for, set_due, set_plan
from helpline.tickets.lifecycle.core import (
    Actor,
    Body,
    ChangedMeanwhile,
    Conflict,
    LifecycleError,
    NotAllowed,
    Refused,
    Rejected,
    Upload,
    actor_name,
    events_committed,
    events_recorded,
    prepare_body,
    recount_queues,
)
from helpline.tickets.lifecycle.escalation import (
    can_escalate,
    due_for_sweep,
    escalate,
    postpone_alarm,
    sla_tick,
)
from helpline.tickets.lifecycle.held import accept_held, dismiss_held, hold_reply, reply_author
from helpline.tickets.lifecycle.linking import (
    ChildrenResolved,
    link,
    open_children,
    resolve_children,
    split,
    unlink,
)
from helpline.tickets.lifecycle.merging import merge, survivor_of, undo_blocker, unmerge
from helpline.tickets.lifecycle.opening import NewTicket, open_ticket
from helpline.tickets.lifecycle.people import edit_customer
from helpline.tickets.lifecycle.rating import rate
from helpline.tickets.lifecycle.status import (
    change_priority,
    change_status,
    close,
    edit,
    reopen,
    resolve,
    set_answers,
)
from helpline.tickets.lifecycle.sweep import sla_tick_many
from helpline.tickets.lifecycle.thread import (
    add_collaborator,
    add_note,
    changed_by_others,
    customer_reply,
    is_party,
    remove_collaborator,
    reply,
)

__all__ = [
    "Actor",
    "Body",
    "ChangedMeanwhile",
    "ChildrenResolved",
    "Conflict",
    "LifecycleError",
    "NewTicket",
    "NotAllowed",
    "Refused",
    "Rejected",
    "Upload",
    "accept_held",
    "actor_name",
    "add_collaborator",
    "add_note",
    "assign",
    "can_escalate",
    "change_priority",
    "change_status",
    "changed_by_others",
    "claim",
    "claim_next",
    "close",
    "customer_reply",
    "dismiss_held",
    "due_for_sweep",
    "edit",
    "edit_customer",
    "escalate",
    "events_committed",
    "events_recorded",
    "hold_reply",
    "is_party",
    "link",
    "merge",
    "open_children",
    "open_ticket",
    "plan_for",
    "postpone_alarm",
    "prepare_body",
    "rate",
    "recount_queues",
    "release",
    "remove_collaborator",
    "reopen",
    "reply",
    "reply_author",
    "resolve",
    "resolve_children",
    "set_answers",
    "set_due",
    "set_plan",
    "sla_tick",
    "sla_tick_many",
    "split",
    "survivor_of",
    "transfer",
    "undo_blocker",
    "unlink",
    "unmerge",
]
