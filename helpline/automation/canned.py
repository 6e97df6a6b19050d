"""Canned replies in the desk: which an agent may pick and manage, and filling in
their variables.

An agent picks, in a ticket's reply box, the active replies that are shared or
their own, for the ticket's department or for every department. They manage
their own; administrators every shared one; supervisors the shared ones of the
departments they supervise (a reply for every department is an administrator's).

Variables are osTicket's (`%{ticket.number}`), so its canned responses work as
they were written, and filled from the ticket when the reply is picked: the
agent sees, and may change, every word before it is sent. A variable not known
is left as typed (the desk's form refuses to save one).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from helpline.accounts.models import Agent, Department, Role
from helpline.automation.models import CannedAttachment, CannedReply
from helpline.lib.html import SafeHTML, html_to_text
from helpline.tickets.lifecycle import Upload
from helpline.tickets.models import Ticket
from helpline.tickets.permissions import department_roles

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

log = logging.getLogger(__name__)

# The most a picker lists at once (the agent types more of the title to narrow).
PICK_LIMIT = 10
# The most files of canned replies one reply may carry (each reply's own are
# bounded by HELPLINE_MAX_ATTACHMENTS, and so is the message).
MAX_PICKED_FILES = 20

VARIABLE = re.compile(r"%\{([a-z_.]+)\}")


@dataclass(frozen=True)
class Context:
    """What the variables are filled from: the ticket, and the agent answering
    (None: a routing rule, Helpline itself)."""

    ticket: Ticket
    agent: Agent | None


def ticket_link(ticket: Ticket) -> str:
    """The ticket's page on the portal, behind the sign-in: the text of a reply
    goes to everybody in copy and stays in the thread, where a signed link would
    let any of them act as the customer (the customer's own mail carries their
    signed link below the reply; notify.outbox)."""
    return settings.HELPLINE_BASE_URL + reverse("portal:ticket", args=[ticket.number])


def _staff(c: Context) -> str:
    return c.agent.name if c.agent else ""


def _staff_first(c: Context) -> str:
    if c.agent is None:
        return ""
    return c.agent.user.first_name or _first(c.agent.name)


def _first(name: str) -> str:
    return name.split()[0] if name.split() else ""


def _when(value: datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def _customer(c: Context) -> str:
    return c.ticket.customer.name


# name: (what it is, for the form's help, and its value)
VARIABLES: dict[str, tuple[_StrPromise, Callable[[Context], str]]] = {
    "ticket.number": (gettext_lazy("the ticket's number"), lambda c: c.ticket.number),
    "ticket.subject": (gettext_lazy("its subject"), lambda c: c.ticket.subject),
    "ticket.name": (gettext_lazy("the customer's name"), _customer),
    "ticket.name.first": (
        gettext_lazy("the customer's first name"),
        lambda c: _first(_customer(c)),
    ),
    "ticket.email": (gettext_lazy("the customer's email"), lambda c: c.ticket.customer.email),
    "ticket.dept.name": (gettext_lazy("its department"), lambda c: c.ticket.department.name),
    "ticket.topic.name": (
        gettext_lazy("its help topic"),
        lambda c: c.ticket.topic.name if c.ticket.topic else "",
    ),
    "ticket.create_date": (
        gettext_lazy("when it was opened"),
        lambda c: _when(c.ticket.created_at),
    ),
    "ticket.due_date": (gettext_lazy("when it is due"), lambda c: _when(c.ticket.due_at)),
    "recipient.ticket_link": (
        gettext_lazy("the ticket on the portal (after signing in)"),
        lambda c: ticket_link(c.ticket),
    ),
    "staff.name": (gettext_lazy("your name"), _staff),
    "staff.name.first": (gettext_lazy("your first name"), _staff_first),
    # The reply mail adds the agent's signature below every reply already.
    "signature": (gettext_lazy("nothing: the mail adds your signature"), lambda c: ""),
}
# osTicket's other names for the same values.
ALIASES = {
    "ticket.dept": "ticket.dept.name",
    "recipient.name": "ticket.name",
    "recipient.name.first": "ticket.name.first",
    "ticket.link": "recipient.ticket_link",
}


def _filled(text: str, context: Context, shown: Callable[[str], str]) -> str:
    """`text` with its known variables filled in, each value passed through
    `shown`; the others left as typed."""

    def value(match: re.Match[str]) -> str:
        known = VARIABLES.get(ALIASES.get(match.group(1), match.group(1)))
        return shown(known[1](context)) if known else match.group(0)

    return VARIABLE.sub(value, text)


def fill(text: str, context: Context) -> str:
    """`text` with its known variables filled in; the others left as typed."""
    return _filled(text, context, str)


def unknown_variables(text: str) -> list[str]:
    """The `%{...}` in `text` that `fill` would leave as typed, each once."""
    names = dict.fromkeys(VARIABLE.findall(text))
    return [f"%{{{n}}}" for n in names if n not in VARIABLES and n not in ALIASES]


def fill_html(body: SafeHTML, context: Context) -> SafeHTML:
    """A sanitized body with its known variables filled in, each value escaped
    (a routing rule's reply, filled once the ticket exists)."""
    return SafeHTML(_filled(str(body), context, html.escape))


def as_text(reply: CannedReply, context: Context) -> str:
    """The reply as the reply box takes it: plain text, variables filled."""
    return fill(html_to_text(reply.body_html).strip(), context)


# --- who picks and who manages ------------------------------------------------------


def usable(agent: Agent, department_id: int) -> QuerySet[CannedReply]:
    """The replies `agent` may pick for a ticket of this department."""
    return CannedReply.objects.filter(
        Q(department__isnull=True) | Q(department_id=department_id),
        Q(owner__isnull=True) | Q(owner=agent),
        is_active=True,
    )


def picks(agent: Agent, department_id: int, typed: str) -> list[CannedReply]:
    """The first PICK_LIMIT usable replies whose title holds `typed`, by title,
    with their files."""
    found = usable(agent, department_id).prefetch_related("attachments")
    if typed:
        found = found.filter(title__icontains=typed)
    return list(found.order_by("title", "id")[:PICK_LIMIT])


def supervised(agent: Agent) -> list[int]:
    """The departments whose shared replies a supervisor manages."""
    return [d for d, role in department_roles(agent).items() if role == Role.SUPERVISOR]


def may_share(agent: Agent) -> bool:
    return agent.is_admin or bool(supervised(agent))


def manageable(agent: Agent) -> QuerySet[CannedReply]:
    """The replies `agent` may change: their own, and the shared ones their role
    lets them."""
    if agent.is_admin:
        return CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=agent))
    return CannedReply.objects.filter(
        Q(owner=agent) | Q(owner__isnull=True, department_id__in=supervised(agent))
    )


def departments_for(agent: Agent, *, shared: bool) -> QuerySet[Department]:
    """The departments a reply of `agent`'s may be for: any for an administrator;
    a supervisor's own supervised ones for a shared reply; the agent's own
    departments for their personal one."""
    if agent.is_admin:
        return Department.objects.all()
    ids = supervised(agent) if shared else list(department_roles(agent))
    return Department.objects.filter(pk__in=ids)


# --- the files a picked reply brings -------------------------------------------------


def picked_files(agent: Agent, department_id: int, ids: Iterable[int]) -> list[CannedAttachment]:
    """The files of usable replies with these ids, in the order given; refuses
    (ValidationError) when one is gone or was never the agent's to pick."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_PICKED_FILES:
        raise ValidationError(
            ngettext(
                "A reply carries at most %(count)d file of canned replies.",
                "A reply carries at most %(count)d files of canned replies.",
                MAX_PICKED_FILES,
            )
            % {"count": MAX_PICKED_FILES}
        )
    found = usable_files(agent, department_id, wanted)
    if len(found) != len(wanted):
        raise ValidationError(
            _("A canned reply's file is no longer available: pick the canned reply again.")
        )
    return found


def usable_files(agent: Agent, department_id: int, ids: list[int]) -> list[CannedAttachment]:
    """Those of the files with these (distinct) ids that are still the agent's to
    pick here, in the order given; the others are left out."""
    if not ids:
        return []
    found = {
        f.pk: f
        for f in CannedAttachment.objects.filter(pk__in=ids, reply__in=usable(agent, department_id))
    }
    return [found[pk] for pk in ids if pk in found]


def as_uploads(files: Iterable[CannedAttachment]) -> list[Upload]:
    """The files read, as the lifecycle attaches them (before its transaction)."""
    uploads = []
    for f in files:
        try:
            with f.file.open("rb") as stream:
                uploads.append(Upload(f.filename, f.content_type, stream.read()))
        except OSError:
            log.error("Canned reply file %s is gone from storage", f.pk)
            raise ValidationError(
                _("“%(name)s” of a canned reply cannot be read: remove it and send again.")
                % {"name": f.filename}
            ) from None
    return uploads
