"""Lookups an integration needs to fill in tickets: customers by address, help
topics with their questions, statuses, priorities and departments (the ids that
the ticket endpoints take)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Schema

from helpline.accounts.customers import customers_with_email
from helpline.accounts.models import Department
from helpline.api.common import not_found
from helpline.api.models import Scope
from helpline.api.schemas import (
    Address,
    CustomerOut,
    ErrorOut,
    PriorityOut,
    Ref,
    StatusOut,
    TopicOut,
)
from helpline.api.security import keys
from helpline.tickets.models import HelpTopic, Priority, Status, TopicField

# Reference data is for keys that create tickets as much as for readers.
router = Router(tags=["lookups"], auth=keys(Scope.CREATE, Scope.READ))
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CustomerQuery(Schema):
    email: Address


@router.get(
    "/customers",
    response={200: CustomerOut, **ERRORS},
    auth=keys(Scope.READ),
    summary="Find a customer",
)
def find_customer(request: HttpRequest, query: Query[CustomerQuery]) -> dict[str, Any]:
    """The customer with this address, in any letter case."""
    # Never a customer without an address; by the unique index on Lower(email).
    customer = customers_with_email(query.email).select_related("organization").first()
    if customer is None:
        raise not_found("customer")
    org = customer.organization
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "organization": {"id": org.pk, "name": org.name} if org else None,
        "created_at": customer.created_at,
    }


@router.get("/topics", response={200: list[TopicOut], **ERRORS}, summary="Help topics")
def list_topics(request: HttpRequest) -> list[dict[str, Any]]:
    """Active help topics with the questions they ask (answer them in `fields`)."""
    topics = (
        HelpTopic.objects.filter(is_active=True)
        .select_related("department", "priority")
        .prefetch_related(Prefetch("fields", queryset=TopicField.objects.order_by("order", "id")))
    )
    return [
        {
            "id": t.pk,
            "name": t.name,
            "is_public": t.is_public,
            "department": {"id": t.department_id, "name": t.department.name},
            "priority": {"id": t.priority.pk, "name": t.priority.name} if t.priority else None,
            "fields": [
                {
                    "key": f.key,
                    "label": f.label,
                    "kind": f.kind,
                    "required": f.required,
                    "choices": f.choice_list,
                    "help_text": f.help_text,
                }
                for f in t.fields.all()
            ],
        }
        for t in topics
    ]


@router.get("/statuses", response={200: list[StatusOut], **ERRORS}, summary="Statuses")
def list_statuses(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": s.pk, "name": s.name, "state": s.state, "purpose": s.purpose}
        for s in Status.objects.all()
    ]


@router.get("/priorities", response={200: list[PriorityOut], **ERRORS}, summary="Priorities")
def list_priorities(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": p.pk, "name": p.name, "urgency": p.urgency, "is_default": p.is_default}
        for p in Priority.objects.all()
    ]


@router.get("/departments", response={200: list[Ref], **ERRORS}, summary="Departments")
def list_departments(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"id": d.pk, "name": d.name} for d in Department.objects.all()]
