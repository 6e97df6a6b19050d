"""Ninja's side of authentication: which header carries the secret, and the
scope (and agent) an operation needs, checked before its input is read, so a key
that may not do something hears that, not a complaint about its JSON."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security.base import AuthBase

from helpline.api.auth import AuthFailed, Caller, authenticate, client_address, secret_from
from helpline.api.common import ApiError
from helpline.api.inputs import load_body
from helpline.api.models import Scope

CHANNEL_CANNOT_CHANGE = (
    "This API key is the API channel, not an agent: it can create and read tickets. "
    "Changes need an agent's personal token or a key that acts as an agent."
)


def _check(request: HttpRequest, any_of: tuple[Scope, ...], agent: bool) -> Caller:
    try:
        caller = authenticate(secret_from(request), client_address(request))
    except AuthFailed as error:
        raise ApiError(401, error.message) from None
    if any_of and not any(caller.has(scope) for scope in any_of):
        if len(any_of) == 1:
            raise ApiError(403, f"This API key does not have the {any_of[0].value} scope.")
        names = ", ".join(s.value for s in any_of)
        raise ApiError(403, f"This API key has none of the scopes {names}.")
    if agent and caller.agent is None:
        raise ApiError(403, CHANNEL_CANNOT_CHANGE)
    # Only now, for a known caller, read a body larger than Django's form limit.
    load_body(request)
    return caller


class BearerKey(HttpBearer):
    """`Authorization: Bearer <key or agent token>`."""

    def __init__(self, any_of: tuple[Scope, ...] = (), agent: bool = False) -> None:
        super().__init__()
        self.any_of = any_of
        self.agent = agent

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        return _check(request, self.any_of, self.agent)


class HeaderKey(APIKeyHeader):
    """`X-API-Key: <key or agent token>`, as osTicket clients send it."""

    param_name = "X-API-Key"

    def __init__(self, any_of: tuple[Scope, ...] = (), agent: bool = False) -> None:
        super().__init__()
        self.any_of = any_of
        self.agent = agent

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if not key:
            return None  # ninja answers "no credentials"
        return _check(request, self.any_of, self.agent)


def keys(*any_of: Scope, agent: bool = False) -> list[AuthBase]:
    """Auth for an operation: a key or token with one of `any_of` (and acting as
    an agent, for changes), in either header."""
    return [BearerKey(any_of, agent), HeaderKey(any_of, agent)]
