"""The people behind a ticket: an agent corrects its customer's details (issue 13's
customer panel) from the ticket's page.

The customer is one row shared by all their tickets, so the change shows on every
one of them; it is recorded as events on the ticket it was made from (kind
"edited", field "customer_name", "customer_phone", "customer_email" or
"customer_organization"), one per field changed, in the ticket's timeline. The
search index follows through `helpline.search.staleness`: saving the customer
marks their tickets (and those they follow) whose documents hold the name, the
address or the organization; the events mark this ticket.

An address is only ever added, to a customer who has none (a caller taken on the
phone, `accounts.customers.create_customer_without_email`): changing an existing
one would move their portal sign-in and their mail elsewhere, which is the
customer's own business. The address must be nobody else's, as the unique index
on Lower(email) demands, and no agent's (agents follow tickets in the desk).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpline.accounts.customers import customers_with_email, is_agent_address, normalize_email
from helpline.accounts.models import Customer, Organization
from helpline.tickets.lifecycle.core import (
    Actor,
    Change,
    NotAllowed,
    Refused,
    lock_ticket,
    refuse_archived,
    require_agent,
)
from helpline.tickets.models import EventKind, Ticket
from helpline.tickets.permissions import TicketAction, visibility_filter

NAME_LENGTH = Customer._meta.get_field("name").max_length or 200
PHONE_LENGTH = Customer._meta.get_field("phone").max_length or 40
EMAIL_LENGTH = Customer._meta.get_field("email").max_length or 254


def tidy_phone(phone: str) -> str:
    """A phone number as typed, its spaces made single and its ends trimmed; no
    format is imposed (extensions, country codes and "ask for Ken" all occur)."""
    return " ".join(phone.split())


def edit_customer(
    ticket: Ticket,
    *,
    actor: Actor,
    name: str,
    phone: str,
    organization: Organization | None,
    email: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Change the name, phone and organization of the ticket's customer, and give
    them an address if they have none (`email`; ignored when it is the one they
    have). Whoever may edit the ticket may; refused when nothing changes."""
    name = " ".join(name.split())
    phone = tidy_phone(phone)
    email = normalize_email(email)
    if not name:
        raise Refused(_("The customer's name cannot be empty."))
    if len(name) > NAME_LENGTH or len(phone) > PHONE_LENGTH:
        raise Refused(_("The name or the phone number is too long."))
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version)
        agent = require_agent(actor, TicketAction.EDIT, ticket)
        refuse_archived(ticket)
        # Read again, locked, inside the transaction: of two agents editing the
        # same customer from two of their tickets, the second's events name what
        # it replaced (the first's values), so nothing is overwritten untold.
        customer = Customer.objects.select_for_update().get(pk=ticket.customer_id)
        change = Change(ticket, actor)
        fields: list[str] = []
        for field, old, new in (
            ("name", customer.name, name),
            ("phone", customer.phone, phone),
        ):
            if old != new:
                change.event(EventKind.EDITED, field=f"customer_{field}", old=old, new=new)
                setattr(customer, field, new)
                fields.append(field)
        if (organization.pk if organization else None) != customer.organization_id:
            change.event(
                EventKind.EDITED,
                field="customer_organization",
                old=customer.organization,
                new=organization,
            )
            customer.organization = organization
            fields.append("organization")
        if email and email.lower() != customer.email.lower():
            # Whoever holds the address may sign in on the portal as this
            # customer, get and answer mail on all their tickets: only an agent
            # who can see every one of them may give it.
            hidden = Ticket.objects.filter(customer=customer)
            if not agent.is_admin and hidden.exclude(visibility_filter(agent)).exists():
                raise NotAllowed(
                    _(
                        "This customer has tickets in departments you cannot see: ask an "
                        "administrator to add their email address."
                    )
                )
            _check_new_address(customer, email)
            change.event(EventKind.EDITED, field="customer_email", old="", new=email)
            customer.email = email
            fields.append("email")
        if not fields:
            raise Refused(_("Nothing was changed."))
        try:
            with transaction.atomic():  # a savepoint: the unique index's race below
                customer.save(update_fields=fields)
        except IntegrityError:
            # The same address given to another customer at the same moment.
            raise Refused(_taken(email)) from None
        ticket.customer = customer
        return change.save()


def _check_new_address(customer: Customer, email: str) -> None:
    if customer.email:
        raise Refused(
            _("The customer has an email address already; only a missing one can be added here.")
        )
    try:
        validate_email(email)
    except ValidationError:
        raise Refused(_("Enter a valid email address.")) from None
    if len(email) > EMAIL_LENGTH:
        raise Refused(_("The email address is too long."))
    if is_agent_address(email):
        raise Refused(_("That is an agent's address: agents follow tickets in the desk."))
    if customers_with_email(email).exclude(pk=customer.pk).exists():
        raise Refused(_taken(email))


def _taken(email: str) -> str:
    return _(
        "Another customer has the address %(email)s: open one of their tickets, or give "
        "this customer another address."
    ) % {"email": email}
