"""Which language a person reads Helpline in.

Each request: the saved language of the signed-in person (Customer.language,
Agent.language) if they chose one, else the language chosen on this browser
(the language cookie, set by `choose_language`), else the browser's
Accept-Language, else settings.LANGUAGE_CODE. Django's LocaleMiddleware does
the last three; `SavedLanguageMiddleware`, after authentication, the first.

Mail has no request: `person_language` names the language a customer's or an
agent's mail is written in (helpline.notify renders under it).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpline.lib.access import public


def supported(code: str | None) -> str | None:
    """`code` if Helpline speaks it (a listed language, or its base language:
    "de-at" reads German), else None."""
    if not code:
        return None
    try:
        found: str = translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None
    return found


def saved_language(request: HttpRequest) -> str | None:
    """The signed-in person's own choice, or None (anonymous, or none chosen)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    agent = getattr(user, "agent", None)
    person = agent if agent is not None else getattr(user, "customer", None)
    return supported(getattr(person, "language", "")) if person is not None else None


class SavedLanguageMiddleware:
    """Activate the signed-in person's saved language for this request (after
    LocaleMiddleware picked one from the cookie or the browser)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        language = saved_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def person_language(person: object | None) -> str:
    """The language of mail to a customer or an agent: their saved choice, else
    the language they last used on the site (`last_language`, where kept), else
    the site's default."""
    for field in ("language", "last_language"):
        found = supported(getattr(person, field, "") or "")
        if found:
            return found
    return settings.LANGUAGE_CODE


def _back(request: HttpRequest) -> str:
    """Where to go after choosing: `next`, else the page the form was on (the
    Referer: same-origin policy sends it), if it is ours."""
    for candidate in (request.POST.get("next", ""), request.headers.get("referer", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


@public
@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language selector's form: remember the choice in a cookie, and on
    the signed-in person (so their mail and their other browsers follow it).
    An empty choice means "follow the browser" again."""
    raw = request.POST.get("language", "")
    language = supported(raw) if raw else ""
    if language is None:
        return HttpResponseBadRequest(_("Helpline is not available in that language."))
    response = HttpResponseRedirect(_back(request))
    user = request.user
    if user.is_authenticated:
        agent = getattr(user, "agent", None)
        person = agent if agent is not None else getattr(user, "customer", None)
        if person is not None and person.language != language:
            person.language = language
            person.save(update_fields=["language"])
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    return response
