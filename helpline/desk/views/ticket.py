"""The agent's ticket page and the actions on it.

Every action is a POST to `/desk/tickets/<number>/<action>/`. The view validates
its form, calls one lifecycle function and redirects back (Post/Redirect/Get). A
refused or conflicting change re-renders the page with what the agent typed and
the reason; after a conflict the page shows the ticket as it is now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from helpline.accounts.customers import find_or_create_customer, is_agent_address
from helpline.accounts.models import Agent, Customer
from helpline.automation import canned
from helpline.desk import forms as desk_forms
from helpline.desk import linked, on_it, together
from helpline.desk.models import Draft
from helpline.desk.views import customer as customer_edit
from helpline.desk.views.common import get_attachment_for_agent, get_ticket_for_agent
from helpline.desk.views.sla import sla_view
from helpline.lib.html import text_to_html
from helpline.tickets import lifecycle
from helpline.tickets.downloads import attachment_response, picture_type
from helpline.tickets.models import (
    Attachment,
    Collaborator,
    Entry,
    Event,
    HeldReply,
    Ticket,
    TopicField,
)
from helpline.tickets.permissions import TicketAction, can, visibility_filter
from helpline.tickets.uploads import check_uploads
from helpline.web.auth import agent_required, current_agent

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

Data = dict[str, Any]


def _uploads(data: Data) -> list[lifecycle.Upload]:
    """The box's files, then the pictures in its text (the editor's), each with
    the Content-ID its `<img src="cid:...">` names; one limit counts them all."""
    files = list(data.get("attachments") or [])
    inline: list[tuple[str, Any]] = data.get("inline") or []
    uploads = check_uploads([*files, *(image for _, image in inline)])
    # A picture by its bytes, not by the type its name claims: it goes out again
    # as an inline image in the customer's mail.
    kinds = [picture_type(p.content[:12]) for p in uploads[len(files) :]]
    if None in kinds:
        raise ValidationError(gettext("Only pictures (PNG, JPEG, GIF, WebP) go into the text."))
    return uploads[: len(files)] + [
        replace(p, content_id=content_id, content_type=kind or p.content_type)
        for p, kind, (content_id, _image) in zip(uploads[len(files) :], kinds, inline, strict=True)
    ]


def _body_html(data: Data, *, signature: str = "") -> str:
    """The box's text as HTML: the editor's HTML as it came (sanitized by the
    lifecycle, before its transaction), or plain text made into paragraphs."""
    if data.get("body_format") == "html":
        html = data["body"]
        # A blank line between the text and the signature, as in plain text.
        return html + "<br>" + text_to_html(signature) if signature else html
    body = data["body"].rstrip()
    return text_to_html(body + "\n\n" + signature if signature else body)


def _reply(t: Ticket, a: Agent, d: Data) -> Ticket:
    uploads = _uploads(d)
    # The files of the canned replies picked count against the same limit (checked
    # before any is read), and are read before the lifecycle's transaction as the
    # uploads are.
    picked = canned.picked_files(a, t.department_id, d["canned_files"])
    if len(uploads) + len(picked) > settings.HELPLINE_MAX_ATTACHMENTS:
        most = settings.HELPLINE_MAX_ATTACHMENTS
        raise ValidationError(
            ngettext(
                "Attach at most %(count)d file, those of canned replies included.",
                "Attach at most %(count)d files, those of canned replies included.",
                most,
            )
            % {"count": most}
        )
    uploads += canned.as_uploads(picked)
    return lifecycle.reply(
        t,
        actor=a,
        body_html=_body_html(d, signature=(d.get("signature") or "").strip()),
        uploads=uploads,
        signed=True,  # the box's signature, or none if the agent emptied it
        status=d.get("status"),
        expected_version=d["version"],
        # Held back once if others changed the ticket since the page was opened.
        seen_at=d.get("opened"),
    )


def _note(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.add_note(t, actor=a, body_html=_body_html(d), uploads=_uploads(d))


def _assign(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.assign(
        t,
        actor=a,
        agent=d.get("agent"),
        team=d.get("team"),
        reason=d.get("reason", ""),
        expected_version=d["version"],
    )


def _claim(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.claim(t, actor=a, expected_version=d["version"])


def _release(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.release(
        t, actor=a, agent=True, team=bool(t.team_id), expected_version=d["version"]
    )


def _transfer(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.transfer(
        t,
        actor=a,
        department=d["department"],
        reason=d.get("reason", ""),
        expected_version=d["version"],
    )


def _status(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.change_status(
        t, actor=a, status=d["status"], reason=d.get("reason", ""), expected_version=d["version"]
    )


def _priority(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.change_priority(
        t, actor=a, priority=d["priority"], expected_version=d["version"]
    )


def _answers(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.set_answers(t, actor=a, answers=d["extra"], expected_version=d["version"])


def _edit(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.edit(
        t,
        actor=a,
        subject=d["subject"],
        topic=d["topic"],
        reason=d.get("reason", ""),
        expected_version=d["version"],
    )


def _resolve(t: Ticket, a: Agent, d: Data) -> Ticket:
    ticket = lifecycle.resolve(
        t,
        actor=a,
        explanation_html=text_to_html(d["explanation"]),
        expected_version=d["version"],
    )
    if d.get("children"):  # its open child tickets too, each through the lifecycle
        d["children_resolved"] = lifecycle.resolve_children(
            ticket, actor=a, explanation_html=text_to_html(d["explanation"])
        )
    return ticket


def _close(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.close(t, actor=a, reason=d.get("reason", ""), expected_version=d["version"])


def _reopen(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.reopen(t, actor=a, reason=d.get("reason", ""), expected_version=d["version"])


def _escalate(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.escalate(t, actor=a, reason=d["reason"], expected_version=d["version"])


def _plan(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.set_plan(
        t, actor=a, plan=d.get("plan"), reason=d.get("reason", ""), expected_version=d["version"]
    )


def _due(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.set_due(
        t,
        actor=a,
        due_at=d.get("due_at"),
        reason=d.get("reason", ""),
        expected_version=d["version"],
    )


class HeldForm(desk_forms.VersionedForm):
    """Accept or dismiss one mail held for review (helpline.tickets.lifecycle.held)."""

    held = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


def _held(t: Ticket, d: Data) -> HeldReply:
    held = HeldReply.objects.filter(pk=d["held"], ticket=t).first()
    if held is None:
        raise lifecycle.Refused(gettext("That held mail is not on this ticket."))
    return held


def _accept_held(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.accept_held(_held(t, d), actor=a)


def _dismiss_held(t: Ticket, a: Agent, d: Data) -> Ticket:
    return lifecycle.dismiss_held(_held(t, d), actor=a)


def _add_person(t: Ticket, a: Agent, d: Data) -> Ticket:
    if is_agent_address(d["email"]):
        raise lifecycle.Refused(
            gettext("That is an agent's address: agents follow tickets in the desk.")
        )
    person = find_or_create_customer(name=d.get("name", ""), email=d["email"])
    return lifecycle.add_collaborator(t, actor=a, customer=person)


def _remove_person(t: Ticket, a: Agent, d: Data) -> Ticket:
    follower = Collaborator.objects.filter(ticket=t, customer_id=d["customer"]).first()
    if follower is None:
        raise lifecycle.Refused(gettext("That person does not follow this ticket."))
    return lifecycle.remove_collaborator(t, actor=a, customer=follower.customer)


@dataclass(frozen=True)
class DeskAction:
    form: type[forms.Form]
    permission: TicketAction
    run: Callable[[Ticket, Agent, Data], Ticket]
    done: str | _StrPromise
    # Adds messages of its own after `done`, from what `run` left in the data.
    report: Callable[[HttpRequest, Data], None] | None = None


# Said instead of "Reply sent." on the ticket of a customer without an address
# (and, when people in copy have one, that they got it).
REPLY_NOT_MAILED = gettext_lazy(
    "Reply saved on the ticket. The customer has no email address: it was not mailed to them."
)
REPLY_MAILED_TO_COPY = gettext_lazy(
    "Reply saved on the ticket and mailed to the people in copy. The customer has no email "
    "address: it was not mailed to them."
)

ACTIONS: dict[str, DeskAction] = {
    "reply": DeskAction(
        desk_forms.ReplyForm, TicketAction.REPLY, _reply, gettext_lazy("Reply sent.")
    ),
    "note": DeskAction(
        desk_forms.NoteForm, TicketAction.NOTE, _note, gettext_lazy("Internal note added.")
    ),
    "assign": DeskAction(
        desk_forms.AssignForm, TicketAction.ASSIGN, _assign, gettext_lazy("Ticket assigned.")
    ),
    "claim": DeskAction(
        desk_forms.ReleaseForm, TicketAction.CLAIM, _claim, gettext_lazy("You claimed the ticket.")
    ),
    "release": DeskAction(
        desk_forms.ReleaseForm,
        TicketAction.RELEASE,
        _release,
        gettext_lazy("Ticket released to the queue."),
    ),
    "transfer": DeskAction(
        desk_forms.TransferForm,
        TicketAction.TRANSFER,
        _transfer,
        gettext_lazy("Ticket transferred."),
    ),
    "status": DeskAction(
        desk_forms.StatusForm, TicketAction.STATUS, _status, gettext_lazy("Status changed.")
    ),
    "priority": DeskAction(
        desk_forms.PriorityForm, TicketAction.PRIORITY, _priority, gettext_lazy("Priority changed.")
    ),
    "edit": DeskAction(
        desk_forms.EditForm, TicketAction.EDIT, _edit, gettext_lazy("Ticket updated.")
    ),
    "answers": DeskAction(
        desk_forms.AnswersForm, TicketAction.EDIT, _answers, gettext_lazy("Answers saved.")
    ),
    "resolve": DeskAction(
        desk_forms.ResolveForm,
        TicketAction.RESOLVE,
        _resolve,
        gettext_lazy("Ticket resolved."),
        report=linked.report_children,
    ),
    "close": DeskAction(
        desk_forms.CloseForm, TicketAction.CLOSE, _close, gettext_lazy("Ticket closed.")
    ),
    "reopen": DeskAction(
        desk_forms.ReopenForm, TicketAction.REOPEN, _reopen, gettext_lazy("Ticket reopened.")
    ),
    "escalate": DeskAction(
        desk_forms.EscalateForm, TicketAction.ESCALATE, _escalate, gettext_lazy("Ticket escalated.")
    ),
    "plan": DeskAction(
        desk_forms.PlanForm, TicketAction.SLA, _plan, gettext_lazy("SLA plan changed.")
    ),
    "due": DeskAction(
        desk_forms.DueForm, TicketAction.SLA, _due, gettext_lazy("Due date changed.")
    ),
    # The people who follow the ticket (Cc): whoever may edit it.
    "add_person": DeskAction(
        desk_forms.AddPersonForm,
        TicketAction.EDIT,
        _add_person,
        gettext_lazy("They now follow the ticket and get its replies."),
    ),
    "remove_person": DeskAction(
        desk_forms.RemovePersonForm,
        TicketAction.EDIT,
        _remove_person,
        gettext_lazy("They no longer follow the ticket."),
    ),
    # The customer's own details (the customer panel's "Edit details").
    "customer": DeskAction(
        customer_edit.CustomerForm,
        TicketAction.EDIT,
        customer_edit.edit_customer,
        gettext_lazy("The customer's details were saved."),
    ),
    # Mail held for review: whoever may answer the customer decides about it.
    "accept_held": DeskAction(
        HeldForm,
        TicketAction.REPLY,
        _accept_held,
        gettext_lazy("Accepted as the sender's message."),
    ),
    "dismiss_held": DeskAction(
        HeldForm, TicketAction.REPLY, _dismiss_held, gettext_lazy("Held mail dismissed.")
    ),
}


def _make_form(name: str, ticket: Ticket, data: Any = None, files: Any = None) -> forms.Form:
    spec = ACTIONS[name]
    # Each action's controls get ids of their own ("reply-body", "note-body"), so
    # every label points at its own control on a page that holds all the forms.
    kwargs: dict[str, Any] = {"initial": {"version": ticket.version}, "auto_id": f"{name}-%s"}
    if name == "assign":
        kwargs["ticket"] = ticket
        kwargs["initial"].update(agent=ticket.assignee_id, team=ticket.team_id)
    elif name == "edit":
        kwargs["ticket"] = ticket
        kwargs["initial"].update(subject=ticket.subject, topic=ticket.topic_id)
    elif name in ("answers", "customer"):
        kwargs["ticket"] = ticket
    elif name == "priority":
        kwargs["initial"].update(priority=ticket.priority_id)
    elif name == "status":
        kwargs["initial"].update(status=ticket.status_id)
    elif name == "transfer":
        kwargs["initial"].update(department=ticket.department_id)
    elif name == "plan":
        kwargs["initial"].update(plan=ticket.sla_id)
    elif name == "due" and ticket.due_is_manual:
        kwargs["initial"].update(due_at=ticket.due_at)
    return spec.form(data, files, **kwargs)


def topic_answers(ticket: Ticket) -> list[tuple[str, str]]:
    """The customer's answers to the help topic's extra fields, labelled."""
    if not ticket.extra:
        return []
    labels = dict(TopicField.objects.filter(topic_id=ticket.topic_id).values_list("key", "label"))
    return [
        (labels.get(key, key.replace("_", " ").capitalize()), v) for key, v in ticket.extra.items()
    ]


def _draft_attrs(ticket: Ticket, kind: str) -> dict[str, str]:
    """A reply or note box saves itself as a draft a moment after each change
    (htmx; the last one sent wins), and says so beside its button."""
    return {
        "hx-post": reverse("desk:draft", args=[ticket.number, kind]),
        # canned-change: a canned reply's file picked or taken out (helpline.js).
        "hx-trigger": "input changed delay:800ms, canned-change delay:200ms",
        "hx-params": "body,opened,canned_files",
        "hx-target": f"#draft-{kind}",
        "hx-sync": "this:replace",
    }


# The customer's other tickets listed in the panel, newest first, and the most
# of theirs the panel counts.
CUSTOMER_RECENT = 5
CUSTOMER_COUNT_CAP = 1_000


def _customer_panel(agent: Agent, ticket: Ticket) -> dict[str, Any]:
    """The customer's tickets this agent may see (never a count of the others):
    how many, the newest few besides this one, and the search that lists them all,
    every state (filters only: read from the tickets, never behind the index)."""
    theirs = Ticket.objects.filter(visibility_filter(agent), customer_id=ticket.customer_id)
    recent = list(
        theirs.exclude(pk=ticket.pk).select_related("status").order_by("-pk")[:CUSTOMER_RECENT]
    )
    return {
        # Counted up to COUNT_CAP + 1: a customer with a hundred thousand tickets
        # shows "1,000+" instead of counting them on every page view.
        "customer_ticket_count": theirs[: CUSTOMER_COUNT_CAP + 1].count(),
        "customer_count_cap": CUSTOMER_COUNT_CAP,
        "customer_recent": recent,
        "customer_search": urlencode({"q": _customer_filter(ticket.customer), "order": "newest"}),
    }


def _customer_filter(customer: Customer) -> str:
    """The search filter for one customer's tickets: by their address, or by their
    id when they have none (their name may be other people's too)."""
    return f"customer:{customer.email}" if customer.email else f"customer:#{customer.pk}"


def render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: tuple[str, str] | None = None,
    status: int = 200,
    conflict_changes: list[Event] | None = None,
    on_it_asked: bool = False,
) -> HttpResponse:
    agent = current_agent(request)
    bound = bound or {}
    # "I'm on it": opening the page is work on the ticket for the marker's agent.
    marker = on_it.current(ticket)
    on_it.touch(marker, agent, active=request.method == "GET")
    entries = list(
        Entry.objects.filter(ticket=ticket)
        .select_related("held_reply__decided_by")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
    events = list(ticket.events.all())
    allowed = {name: can(agent, spec.permission, ticket) for name, spec in ACTIONS.items()}
    if ticket.merged_into_id is not None:  # read-only: its survivor is worked on
        allowed = dict.fromkeys(allowed, False)
    # Offered only where it would do something (its plan has a level not yet fired).
    allowed["escalate"] = allowed["escalate"] and lifecycle.can_escalate(ticket)
    forms_by_name = {
        name: bound.get(name) or _make_form(name, ticket) for name, ok in allowed.items() if ok
    }
    opened = round(time.time(), 3)
    for form in forms_by_name.values():
        form.initial["opened"] = opened
    signatures = _signatures(agent, ticket)
    if (box := forms_by_name.get("reply")) is not None and "reply" not in bound:
        box.initial["signature"] = signatures[0][2] if signatures else ""
    drafts = together.drafts_of(agent, ticket)
    for kind in ("reply", "note"):
        if (box := forms_by_name.get(kind)) is not None:
            box.fields["body"].widget.attrs.update(_draft_attrs(ticket, kind))
            # The editor takes the box's place (static/helpline/editor.js).
            box.fields["body"].widget.attrs["data-rich-editor"] = kind
            if kind not in bound and kind in drafts:
                box.initial["body"] = drafts[kind].body
    context = {
        "ticket": ticket,
        "canned_chips": _canned_chips(agent, ticket, bound.get("reply"), drafts.get("reply")),
        "signatures": signatures,
        "followers": list(
            ticket.collaborators.select_related("customer").order_by("added_at", "id")
        ),
        "entries": entries,
        "events": events,
        "forms": forms_by_name,
        "allowed": allowed,
        "error_action": error[0] if error else "",
        "error_message": error[1] if error else "",
        **_customer_panel(agent, ticket),
        "is_mine": ticket.assignee_id == agent.pk,
        "answers": topic_answers(ticket),
        "sla": sla_view(ticket),
        "followups": list(ticket.followups.values_list("number", flat=True)),
        "ratings": list(ticket.ratings.order_by("created_at", "id")),
        "held_waiting": [e for e in entries if _waiting(e)],
        "drafts": drafts,
        "opened": f"{opened:.3f}",
        "poll_seconds": together.POLL_SECONDS,
        "conflict_changes": conflict_changes,
        # A form sent back loses its files (a browser cannot fill a file input).
        "files_dropped": request.method == "POST" and bool(request.FILES),
        **on_it.page_context(agent, ticket, marker, asked=on_it_asked),
        # Merges, links and splits (desk.linked).
        **linked.ticket_context(agent, ticket, events=events, bound=bound),
    }
    return render(request, "desk/ticket.html", context, status=status)


def _signatures(agent: Agent, ticket: Ticket) -> list[tuple[str, str, str]]:
    """The signatures a reply may end with, the one filled in first: (key, label,
    text) of the agent's own and the department's, those that are written."""
    found = [
        ("mine", gettext("My signature"), agent.signature.strip()),
        (
            "department",
            gettext("Signature of %(department)s") % {"department": ticket.department.name},
            ticket.department.signature.strip(),
        ),
    ]
    return [choice for choice in found if choice[2]]


def _canned_chips(
    agent: Agent, ticket: Ticket, sent: forms.Form | None, draft: Draft | None = None
) -> list[Any]:
    """The canned replies' files a reply sent back still carries (its hidden
    fields, shown with their names), or else those its draft kept; none once one
    is gone or no longer the agent's to use."""
    try:
        if sent is not None and sent.is_bound:
            ids = desk_forms.IdListField(most=canned.MAX_PICKED_FILES).clean(
                sent.data.getlist("canned_files")  # type: ignore[attr-defined]
            )
        elif draft is not None and draft.canned_files:
            # Those still the agent's to pick, whichever others are gone since.
            ids = desk_forms.IdListField(most=canned.MAX_PICKED_FILES).clean(draft.canned_files)
            return canned.usable_files(agent, ticket.department_id, list(dict.fromkeys(ids)))
        else:
            return []
        return canned.picked_files(agent, ticket.department_id, ids)
    except ValidationError:
        return []


def _waiting(entry: Entry) -> bool:
    held: HeldReply | None = getattr(entry, "held_reply", None)
    return held is not None and held.is_waiting


@agent_required
@require_safe
def ticket_view(request: HttpRequest, number: str) -> HttpResponse:
    ticket = get_ticket_for_agent(request, number)
    # A merged ticket's number finds the ticket it was merged into; `?merged=show`
    # shows the merged ticket itself (its undo).
    if ticket.merged_into_id is not None and request.GET.get("merged") != "show":
        survivor = linked.visible_survivor(current_agent(request), ticket)
        if survivor is not None:
            messages.info(
                request,
                gettext("Ticket #%(merged)s was merged into #%(survivor)s.")
                % {"merged": ticket.number, "survivor": survivor.number},
            )
            return redirect("desk:ticket", number=survivor.number)
    return render_ticket(request, ticket)


@agent_required
@require_POST
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    form = _make_form(action, ticket, request.POST, request.FILES)
    if not form.is_valid():
        return render_ticket(request, ticket, bound={action: form}, status=400)
    try:
        ticket = spec.run(ticket, agent, form.cleaned_data)
    except ValidationError as exc:  # attachments over the limits
        form.add_error("attachments" if "attachments" in form.fields else None, exc)
        return render_ticket(request, ticket, bound={action: form}, status=400)
    except lifecycle.Conflict as exc:
        changes = _changed_since_opened(form, exc.ticket, agent)
        return _refused_with_changes(
            request, action, number, exc.message, changes, version=exc.ticket.version
        )
    except lifecycle.LifecycleError as exc:
        return render_ticket(
            request, ticket, bound={action: form}, error=(action, exc.message), status=400
        )
    if action in ("reply", "note"):
        together.discard_draft(agent, ticket, action)
    if action == "reply" and not ticket.customer.email:
        copied = ticket.collaborators.exclude(customer__email="").exists()
        messages.success(request, REPLY_MAILED_TO_COPY if copied else REPLY_NOT_MAILED)
    else:
        messages.success(request, spec.done)
    if spec.report is not None:
        spec.report(request, form.cleaned_data)
    if not Ticket.objects.visible_to(agent).filter(pk=ticket.pk).exists():
        messages.info(
            request,
            gettext("Ticket #%(number)s is no longer in your departments.")
            % {"number": ticket.number},
        )
        return redirect("desk:dashboard")
    return redirect("desk:ticket", number=ticket.number)


def _changed_since_opened(form: forms.Form, ticket: Ticket, agent: Agent) -> list[Event]:
    opened = form.cleaned_data.get("opened")
    if opened is None:
        return []
    changes, _count = together.changes_since(ticket, opened, agent)
    return changes


def _refused_with_changes(
    request: HttpRequest,
    action: str,
    number: str,
    message: str,
    changes: list[Event],
    *,
    version: int | None,
) -> HttpResponse:
    """The ticket as it is now, what changed since the agent's page was opened,
    and their text kept in a form that sends it if sent again ("send anyway"):
    against the version now shown, and opened now."""
    data = request.POST.copy()
    fresh = get_ticket_for_agent(request, number)
    data["version"] = str(version if version is not None else fresh.version)
    data["opened"] = f"{time.time():.3f}"
    form = _make_form(action, fresh, data, request.FILES)
    form.is_valid()
    return render_ticket(
        request,
        fresh,
        bound={action: form},
        error=(action, message),
        status=409,
        conflict_changes=changes,
    )


@agent_required
@require_safe
def attachment_view(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    attachment = get_attachment_for_agent(request, number, attachment_id)
    return attachment_response(attachment, inline=request.GET.get("view") == "1")
