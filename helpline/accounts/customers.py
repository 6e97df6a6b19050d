"""Finding the customer behind an email address, creating them the first time.

A customer without an address (a caller logged on the phone) is never found by
one: `create_customer_without_email` makes a new one each time, and only an
agent who picks an existing one in the desk's lookup reuses them (issue 13).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from helpline.accounts.models import Customer, Organization, User


def normalize_email(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else email.strip()


def customers_with_email(email: str) -> QuerySet[Customer]:
    """The customer with this address, in any case, as a queryset; none for an
    empty address (customers without one are never found by it).

    Lower(), not __iexact: PostgreSQL runs iexact as UPPER(), which the unique index
    on Lower(email) cannot serve, so every lookup would scan the customers. The
    index is partial (WHERE NOT email = ''): the query repeats that condition word
    for word, which is how both databases know the index holds every row it wants.
    """
    address = normalize_email(email).lower()
    if not address:
        return Customer.objects.none()
    return (
        Customer.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=address)
        .exclude(email="")
    )


def has_account(email: str) -> bool:
    """A login exists for this address: a customer linked to one, or any login with
    that username, except one still waiting for its address to be confirmed
    (registering again mails another link for that one, and changes nothing)."""
    return (
        customers_with_email(email).filter(user__isnull=False).exists()
        or User.objects.filter(username__iexact=normalize_email(email))
        .exclude(is_active=False, customer__isnull=True, agent__isnull=True)
        .exists()
    )


def find_or_create_customer(*, name: str, email: str, phone: str = "") -> Customer:
    """The customer with this address (any case), created when new.

    An existing customer keeps their name: a guest typing someone else's address
    cannot rename them. A missing phone is filled in. The address must not be
    empty: a caller without one is `create_customer_without_email`'s.
    """
    email = normalize_email(email)
    if not email:
        raise ValueError("find_or_create_customer needs an address")
    existing = customers_with_email(email).first()
    if existing is not None:
        if phone and not existing.phone:
            existing.phone = phone
            existing.save(update_fields=["phone"])
        return existing
    domain = email.rpartition("@")[2]
    organization = Organization.objects.filter(domain__iexact=domain).first() if domain else None
    try:
        with transaction.atomic():
            return Customer.objects.create(
                name=(name.strip() or email)[:200],
                email=email,
                phone=phone,
                organization=organization,
            )
    except IntegrityError:  # created at the same moment by another request
        return customers_with_email(email).get()


def create_customer_without_email(*, name: str, phone: str = "") -> Customer:
    """A new customer who has no email address, as an agent logs a caller.

    Always a new one: a name is no identity (two callers may share one), so a
    second caller called "Ken Adams" is never merged into the first. Reusing an
    existing customer without an address is the agent's choice (the desk's
    customer lookup), never a guess made here."""
    name = name.strip()[:200]
    if not name:
        raise ValueError("a customer without an email address needs a name")
    return Customer.objects.create(name=name, email="", phone=phone.strip()[:40])


def is_agent_address(email: str) -> bool:
    """Whether an agent signs in with this address (any case): an agent follows a
    ticket in the desk, never as a customer in copy."""
    return User.objects.filter(email__iexact=email.strip(), agent__isnull=False).exists()
