"""Who is calling the API, and as whom they act.

A request carries a secret in `Authorization: Bearer <secret>` or `X-API-Key:
<secret>`. The secret is an `ApiKey` or an agent's `AgentToken` (see
`helpline.api.models`); the result is a `Caller`:

- **API key without an agent: the API channel.** It opens tickets as the system
  (`open_ticket(NewTicket(source="api", ...), actor=None)`), like mail intake does, and with
  `tickets:read` reads every ticket with its public thread (never internal notes:
  notes are for agents, and the key is held by another system). It cannot change
  tickets: every reply, note, assignment or status change in the lifecycle is
  made by an agent, and a key is nobody.
- **API key that acts as an agent, or an agent's personal token: that agent.**
  Reads see what the agent sees (a ticket they may not see is 404, exactly as if
  it did not exist), changes are the agent's own, checked by the lifecycle.
  A key is further limited to its scopes; a personal token has create, read,
  write and reports:read (plus admin for administrators), since it is the agent
  themselves (what a report shows them is still limited to what they may see).

An IP allowlist (CIDR ranges) applies to API keys; the address is the client's
as every rate limit sees it (helpline.lib.clientip: REMOTE_ADDR, or behind one
of HELPLINE_TRUSTED_PROXIES the right-most untrusted X-Forwarded-For entry).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Agent
from helpline.api.models import TOKEN_MARKER, AgentToken, ApiKey, Scope, hash_secret
from helpline.lib.clientip import client_ip
from helpline.tickets.models import HelpTopic

# `last_used_at` is written at most this often per credential, so a busy
# integration does not turn every read into a write.
TOUCH_EVERY = timedelta(seconds=60)
MAX_SECRET_LENGTH = 200
TOKEN_SCOPES = frozenset({Scope.CREATE, Scope.READ, Scope.WRITE, Scope.REPORTS})


class AuthFailed(Exception):
    """The credential is missing, unknown, inactive or used from the wrong address."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


MISSING = _("Send an API key: “Authorization: Bearer <key>” or “X-API-Key: <key>”.")
INVALID = _("This API key is not valid, not active or has been revoked.")


@dataclass(frozen=True)
class Caller:
    """The authenticated client of one request."""

    name: str
    agent: Agent | None
    scopes: frozenset[str]
    key: ApiKey | None = None
    token: AgentToken | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes

    @property
    def default_topic(self) -> HelpTopic | None:
        return self.key.default_topic if self.key is not None else None


def secret_from(request: HttpRequest) -> str:
    """The secret from the Authorization (Bearer) or X-API-Key header, if any."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key", "").strip()


def client_address(request: HttpRequest) -> str:
    return client_ip(request)


def authenticate(secret: str, address: str) -> Caller:
    """The caller behind `secret`, used from `address`; raises AuthFailed."""
    if not secret:
        raise AuthFailed(str(MISSING))
    if len(secret) > MAX_SECRET_LENGTH or not secret.isascii():
        raise AuthFailed(str(INVALID))
    digest = hash_secret(secret)
    if secret.startswith(TOKEN_MARKER):
        return _from_token(digest)
    return _from_key(digest, address)


def _from_token(digest: str) -> Caller:
    token = AgentToken.objects.select_related("agent__user").filter(key_hash=digest).first()
    if token is None or token.is_revoked or not token.agent.user.is_active:
        raise AuthFailed(str(INVALID))
    _touch(AgentToken, token.pk, token.last_used_at)
    scopes = TOKEN_SCOPES | ({Scope.ADMIN} if token.agent.is_admin else set())
    return Caller(name=token.name, agent=token.agent, scopes=frozenset(scopes), token=token)


def _from_key(digest: str, address: str) -> Caller:
    key = (
        # The default topic with what opening a ticket reads of it (api.common).
        ApiKey.objects.select_related(
            "agent__user",
            "default_topic__department__sla",
            "default_topic__priority",
            "default_topic__sla",
        )
        .filter(key_hash=digest)
        .first()
    )
    if key is None or not key.is_active:
        raise AuthFailed(str(INVALID))
    if not key.allows(address):
        if address:
            raise AuthFailed(
                gettext("This API key may not be used from %(address)s.") % {"address": address}
            )
        raise AuthFailed(gettext("This API key may not be used from an unknown address."))
    if key.agent is not None and not key.agent.user.is_active:
        raise AuthFailed(gettext("The agent this API key acts as is not active."))
    _touch(ApiKey, key.pk, key.last_used_at, address)
    return Caller(name=key.name, agent=key.agent, scopes=frozenset(key.scopes), key=key)


def _touch(
    model: type[ApiKey] | type[AgentToken],
    pk: int,
    last_used_at: datetime | None,
    address: str = "",
) -> None:
    now = timezone.now()
    if last_used_at is not None and now - last_used_at < TOUCH_EVERY:
        return
    fields: dict[str, object] = {"last_used_at": now}
    if model is ApiKey:
        fields["last_used_ip"] = _valid_ip(address)
    model.objects.filter(pk=pk).update(**fields)


def _valid_ip(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
