"""The customer panel's "Edit details" on the ticket page: an agent who may edit
the ticket corrects its customer's name, phone and organization, and gives an
address to a customer who has none (a caller taken on the phone).

It is one of the ticket's actions (views.ticket.ACTIONS, "customer"): a POST to
`/desk/tickets/<number>/customer/` through the same gate as the others (agents
only, 404 for a ticket the agent cannot see, the form's 400 with what was typed,
the lifecycle's refusal with its reason, 409 with the ticket as it is now), and
so in the security route catalog and access matrix with them. The change itself
is `lifecycle.edit_customer` (tickets.lifecycle.people).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Agent, Organization
from helpline.desk.forms import NAMES, VersionedForm
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle.people import EMAIL_LENGTH, NAME_LENGTH, PHONE_LENGTH, tidy_phone
from helpline.tickets.models import Ticket


class CustomerForm(VersionedForm):
    """The ticket's customer as they are, to correct. The address only for a
    customer who has none: an existing one is theirs to change (their sign-in)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_LENGTH)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=PHONE_LENGTH, required=False)
    # Every organization, by name: the list an administrator keeps (accounts).
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.order_by("name"),
        required=False,
        label=gettext_lazy("Organization"),
        empty_label=gettext_lazy("None"),
        widget=NAMES,
    )
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=EMAIL_LENGTH,
        required=False,
        help_text=gettext_lazy(
            "They have none yet: with one, replies are mailed to them. It must not be "
            "another customer's."
        ),
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customer = ticket.customer
        self.initial.update(
            name=customer.name, phone=customer.phone, organization=customer.organization_id
        )
        if customer.email:
            del self.fields["email"]

    @property
    def shown(self) -> str:
        """The fields desk/_action.html shows, space-separated."""
        return " ".join(
            name for name in ("name", "phone", "organization", "email") if name in self.fields
        )

    def clean_phone(self) -> str:
        phone = tidy_phone(self.cleaned_data.get("phone") or "")
        if phone and not any(c.isdigit() for c in phone):
            raise forms.ValidationError(_("A phone number has digits."), code="no_digits")
        return phone


def edit_customer(ticket: Ticket, agent: Agent, data: dict[str, Any]) -> Ticket:
    """The action's work (views.ticket.ACTIONS): the lifecycle's, against the
    ticket's version the page showed, like the ticket's own "Edit"."""
    return lifecycle.edit_customer(
        ticket,
        actor=agent,
        name=data["name"],
        phone=data.get("phone") or "",
        organization=data.get("organization"),
        email=data.get("email") or "",
        expected_version=data["version"],
    )
