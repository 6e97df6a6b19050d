"""The rating page a customer reaches from the resolution mail or the portal.

No login: the signed link names the resolution and acts as the ticket's customer.
GET shows the answer and the three choices (`?score=good` preselects one); POST
records the rating through `lifecycle.rate` and redirects to the thank-you page
(or back to the portal's ticket page when the form came from there). A link that
was rated already shows that rating; a forged link answers 404, an old one 410
with the way back to support.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from helpline.feedback.forms import RatingForm
from helpline.lib.access import signed_link
from helpline.lib.ratelimit import per_address
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import LifecycleError
from helpline.tickets.lifecycle.rating import ALREADY_RATED
from helpline.tickets.links import (
    event_from_rating_token,
    rating_link_max_age_days,
    rating_token_expired,
)
from helpline.tickets.models import (
    RATING_COMMENT_MAX_LENGTH,
    Entry,
    Event,
    EventKind,
    Rating,
    Score,
)
from helpline.web.auth import current_customer

THANKS = gettext_lazy("Thank you for rating our answer.")


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    # A path of this site only: `redirect()` would take a bare word for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _bad_link(request: HttpRequest, token: str) -> HttpResponse:
    expired = rating_token_expired(token)
    return render(
        request,
        "feedback/link_problem.html",
        {"expired": expired, "link_days": rating_link_max_age_days()},
        status=410 if expired else 404,
    )


def _context(request: HttpRequest, event: Event, **extra: Any) -> dict[str, Any]:
    ticket = event.ticket
    entry_id = event.data.get("entry")
    answer = Entry.objects.filter(pk=entry_id, ticket=ticket).first() if entry_id else None
    customer = current_customer(request)
    return {
        "ticket": ticket,
        "resolution": event,
        "answer": answer,
        # Reopened after this answer: the rating is still about this answer.
        "reopened": Event.objects.filter(
            ticket=ticket, kind=EventKind.REOPENED, pk__gt=event.pk
        ).exists(),
        "own_ticket": customer is not None and customer.pk == ticket.customer_id,
        "choices": Score.choices,
        "comment_max": RATING_COMMENT_MAX_LENGTH,
        **extra,
    }


def _rated(request: HttpRequest, event: Event, rating: Rating, *, thanks: bool) -> HttpResponse:
    return render(
        request,
        "feedback/rated.html",
        _context(request, event, rating=rating, thanks=thanks, already=ALREADY_RATED),
    )


@signed_link
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@per_address("10/m")
def rate(request: HttpRequest, token: str) -> HttpResponse:
    event = event_from_rating_token(token)
    if event is None:
        return _bad_link(request, token)
    next_url = _safe_next(request) if request.method == "POST" else None
    existing = Rating.objects.filter(resolution=event).first()
    if existing is not None:
        if next_url:
            messages.info(request, ALREADY_RATED)
            return redirect(next_url)
        return _rated(request, event, existing, thanks=False)
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                lifecycle.rate(
                    event.ticket,
                    customer=event.ticket.customer,
                    resolution_event_id=event.pk,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except LifecycleError as error:
                rating = Rating.objects.filter(resolution=event).first()
                if rating is not None:  # rated meanwhile, in another tab
                    return _rated(request, event, rating, thanks=False)
                form.add_error(None, error.message)
            else:
                if next_url:
                    messages.success(request, THANKS)
                    return redirect(next_url)
                return redirect("feedback:thanks", token=token)
    else:
        score = request.GET.get("score", "")
        form = RatingForm(initial={"score": score} if score in Score.values else None)
    selected = form["score"].value()
    return render(
        request,
        "feedback/rate.html",
        _context(request, event, form=form, selected=selected),
    )


@signed_link
@never_cache
@require_safe
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    event = event_from_rating_token(token)
    if event is None:
        return _bad_link(request, token)
    rating = Rating.objects.filter(resolution=event).first()
    if rating is None:
        return redirect("feedback:rate", token=token)
    return _rated(request, event, rating, thanks=True)
