"""Where to go after signing in: the `next` page, unless it only takes a form.

An agent whose session ended and who presses "Send reply" is sent to the
sign-in with `next=/desk/tickets/N/reply/`; following that address after
signing in opens a POST-only view with GET, a 405 page, and the reply is lost
either way. So a `next` whose view does not answer GET is replaced by the page
the form was on, as far as the address tells: the ticket's own page for a
ticket's action (a URL with a `number`, in an app that has a `ticket` page),
else the side's home.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.urls import NoReverseMatch, Resolver404, ResolverMatch, resolve, reverse


def opens_with_get(view: Callable[..., Any]) -> bool:
    """Whether `view` answers GET. Django's `require_http_methods` (and
    `require_POST`) keep their list only in the closure of the wrapper they
    make; it is looked up down the `__wrapped__` chain. A view that says
    nothing answers every method. (The landing tests prove this reading still
    works with the installed Django.)"""
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return "get" in cls.http_method_names and hasattr(cls, "get")
    func: Any = view
    while func is not None:
        try:
            methods = inspect.getclosurevars(func).nonlocals.get("request_method_list")
        except TypeError:  # not a Python function (a callable object)
            return True
        if methods is not None:
            return "GET" in methods
        func = getattr(func, "__wrapped__", None)
    return True


def landing(target: str, home: str) -> str:
    """`target` (a path of this site, already checked), or a page that opens with
    GET in its place (see the module)."""
    try:
        match = resolve(urlsplit(target).path)
    except Resolver404:
        return target  # the not-found page says so, after signing in
    if opens_with_get(match.func):
        return target
    page = _ticket_page(match)
    return page[0] if page else home


def ticket_page(path: str) -> tuple[str, str] | None:
    """The page of the ticket a path acts on, and its number: the ticket's own
    page for a ticket's action (`/desk/tickets/N/reply/` gives `/desk/tickets/N/`
    and N), as `landing` finds it; None for any other path. The 405 page offers
    it (helpline.lib.errorpages)."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return _ticket_page(match)


def _ticket_page(match: ResolverMatch) -> tuple[str, str] | None:
    number = match.kwargs.get("number")
    if number is None or not match.namespace:
        return None
    try:
        return reverse(f"{match.namespace}:ticket", kwargs={"number": number}), str(number)
    except NoReverseMatch:
        return None
