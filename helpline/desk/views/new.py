"""An agent opens a ticket on behalf of a customer (a phone call, a walk-in)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from helpline.accounts.customers import create_customer_without_email, find_or_create_customer
from helpline.accounts.models import Customer
from helpline.desk.forms import NewTicketForm
from helpline.lib.html import text_to_html
from helpline.tickets import lifecycle
from helpline.tickets.uploads import check_uploads
from helpline.web.auth import agent_required, current_agent


@agent_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    form = NewTicketForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            uploads = check_uploads(data.get("attachments") or [])
            # Sanitized before the transaction below, which holds the database
            # from its start (see lifecycle.core): the lifecycle takes it as is.
            body = lifecycle.prepare_body(text_to_html(data["body"]), uploads)
            # One transaction with the opening: a refused ticket leaves no new
            # customer behind (without an address, each try would make another).
            with transaction.atomic():
                customer = _customer(data)
                ticket = lifecycle.open_ticket(
                    lifecycle.NewTicket(
                        customer=customer,
                        subject=data["subject"],
                        body_html=body,
                        source=data["source"],
                        topic=data["topic"],
                        extra=data["extra"],
                        priority=data["priority"],
                        assignee=data["assignee"],
                        phone=data["phone"],
                    ),
                    actor=agent,
                )
        except ValidationError as exc:
            form.add_error("attachments", exc)
        except lifecycle.LifecycleError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                gettext("Ticket #%(number)s opened for %(customer)s.")
                % {"number": ticket.number, "customer": customer.name},
            )
            return redirect("desk:ticket", number=ticket.number)
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "error": error,
        "nav": "new",
        # A form sent back loses its files (a browser cannot fill a file input).
        "files_dropped": request.method == "POST" and bool(request.FILES),
    }
    return render(request, "desk/new_ticket.html", context, status=status)


def _customer(data: dict[str, Any]) -> Customer:
    """The customer of the new ticket: the one with the address typed (created the
    first time); without an address (a phone call, see NewTicketForm), the one
    the agent picked in the lookup, else a new customer: never somebody found by
    name alone, so two callers called alike stay two customers."""
    if data["email"]:
        return find_or_create_customer(name=data["name"], email=data["email"], phone=data["phone"])
    picked: Customer | None = data.get("customer")
    if picked is None:
        return create_customer_without_email(name=data["name"], phone=data["phone"])
    if data["phone"] and not picked.phone:
        picked.phone = data["phone"]
        picked.save(update_fields=["phone"])
    return picked
