"""Forms of the agent desk. Each ticket action form carries the ticket's `version`
so a change made against an older view of the ticket is refused, not applied."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Agent, Customer, Department, Team
from helpline.automation.canned import MAX_PICKED_FILES
from helpline.desk import together
from helpline.lib import bounds
from helpline.sla.models import SLAPlan
from helpline.tickets.defaults import display_name
from helpline.tickets.models import HelpTopic, Priority, Source, State, Status, Ticket
from helpline.tickets.questions import TopicQuestions
from helpline.tickets.uploads import limits_text
from helpline.web.widgets import MultipleFileInput


class ReferenceChoiceField(forms.ModelChoiceField):
    """A status or priority picker: the shipped default names in the agent's
    language, an administrator's own names as typed."""

    def label_from_instance(self, obj: Any) -> str:
        return display_name(obj.name)


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _attachments() -> MultipleFileField:
    return MultipleFileField(
        required=False, label=gettext_lazy("Attachments"), help_text=lazy(limits_text, str)()
    )


# The empty choice of a required list (Django's own "- Select an option -" has no
# German translation yet).
CHOOSE = gettext_lazy("- Choose -")
# Lists of names an administrator typed (topics, departments, agents): people's
# data, which translators and the page language check leave alone.
NAMES = forms.Select(attrs={"translate": "no"})


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # When the page was opened (seconds since the epoch): what changed since is
    # shown when the change is refused (helpline.desk.together.changes_since).
    opened = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def clean_opened(self) -> datetime | None:
        return together.page_time(self.cleaned_data.get("opened") or "")


class IdListField(forms.Field):
    """Ids sent as hidden fields of one name (the files of picked canned replies),
    at most `most` of them, each a positive 32-bit number."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, most: int, **kwargs: Any) -> None:
        self.most = most
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        values = [v for v in (value if isinstance(value, (list, tuple)) else [value]) if v]
        if len(values) > self.most:
            raise forms.ValidationError(_("Too many files were picked."))
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Not a file that can be picked.")) from None
        if any(not 0 < i < 2**31 for i in ids):
            raise forms.ValidationError(_("Not a file that can be picked."))
        return ids


# The Content-ID the editor gives a pasted picture (static/helpline/editor.js).
INLINE_ID = re.compile(r"[0-9a-f]{16,64}@helpline")


class NoValueHiddenInput(forms.HiddenInput):
    """A hidden field that never goes back to the page with its value: the ids of
    pasted pictures mean nothing on a form sent back, whose files are gone."""

    def format_value(self, value: Any) -> str | None:
        return None


class RichBodyForm(VersionedForm):
    """A reply or note box with the desk's editor (static/helpline/editor.js). With
    script, `body` is the editor's HTML (`body_format` "html"), sanitized on the
    way in like any HTML, and the pictures pasted or dropped into it come as
    `inline_images`, named in the HTML as `cid:` by the ids in `inline_ids`, in
    the same order. Without script, `body` is plain text."""

    body_format = forms.ChoiceField(
        choices=[("text", "text"), ("html", "html")], required=False, widget=forms.HiddenInput
    )
    inline_images = MultipleFileField(
        required=False, widget=MultipleFileInput(attrs={"hidden": True, "accept": "image/*"})
    )
    inline_ids = forms.CharField(required=False, max_length=4000, widget=NoValueHiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ids = (data.get("inline_ids") or "").split()
        images = data.get("inline_images") or []
        if (
            len(ids) != len(images)
            or len(set(ids)) != len(ids)
            or not all(INLINE_ID.fullmatch(i) for i in ids)
        ):
            raise forms.ValidationError(
                _("The pictures in the text did not arrive whole: please paste them again.")
            )
        data["inline"] = list(zip(ids, images, strict=True))
        return data


class ReplyForm(RichBodyForm):
    body = forms.CharField(
        label=gettext_lazy("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 6})
    )
    status = ReferenceChoiceField(
        queryset=Status.objects.filter(state=State.OPEN),
        required=False,
        label=gettext_lazy("Set status"),
        empty_label=gettext_lazy("Keep the current status"),
    )
    attachments = _attachments()
    # The files of canned replies picked into the box (helpline.automation.canned).
    canned_files = IdListField(most=MAX_PICKED_FILES, required=False)
    # Added below the reply, as sent (the desk's page fills in the agent's own or
    # the department's; views.ticket._signatures).
    signature = forms.CharField(
        label=gettext_lazy("Signature"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AddPersonForm(VersionedForm):
    """Somebody to follow the ticket (Cc): found by address, created when new."""

    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For a new address; a known one keeps its name."),
    )


class RemovePersonForm(VersionedForm):
    customer = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)


class NoteForm(RichBodyForm):
    body = forms.CharField(
        label=gettext_lazy("Internal note (agents only)"), widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = _attachments()


def _agent_label(agent: Agent) -> str:
    return _("%(name)s (away)") % {"name": agent.name} if agent.is_unavailable else agent.name


class AssignForm(VersionedForm):
    agent = forms.ModelChoiceField(
        queryset=Agent.objects.none(), required=False, label=gettext_lazy("Agent"), empty_label="—"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.filter(is_active=True),
        required=False,
        label=gettext_lazy("Team"),
        empty_label="—",
    )
    reason = forms.CharField(
        required=False, label=gettext_lazy("Comment (optional)"), max_length=500
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (  # type: ignore[attr-defined]
            Agent.objects.filter(user__is_active=True)
            .filter(Q(role="admin") | Q(access__department=ticket.department_id))
            .select_related("user")
            .distinct()
        )
        # Who is away says so: an agent may still give them the ticket, knowingly.
        self.fields["agent"].label_from_instance = _agent_label  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("agent") and not data.get("team"):
            raise forms.ValidationError(_("Choose an agent, a team, or both."))
        return data


class ReleaseForm(VersionedForm):
    pass


class TransferForm(VersionedForm):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(),
        label=gettext_lazy("Department"),
        empty_label=CHOOSE,
        widget=NAMES,
    )
    reason = forms.CharField(
        required=False, label=gettext_lazy("Reason (optional)"), max_length=500
    )


class StatusForm(VersionedForm):
    status = ReferenceChoiceField(
        queryset=Status.objects.filter(state=State.OPEN),
        label=gettext_lazy("Status"),
        empty_label=CHOOSE,
    )
    reason = forms.CharField(
        required=False, label=gettext_lazy("Comment (optional)"), max_length=500
    )


class PriorityForm(VersionedForm):
    priority = ReferenceChoiceField(
        queryset=Priority.objects.all(), label=gettext_lazy("Priority"), empty_label=CHOOSE
    )


class EditForm(VersionedForm):
    subject = forms.CharField(max_length=255, label=gettext_lazy("Subject"))
    topic = forms.ModelChoiceField(
        queryset=HelpTopic.objects.filter(is_active=True),
        label=gettext_lazy("Help topic"),
        empty_label=CHOOSE,
        widget=NAMES,
    )
    reason = forms.CharField(
        required=False, label=gettext_lazy("Comment (optional)"), max_length=500
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        """The topics of the ticket's department, and the one it has (which may be
        another department's after a transfer): the lifecycle refuses any other."""
        super().__init__(*args, **kwargs)
        field = self.fields["topic"]
        field.queryset = HelpTopic.objects.filter(  # type: ignore[attr-defined]
            Q(is_active=True, department_id=ticket.department_id) | Q(pk=ticket.topic_id)
        )
        field.error_messages["invalid_choice"] = _(
            "Choose a help topic of the %(department)s department; to use a topic of "
            "another department, transfer the ticket first."
        ) % {"department": ticket.department.name}


class ResolveForm(VersionedForm):
    explanation = forms.CharField(
        label=gettext_lazy("Resolution (the customer sees this)"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # Shown on a parent with open child tickets (desk.linked): each child is
    # resolved through the lifecycle with the same explanation.
    children = forms.BooleanField(
        required=False,
        label=gettext_lazy("Also resolve its open child tickets with this explanation"),
    )


class CloseForm(VersionedForm):
    reason = forms.CharField(
        required=False, label=gettext_lazy("Reason (optional)"), max_length=500
    )


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        required=False, label=gettext_lazy("Reason (optional)"), max_length=500
    )


class EscalateForm(VersionedForm):
    reason = forms.CharField(
        label=gettext_lazy("Why does it need escalating?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PlanForm(VersionedForm):
    plan = forms.ModelChoiceField(
        queryset=SLAPlan.objects.filter(is_active=True),
        required=False,
        label=gettext_lazy("SLA plan"),
        empty_label=gettext_lazy("No SLA plan"),
    )
    reason = forms.CharField(
        required=False, label=gettext_lazy("Comment (optional)"), max_length=500
    )


# The value format of <input type="datetime-local">: to the minute.
_PICKER = "%Y-%m-%dT%H:%M"


def _local_range() -> tuple[datetime, datetime]:
    """The first and last minute of helpline.lib.bounds' range in the current
    time zone (the viewer's, set by helpline.lib.timezones)."""
    zone = timezone.get_current_timezone()
    earliest = bounds.EARLIEST.astimezone(zone)
    if earliest.second or earliest.microsecond:  # a zone offset in seconds: next minute
        earliest = earliest.replace(second=0, microsecond=0) + timedelta(minutes=1)
    latest = bounds.LATEST.astimezone(zone).replace(second=0, microsecond=0)
    return earliest, latest


class DueForm(VersionedForm):
    due_at = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Due (your time zone; empty follows the SLA plan)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_PICKER),
        input_formats=[_PICKER, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    reason = forms.CharField(
        required=False, label=gettext_lazy("Comment (optional)"), max_length=500
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The browser's picker offers the range of times (helpline.lib.bounds, in
        # UTC) as the viewer's zone reads it: west of UTC the last day of 2099
        # ends in the afternoon, east of it in the morning of 2100.
        earliest, latest = _local_range()
        self.fields["due_at"].widget.attrs.update(
            {"min": earliest.strftime(_PICKER), "max": latest.strftime(_PICKER)}
        )

    def clean_due_at(self) -> datetime | None:
        """Inside the range of times, checked in UTC: 9999-12-31 23:59 typed in
        Tokyo is a date, but one that no page east of UTC could show, and
        2099-12-31 23:00 typed in Los Angeles is already 2100 in UTC. The message
        gives the range as the viewer's zone reads it, since that is what they
        typed in."""
        due: datetime | None = self.cleaned_data.get("due_at")
        if due is not None:
            try:
                bounds.check_datetime(due)
            except bounds.OutOfRange as error:
                earliest, latest = _local_range()
                in_zone = _("In your time zone (%(zone)s) that is %(earliest)s to %(latest)s.") % {
                    "zone": timezone.get_current_timezone_name(),
                    "earliest": earliest.strftime("%Y-%m-%d %H:%M"),
                    "latest": latest.strftime("%Y-%m-%d %H:%M"),
                }
                raise forms.ValidationError(f"{error} {in_zone}", code="out_of_range") from None
        return due


class AnswersForm(TopicQuestions, VersionedForm):
    """The ticket's answers to its help topic's questions, filled in or changed
    later (a phone ticket opened in a hurry, a question added to the topic)."""

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        topics = [ticket.topic] if ticket.topic is not None else []
        self.add_questions(topics, forms.Field())
        for name, question in self.questions.items():
            self.initial.setdefault(name, (ticket.extra or {}).get(question.key, ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        answers = self.answers({**cleaned, "topic": self.ticket.topic})
        # Every question of the topic: an emptied one removes its answer.
        cleaned["extra"] = {q.key: answers.get(q.key, "") for q in self.questions.values()}
        return cleaned


class NewTicketForm(TopicQuestions, forms.Form):
    """An agent opens a ticket for a customer, as during a phone call, answering
    the chosen help topic's questions as the portal asks them (required ones too)."""

    # 254: the customer's address column (Django's validator alone takes 320).
    # Required unless the source is one of NO_EMAIL_SOURCES (clean).
    email = forms.EmailField(
        label=gettext_lazy("Customer email"),
        max_length=254,
        required=False,
        help_text=gettext_lazy(
            "Required, except for a phone call or a walk-in: somebody without an email "
            "address can be given their name and phone number instead. They get no "
            "mail: replies stay on the ticket."
        ),
    )
    name = forms.CharField(max_length=200, label=gettext_lazy("Customer name"))
    phone = forms.CharField(max_length=40, required=False, label=gettext_lazy("Phone (optional)"))
    # The customer without an email address picked in the lookup (its button sets
    # this): reused if the name is still theirs. Nobody else is ever matched to a
    # caller without an address (see _picked).
    customer = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1
    )
    source = forms.ChoiceField(
        choices=[
            # The ticket sources' own labels ("Email" the channel, not an address).
            (Source.PHONE, Source.PHONE.label),
            (Source.WALK_IN, Source.WALK_IN.label),
            (Source.EMAIL, Source.EMAIL.label),
            (Source.OTHER, Source.OTHER.label),
        ],
        initial=Source.PHONE,
        label=gettext_lazy("Source"),
    )
    topic = forms.ModelChoiceField(
        queryset=HelpTopic.objects.filter(is_active=True).select_related("department"),
        label=gettext_lazy("Help topic"),
        empty_label=CHOOSE,
        widget=NAMES,
    )
    priority = ReferenceChoiceField(
        queryset=Priority.objects.all(),
        required=False,
        label=gettext_lazy("Priority"),
        empty_label=gettext_lazy("The help topic's priority"),
    )
    subject = forms.CharField(max_length=255, label=gettext_lazy("Subject"))
    body = forms.CharField(
        label=gettext_lazy("What the customer needs"), widget=forms.Textarea(attrs={"rows": 6})
    )
    assignee = forms.ModelChoiceField(
        queryset=Agent.objects.filter(user__is_active=True).select_related("user"),
        required=False,
        label=gettext_lazy("Assign to (optional)"),
        empty_label=gettext_lazy("Nobody yet"),
    )
    attachments = _attachments()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = list(HelpTopic.objects.filter(is_active=True).prefetch_related("fields"))
        self.add_questions(topics, self.fields["topic"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["extra"] = self.answers(cleaned)
        source = cleaned.get("source")
        if not cleaned.get("email") and "email" not in self.errors:
            if source not in NO_EMAIL_SOURCES:
                self.add_error(
                    "email",
                    _(
                        "Enter the customer's email address: only a ticket taken by phone "
                        "or from a walk-in may go without one."
                    ),
                )
            else:
                cleaned["customer"] = self._picked(cleaned)
        else:
            cleaned["customer"] = None
        return cleaned

    def _picked(self, cleaned: dict[str, Any]) -> Customer | None:
        """The customer without an address the agent picked in the lookup, if the
        name typed is still theirs (the agent typed over it: somebody else)."""
        pk, name = cleaned.get("customer"), cleaned.get("name") or ""
        picked = Customer.objects.filter(pk=pk, email="").first() if pk else None
        if picked is None or _same_name(picked.name) != _same_name(name):
            return None
        return picked


# The sources of a ticket an agent may open for a customer without an email
# address: somebody on the phone, or in person at the desk.
NO_EMAIL_SOURCES = frozenset({Source.PHONE, Source.WALK_IN})


def _same_name(name: str) -> str:
    return " ".join(name.split()).casefold()
