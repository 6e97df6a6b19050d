"""Refuses (400) a Django admin request whose `_to_field` is empty.

Django's ModelAdmin change and delete views look the object up by the field that
`_to_field` names (`get_object(request, object_id, to_field)`), but check that
name only when it is not empty (`if to_field and not self.to_field_allowed(...)`),
so `?_to_field=` reaches `Options.get_field("")`: FieldDoesNotExist, a 500 (seen
with Django 6.1 by the bad-input sweep, helpline/tests/security/). Only signed-in
administrators reach those views; this keeps their mistakes, and anybody's
crafted links, to a clear 400. Remove it once Django treats an empty `_to_field`
as absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.options import TO_FIELD_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class AdminToFieldGuard:
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or "admin" not in match.app_names:
            return None
        sent = [request.GET.get(TO_FIELD_VAR)]
        if request.method == "POST":
            sent.append(request.POST.get(TO_FIELD_VAR))
        if "" in sent:
            return HttpResponseBadRequest(
                "_to_field must name a field.", content_type="text/plain; charset=utf-8"
            )
        return None
