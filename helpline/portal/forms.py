"""The portal's forms. They only parse and check input; the views call the lifecycle."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext, gettext_lazy

from helpline.accounts.customers import normalize_email
from helpline.accounts.models import Customer
from helpline.tickets.lifecycle import Upload
from helpline.tickets.models import HelpTopic
from helpline.tickets.questions import TopicQuestions
from helpline.tickets.uploads import check_uploads, limits_text
from helpline.web.widgets import MultipleFileInput


class PortalForm(forms.Form):
    def has_field_errors(self) -> bool:
        """True when some field (not the form as a whole) has an error."""
        return any(name != NON_FIELD_ERRORS for name in self.errors)


# --- attachments -------------------------------------------------------------------


class AttachmentsField(forms.FileField):
    """Any number of files (checked against the limits), cleaned to `Upload`s."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Attachments"))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Upload]:
        files: list[UploadedFile] = (
            [f for f in data if f] if isinstance(data, list | tuple) else [data] if data else []
        )
        for f in files:
            if not f.size:
                raise ValidationError(gettext("“%(name)s” is empty.") % {"name": f.name})
        return check_uploads(files)


def attachments_field() -> AttachmentsField:
    # The help text is read when the form is built, so a changed setting shows.
    return AttachmentsField(help_text=limits_text())


# --- help-topic questions: helpline.tickets.questions ---------------------------------


def public_topics() -> list[HelpTopic]:
    return list(HelpTopic.objects.filter(is_public=True, is_active=True).prefetch_related("fields"))


# --- opening a ticket ------------------------------------------------------------------


class OpenTicketForm(TopicQuestions, PortalForm):
    name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    phone = forms.CharField(label=gettext_lazy("Phone number"), max_length=40, required=False)
    topic = forms.ModelChoiceField(
        label=gettext_lazy("Help topic"),
        queryset=HelpTopic.objects.none(),
        empty_label=gettext_lazy("Choose a help topic…"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the help topics.")},
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255)
    description = forms.CharField(
        label=gettext_lazy("Describe the problem"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("What happened, what you expected, and anything you already tried."),
        max_length=50_000,
    )

    def __init__(self, *args: Any, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["attachments"] = attachments_field()
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ModelChoiceField)
        topic_field.queryset = HelpTopic.objects.filter(is_public=True, is_active=True)
        topic_field.widget.attrs["translate"] = "no"  # topic names are typed by admins
        self.add_questions(public_topics(), topic_field)
        if customer is not None:
            # Signed in: the ticket is theirs, whatever the page sends.
            for name in ("name", "email"):
                self.fields[name].disabled = True
                self.fields[name].help_text = gettext("From your account.")
            self.initial.setdefault("name", customer.name)
            self.initial.setdefault("email", customer.email)
            self.initial.setdefault("phone", customer.phone)

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise ValidationError(gettext("Write a subject."))
        return subject

    def clean_description(self) -> str:
        description: str = self.cleaned_data["description"]
        if not description.strip():
            raise ValidationError(gettext("Describe the problem."))
        return description

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["extra"] = self.answers(cleaned)
        return cleaned


# --- status lookup ------------------------------------------------------------------


class StatusForm(PortalForm):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    number = forms.CharField(
        label=gettext_lazy("Ticket number"),
        max_length=20,
        help_text=gettext_lazy("The number we gave you, e.g. 123456."),
    )

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip().lstrip("#").strip()
        if not number:
            raise ValidationError(gettext("Enter the ticket number."))
        return number


# --- the thread -----------------------------------------------------------------------


class ReplyForm(PortalForm):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"] = attachments_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        empty = not (cleaned.get("body") or "").strip() and not cleaned.get("attachments")
        if empty and "attachments" not in self.errors:
            self.add_error("body", gettext("Write a reply or attach a file."))
        return cleaned


# --- accounts -----------------------------------------------------------------------


class RegisterForm(PortalForm):
    """An address only: the name and the password are given behind the link we
    mail, by whoever reads that mailbox (see portal.accounts)."""

    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class NewPasswordForm(SetPasswordForm):
    """Django's form for a new password, with what the portal's templates ask."""

    def has_field_errors(self) -> bool:
        return any(name != NON_FIELD_ERRORS for name in self.errors)


class AccountSetupForm(NewPasswordForm):
    """Behind the confirmation link: the name and the password. The view activates
    the account (portal.accounts.activate)."""

    name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    field_order = ["name", "new_password1", "new_password2"]


class LoginForm(PortalForm):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PersonForm(PortalForm):
    """Somebody to copy on the ticket (Cc), by address; or, with `remove`, one to
    take off it again."""

    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    remove = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1, required=False
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("remove") and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", gettext("Enter the address of the person to add."))
        return cleaned
