"""Customers without an email address (callers an agent takes on the phone, issue
13): as many as there are such callers, never found by an address or a name, while
those with an address stay one customer per address in any case, found through the
unique index."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from helpline.accounts.customers import (
    create_customer_without_email,
    customers_with_email,
    find_or_create_customer,
)
from helpline.accounts.models import Customer
from helpline.tests.plans import explain

pytestmark = pytest.mark.django_db


def test_each_caller_without_an_address_is_a_customer_of_their_own() -> None:
    first = create_customer_without_email(name="Ken Adams", phone="555-0100")
    second = create_customer_without_email(name="Ken Adams", phone="555-0100")

    assert first.pk != second.pk
    assert Customer.objects.filter(name="Ken Adams", email="").count() == 2
    assert str(first) == "Ken Adams"


def test_a_caller_without_an_address_needs_a_name() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        create_customer_without_email(name="  ", phone="555-0100")
    assert not Customer.objects.exists()


def test_an_empty_address_finds_nobody_and_creates_nobody() -> None:
    create_customer_without_email(name="Ken Adams")

    assert list(customers_with_email("")) == []
    assert list(customers_with_email("  ")) == []
    with pytest.raises(ValueError, match="needs an address"):
        find_or_create_customer(name="Ken Adams", email="")
    assert Customer.objects.count() == 1


def test_an_address_is_still_one_customer_in_any_case() -> None:
    ken = find_or_create_customer(name="Ken Adams", email="ken@example.com")
    create_customer_without_email(name="Ken Adams")

    assert find_or_create_customer(name="Kenneth", email="KEN@Example.COM") == ken
    assert str(ken) == "Ken Adams <ken@example.com>"
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="Impostor", email="Ken@example.com")


def test_the_lookup_by_address_reads_the_unique_index() -> None:
    """The index is partial (WHERE NOT email = ''): the lookup repeats the
    condition, or neither database would use it and every lookup (each mail that
    comes in) would read all the customers."""
    find_or_create_customer(name="Ken Adams", email="ken@example.com")
    with CaptureQueriesContext(connection) as queries:
        assert customers_with_email("Ken@Example.com").count() == 1
    plan = explain(queries.captured_queries[-1]["sql"], (), analyze="accounts_customer")

    assert "customer_email_ci_unique" in plan, plan
