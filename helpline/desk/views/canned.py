"""Canned replies in the desk: the reply box's picker, and the page where agents
keep their own and administrators and supervisors the shared ones
(helpline.automation.canned says who may what)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpline.accounts.models import Agent
from helpline.automation import canned
from helpline.automation.models import CannedAttachment, CannedReply
from helpline.desk.forms import NAMES, MultipleFileField
from helpline.desk.views.common import get_ticket_for_agent
from helpline.lib.html import html_to_text, text_to_html
from helpline.tickets.permissions import TicketAction, can
from helpline.tickets.uploads import check_uploads, limits_text
from helpline.web.auth import agent_required, current_agent

MAX_BODY_CHARS = 20_000
MAX_TYPED = 120


# --- the picker in the reply box --------------------------------------------------------


@agent_required
@require_safe
def pick(request: HttpRequest, number: str) -> HttpResponse:
    """The replies whose title holds what was typed (htmx), each with its text
    filled in for this ticket and its files."""
    agent = current_agent(request)
    ticket = get_ticket_for_agent(request, number)
    if not can(agent, TicketAction.REPLY, ticket):
        raise Http404("No reply here")
    # NUL is no text (PostgreSQL refuses it in a LIKE: a 500).
    typed = request.GET.get("canned_q", "")[:MAX_TYPED].replace("\x00", "").strip()
    context = canned.Context(ticket, agent)
    replies = [
        (r, canned.as_text(r, context), _files_json(r))
        for r in canned.picks(agent, ticket.department_id, typed)
    ]
    return render(request, "desk/_canned_picks.html", {"replies": replies, "typed": typed})


def _files_json(reply: CannedReply) -> str:
    """The reply's files as the picker's script adds them to the reply form."""
    return json.dumps([{"id": f.pk, "name": f.filename} for f in reply.attachments.all()])


# --- the management page ----------------------------------------------------------------


class FileChoices(forms.ModelMultipleChoiceField):
    """The files to remove: an id past any row's is refused as not one of the
    choices before it reaches the database (SQLite overflows on it: a 500)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if not str(pk).isdigit() or len(str(pk)) > 18:  # 10**18 < 2**63
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)  # type: ignore[misc]


class CannedReplyForm(forms.ModelForm[CannedReply]):
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    shared = forms.BooleanField(
        required=False,
        label=gettext_lazy("Shared with the department's agents"),
        help_text=gettext_lazy("Otherwise only you see it."),
    )
    add_files = MultipleFileField(required=False, label=gettext_lazy("Add files"))
    remove = FileChoices(
        queryset=CannedAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Remove files"),
    )

    class Meta:
        model = CannedReply
        fields = ["title", "department", "is_active"]
        widgets = {"department": NAMES}

    def __init__(self, *args: Any, agent: Agent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent
        reply = self.instance
        if reply.pk:
            self.initial["body"] = html_to_text(reply.body_html).strip()
            self.initial["shared"] = reply.owner_id is None
            self.fields["remove"].queryset = reply.attachments.all()  # type: ignore[attr-defined]
        else:
            self.initial["shared"] = False
        if not canned.may_share(agent):
            del self.fields["shared"]
        self.fields["add_files"].help_text = limits_text()
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        # A sharer's own replies may be for any of their departments too: the
        # union, and clean() checks the one chosen against "shared".
        department.queryset = canned.departments_for(agent, shared=False) | (
            canned.departments_for(agent, shared=True)
        )
        department.empty_label = _("Every department")
        self.fields["body"].help_text = _("Variables: %(list)s") % {
            "list": ", ".join(
                f"%{{{name}}} ({what})" for name, (what, _v) in canned.VARIABLES.items()
            )
        }

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"].replace("\x00", "")
        unknown = canned.unknown_variables(body)
        if unknown:
            raise ValidationError(
                ngettext(
                    "Not a variable: %(names)s. The list is below the text.",
                    "Not variables: %(names)s. The list is below the text.",
                    len(unknown),
                )
                % {"names": ", ".join(unknown)}
            )
        return body

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        shared = bool(data.get("shared"))
        department = data.get("department")
        agent = self.agent
        if shared and not agent.is_admin:
            if department is None or department.pk not in canned.supervised(agent):
                self.add_error(
                    "department",
                    _("A shared reply is for one of the departments you supervise."),
                )
        elif (
            not shared
            and department is not None
            and department not in canned.departments_for(agent, shared=False)
        ):
            self.add_error("department", _("Choose one of your departments."))
        # The owner before the model's checks (_post_clean), which test the title
        # against the shared replies or the agent's own.
        self.instance.owner = None if shared else agent
        # The title's uniqueness is checked here: the model's own check leaves out
        # constraints on fields the form does not have (the owner).
        title = data.get("title")
        if title and (
            CannedReply.objects.filter(title=title, owner=self.instance.owner)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "title",
                _("A shared canned reply has this title.")
                if shared
                else _("You have a canned reply with this title."),
            )
        kept = self.instance.attachments.count() if self.instance.pk else 0
        kept -= len(data.get("remove") or [])
        added = data.get("add_files") or []
        try:
            data["uploads"] = check_uploads(added)
        except ValidationError as exc:
            self.add_error("add_files", exc)
        if kept + len(added) > settings.HELPLINE_MAX_ATTACHMENTS:
            most = settings.HELPLINE_MAX_ATTACHMENTS
            self.add_error(
                "add_files",
                ngettext(
                    "A canned reply carries at most %(count)d file.",
                    "A canned reply carries at most %(count)d files.",
                    most,
                )
                % {"count": most},
            )
        return data

    def save(self, commit: bool = True) -> CannedReply:
        reply = super().save(commit=False)
        if "body" in self.changed_data or not reply.pk:
            # Edited here as text; a reply written as HTML elsewhere (the admin,
            # osTicket) keeps its formatting until its text is changed.
            reply.body_html = text_to_html(self.cleaned_data["body"])
        with transaction.atomic():
            reply.save()
            gone = list(self.cleaned_data.get("remove") or [])
            CannedAttachment.objects.filter(pk__in=[f.pk for f in gone]).delete()
            _delete_files(gone)
            for upload in self.cleaned_data.get("uploads") or []:
                stored = CannedAttachment(
                    reply=reply,
                    filename=upload.filename,
                    content_type=upload.content_type,
                    size=len(upload.content),
                )
                stored.file.save(upload.filename, ContentFile(upload.content), save=False)
                stored.save()
        return reply


def _delete_files(files: list[CannedAttachment]) -> None:
    """The stored files of rows deleted, once the deletion is committed (a rollback
    keeps rows whose files must still be there)."""
    names = [(f.file.storage, f.file.name) for f in files if f.file.name]

    def delete() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def _mine(request: HttpRequest, pk: int) -> CannedReply:
    return get_object_or_404(canned.manageable(current_agent(request)), pk=pk)


@never_cache
@agent_required
@require_safe
def canned_list(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    replies = (
        canned.manageable(agent)
        .select_related("department")
        .prefetch_related("attachments")
        # The agent's own first, then the shared (NULLs sort apart on the two databases).
        .order_by(F("owner_id").asc(nulls_last=True), "title", "id")
    )
    context = {"replies": replies, "nav": "canned", "may_share": canned.may_share(agent)}
    return render(request, "desk/canned_list.html", context)


@never_cache
@agent_required
@require_http_methods(["GET", "POST"])
def canned_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agent = current_agent(request)
    reply = _mine(request, pk) if pk is not None else CannedReply()
    if request.method == "POST":
        form = CannedReplyForm(request.POST, request.FILES, instance=reply, agent=agent)
        if form.is_valid():
            saved = form.save()
            messages.success(request, _("Canned reply “%(title)s” saved.") % {"title": saved.title})
            return redirect("desk:canned")
        status = 400
    else:
        form = CannedReplyForm(instance=reply, agent=agent)
        status = 200
    context = {"form": form, "reply": reply, "nav": "canned"}
    return render(request, "desk/canned_edit.html", context, status=status)


@agent_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _mine(request, pk)
    with transaction.atomic():
        _delete_files(list(reply.attachments.all()))
        reply.delete()
    messages.success(request, _("Canned reply “%(title)s” deleted.") % {"title": reply.title})
    return redirect("desk:canned")
