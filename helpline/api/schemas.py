"""What the REST API accepts and answers (pydantic models through django-ninja).

Every date and time a client sends is inside helpline.lib.bounds' range (`Time`,
`AnyTime`, `Day`): a date near year 1 or 9999 overflows as soon as it is moved to
another time zone, and made pages that show it answer 500.

Every string goes through `Text`, which refuses NUL characters and lone surrogates:
PostgreSQL cannot store either, and bad input must be a 422 that names the field,
never a 500 from the database. Ids and versions are bounded for the same reason
(SQLite raises on integers past 64 bits).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from helpline.api.inputs import MAX_MESSAGE_CHARS, check_text
from helpline.lib.bounds import check_date, check_datetime


def _aware_utc(value: datetime) -> datetime:
    """Naive times are UTC; every time is converted to UTC, inside the range of
    helpline.lib.bounds (a time at Python's edges overflows when moved)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return check_datetime(value).astimezone(UTC)


def _bounded_date(value: date) -> date:
    return check_date(value)


def _bounded_time(value: datetime) -> datetime:
    """Inside the range of helpline.lib.bounds; naive or aware as sent."""
    return check_datetime(value)


# Length limits come before the text check, so pydantic words them for strings.
Text = Annotated[str, AfterValidator(check_text)]
Address = Annotated[str, Field(max_length=320), AfterValidator(check_text)]
Name = Annotated[str, Field(max_length=200), AfterValidator(check_text)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(check_text)]
Subject = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(check_text)]
Body = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(check_text)]
Reason = Annotated[str, Field(max_length=2000), AfterValidator(check_text)]
FieldKey = Annotated[str, Field(max_length=60), AfterValidator(check_text)]
Answer = Annotated[str, Field(max_length=5000), AfterValidator(check_text)]
FileName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(check_text)]
ContentType = Annotated[str, Field(max_length=120), AfterValidator(check_text)]
# A search cursor (signed, with its first page's counts) runs to about 230.
Cursor = Annotated[str, Field(max_length=500), AfterValidator(check_text)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]
Time = Annotated[datetime, AfterValidator(_aware_utc)]
# A time as sent (naive allowed, for the endpoint to refuse with its own words).
AnyTime = Annotated[datetime, AfterValidator(_bounded_time)]
Day = Annotated[date, AfterValidator(_bounded_date)]
Format = Literal["text", "html"]

FORMAT_HELP = "`text` (default) is shown as typed; `html` is sanitized."
VERSION_HELP = (
    "The ticket version you last saw. If the ticket changed since, nothing is changed "
    "and the answer is 409 with the current version."
)


# --- errors ----------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ConflictOut(ErrorOut):
    current_version: int


# --- input -----------------------------------------------------------------------------


class AttachmentIn(Schema):
    filename: FileName
    content_type: ContentType = ""
    data: Text = Field(description="The file's content, base64-encoded.")


Attachments = Annotated[list[AttachmentIn], Field(max_length=50)]


class TicketIn(Schema):
    email: Address = Field(description="Or “Name <address>”.")
    name: Name = ""
    phone: Phone = ""
    subject: Subject
    message: Body
    format: Format = Field("text", description=FORMAT_HELP)
    topic_id: Id | None = None
    department_id: Id | None = Field(None, description="Instead of a help topic.")
    priority_id: Id | None = None
    fields: dict[FieldKey, Answer] = Field(
        default_factory=dict, description="Answers to the help topic's questions, by key."
    )
    attachments: Attachments = Field(default_factory=list)
    cc: Annotated[list[Address], Field(max_length=20)] = Field(
        default_factory=list, description="Addresses that follow the ticket."
    )
    source: Literal["api", "email", "phone", "walk_in", "web", "other"] = "api"
    autorespond: bool = Field(True, description="False: no new-ticket autoresponse.")


class VersionIn(Schema):
    expected_version: Version | None = Field(None, description=VERSION_HELP)


class ReasonIn(VersionIn):
    reason: Reason = ""


class NoteIn(Schema):
    body: Body
    format: Format = Field("text", description=FORMAT_HELP)
    attachments: Attachments = Field(default_factory=list)


class ReplyIn(NoteIn):
    status_id: Id | None = Field(None, description="Also move to this open status.")
    expected_version: Version | None = Field(
        None,
        description="Checked only when `status_id` is given: a reply alone overwrites nothing.",
    )


class ResolveIn(VersionIn):
    explanation: Body
    format: Format = Field("text", description=FORMAT_HELP)
    attachments: Attachments = Field(default_factory=list)


class AssignIn(ReasonIn):
    agent_id: Id | None = None
    team_id: Id | None = None


class TransferIn(ReasonIn):
    department_id: Id


class StatusIn(ReasonIn):
    status_id: Id


class PriorityIn(ReasonIn):
    priority_id: Id


class EscalateIn(VersionIn):
    reason: Reason = Field(..., description="Why the ticket needs escalating (required).")


class DueIn(ReasonIn):
    due_at: AnyTime | None = Field(
        None, description="The new due time (ISO 8601 with an offset); null follows the plan."
    )


class PlanIn(ReasonIn):
    sla_plan_id: Id | None = Field(None, description="The SLA plan; null for none.")


# --- output ----------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class StatusRef(Ref):
    state: str


class CustomerRef(Ref):
    email: str | None = Field(
        description="Null for a customer without an email address (a caller an agent "
        "took on the phone): they get no mail."
    )


class TicketOut(Schema):
    number: str
    subject: str
    state: str
    status: StatusRef
    priority: Ref
    department: Ref
    topic: Ref | None
    assignee: Ref | None
    team: Ref | None
    customer: CustomerRef
    source: str
    # The phone number given with the ticket (it may differ from the customer's).
    contact_phone: str | None = None
    is_overdue: bool
    due_at: datetime | None  # the resolution target (or a due date set by hand)
    sla: Ref | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    sla_paused: bool
    escalation_level: int
    first_response_breached: bool
    resolution_breached: bool
    due_is_manual: bool
    sla_from: str
    follows: str | None  # the number of the earlier ticket this one continues
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    last_message_at: datetime | None
    last_response_at: datetime | None
    reopen_count: int
    version: int
    fields: dict[str, Any]


class OnItOut(Schema):
    agent: Ref
    since: datetime


class TicketDetailOut(TicketOut):
    on_it: OnItOut | None = Field(
        description="The agent who said “I'm on it” in the desk (a soft lock that ends "
        "by itself), and since when; null when nobody is. Read-only, and only for "
        "agents' tokens."
    )


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page."
    )


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class EntryOut(Schema):
    id: int
    kind: Literal["message", "reply", "note"]
    author: str
    agent_id: int | None
    customer_id: int | None
    body: str = Field(description="Sanitized HTML.")
    source: str
    is_resolution: bool
    created_at: datetime
    attachments: list[AttachmentOut]


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    organization: Ref | None
    created_at: datetime


class TopicFieldOut(Schema):
    key: str
    label: str
    kind: str
    required: bool
    choices: list[str]
    help_text: str


class TopicOut(Schema):
    id: int
    name: str
    is_public: bool
    department: Ref
    priority: Ref | None
    fields: list[TopicFieldOut]


class StatusOut(StatusRef):
    purpose: str


class PriorityOut(Ref):
    urgency: int
    is_default: bool
