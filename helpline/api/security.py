"""Ninja's side of authentication: which header carries the secret, and the
scope (and agent) an operation needs, checked before its input is read, so a key
that may not do something hears that, not a complaint about its JSON.

Default deny. The API's default auth (`DENY`) refuses every request with a 403,
so an operation that forgets to say who may call it is closed, not open to any
valid key (which is how `/tickets/{number}/thread` once let a create-only key,
the kind embedded in web forms, read every ticket's thread). Each operation
declares its rule with `keys(scope, ...)`, which needs at least one scope; the
system check `helpline.api.E001` (run by `manage.py check`, by `runserver` and
`migrate`, and in the tests) names every operation that relies on the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.core import checks
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security.base import AuthBase

from helpline.api import throttles
from helpline.api.auth import AuthFailed, Caller, authenticate, client_address, secret_from
from helpline.api.common import ApiError
from helpline.api.inputs import load_body
from helpline.api.models import Scope
from helpline.api.throttles import Limit

if TYPE_CHECKING:
    from ninja import NinjaAPI
    from ninja.operation import Operation

CHANNEL_CANNOT_CHANGE = (
    "This API key is the API channel, not an agent: it can create and read tickets. "
    "Changes need an agent's personal token or a key that acts as an agent."
)


def _check(
    request: HttpRequest, any_of: tuple[Scope, ...], agent: bool, limits: tuple[Limit, ...]
) -> Caller:
    secret = secret_from(request)
    # Rate limits before anything else is done (helpline.api.throttles): an address
    # that failed too often lately is refused before the credential is looked up.
    throttles.check_guessing(request, secret)
    try:
        caller = authenticate(secret, client_address(request))
    except AuthFailed as error:
        throttles.check_failed(request)  # a bucket of their own, per address
        raise ApiError(401, error.message) from None
    throttles.remember(request, secret)
    throttles.check(request, caller, limits)
    if any_of and not any(caller.has(scope) for scope in any_of):
        if len(any_of) == 1:
            raise ApiError(
                403,
                gettext("This API key does not have the %(scope)s scope.")
                % {"scope": any_of[0].value},
            )
        names = ", ".join(s.value for s in any_of)
        raise ApiError(
            403, gettext("This API key has none of the scopes %(scopes)s.") % {"scopes": names}
        )
    if agent and caller.agent is None:
        raise ApiError(403, CHANNEL_CANNOT_CHANGE)
    # Only now, for a known caller, read a body larger than Django's form limit.
    load_body(request)
    return caller


class BearerKey(HttpBearer):
    """`Authorization: Bearer <key or agent token>`."""

    def __init__(
        self, any_of: tuple[Scope, ...] = (), agent: bool = False, limits: tuple[Limit, ...] = ()
    ) -> None:
        super().__init__()
        self.any_of = any_of
        self.agent = agent
        self.limits = limits

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        return _check(request, self.any_of, self.agent, self.limits)


class HeaderKey(APIKeyHeader):
    """`X-API-Key: <key or agent token>`, as osTicket clients send it."""

    param_name = "X-API-Key"

    def __init__(
        self, any_of: tuple[Scope, ...] = (), agent: bool = False, limits: tuple[Limit, ...] = ()
    ) -> None:
        super().__init__()
        self.any_of = any_of
        self.agent = agent
        self.limits = limits

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if not key:
            return None  # ninja answers "no credentials"
        return _check(request, self.any_of, self.agent, self.limits)


def keys(*any_of: Scope, agent: bool = False, limits: tuple[Limit, ...] = ()) -> list[AuthBase]:
    """Auth for an operation: a key or token with one of `any_of` (and acting as
    an agent, for changes), in either header. At least one scope: "any valid
    key" is not a rule anybody should write by accident. `limits`: rate limits
    of the operation on top of the per-address and per-credential ones."""
    if not any_of:
        raise TypeError("keys() needs the scope(s) the operation requires")
    return [BearerKey(any_of, agent, limits), HeaderKey(any_of, agent, limits)]


UNDECLARED = _(
    "This endpoint does not declare who may call it, so it answers nobody. "
    "This is a bug in Helpline; please report it."
)


class Undeclared(AuthBase):
    """The API's default auth: refuses every request (JSON 403), credential or not."""

    openapi_type = "apiKey"

    def __call__(self, request: HttpRequest) -> Any:
        raise HttpError(403, str(UNDECLARED))


DENY = Undeclared()


def operations(api: NinjaAPI) -> Iterator[tuple[str, str, Operation]]:
    """(method, path, operation) for every operation of `api`, in the schema or not."""
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            full = "/".join(part.strip("/") for part in (bound.prefix, path) if part.strip("/"))
            for operation in view.operations:
                for method in operation.methods:
                    yield method, f"/{full}", operation


def undeclared(api: NinjaAPI) -> list[str]:
    """The operations that do not declare their access with `keys(...)`: those on
    the default (`DENY`), and those with no auth or another kind of auth."""
    found = []
    for method, path, operation in operations(api):
        rules = operation.auth_callbacks
        declared = bool(rules) and all(
            isinstance(rule, BearerKey | HeaderKey) and rule.any_of for rule in rules
        )
        if not declared:
            found.append(f"{method} {path}")
    return found


def check_declared_access(**kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every API operation declares who may call it."""
    from helpline.api.rest import api

    return [
        checks.Error(
            f"API operation {where} does not declare its access; it would refuse every request.",
            hint="Give it auth=keys(Scope...) (or its router one).",
            id="helpline.api.E001",
        )
        for where in undeclared(api)
    ]
