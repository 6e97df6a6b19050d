"""Fixtures of the API tests, on top of the shared `world` (helpline/conftest.py):
keys and tokens, and a client that sends them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Agent
from helpline.api.models import AgentToken, ApiKey, Scope
from helpline.conftest import World
from helpline.tickets.models import HelpTopic, Ticket

ALL_SCOPES = [Scope.CREATE, Scope.READ, Scope.WRITE]


def make_key(
    *,
    scopes: list[str] | None = None,
    agent: Agent | None = None,
    allowed_ips: str = "",
    default_topic: HelpTopic | None = None,
    is_active: bool = True,
    name: str = "Integration",
) -> str:
    """A stored API key; returns its secret."""
    key = ApiKey(
        name=name,
        scopes=[str(s) for s in (ALL_SCOPES if scopes is None else scopes)],
        agent=agent,
        allowed_ips=allowed_ips,
        default_topic=default_topic,
        is_active=is_active,
    )
    secret = key.set_secret()
    key.save()
    return secret


def make_token(agent: Agent, name: str = "Scripts") -> str:
    token = AgentToken(agent=agent, name=name)
    secret = token.set_secret()
    token.save()
    return secret


@dataclass
class Api:
    """The Django test client, sending one key the way integrations do."""

    client: Client
    key: str = ""
    header: str = "bearer"  # or "x-api-key"
    address: str = "127.0.0.1"

    def _headers(self) -> dict[str, str]:
        if not self.key:
            return {}
        if self.header == "bearer":
            return {"Authorization": f"Bearer {self.key}"}
        return {"X-API-Key": self.key}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(
            "/api/v1" + path, params, headers=self._headers(), REMOTE_ADDR=self.address
        )

    def post(self, path: str, body: Any = None, *, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps({} if body is None else body)
        return self.client.post(
            "/api/v1" + path,
            data,
            content_type="application/json",
            headers=self._headers(),
            REMOTE_ADDR=self.address,
        )

    def as_key(self, key: str, header: str = "bearer", address: str = "127.0.0.1") -> Api:
        return Api(self.client, key, header, address)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def channel(world: World, client: Client) -> Api:
    """A key without an agent: the API channel, with every ticket scope."""
    return Api(client, make_key())


@pytest.fixture
def admin_api(world: World, client: Client) -> Api:
    """The administrator's personal token."""
    return Api(client, make_token(world.admin))


@pytest.fixture
def agent_api(world: World, client: Client) -> Api:
    """The Support agent's personal token."""
    return Api(client, make_token(world.agent))


@pytest.fixture
def sales_api(world: World, client: Client) -> Api:
    """The token of the Sales agent, who has no access to Support."""
    return Api(client, make_token(world.other_agent))


@pytest.fixture
def supervisor_api(world: World, client: Client) -> Api:
    return Api(client, make_token(world.supervisor))


@pytest.fixture
def ticket(world: World) -> Ticket:
    """Ken's open, unassigned ticket in Support."""
    return world.open()


@pytest.fixture
def key(world: World) -> str:
    """An osTicket-style key: create tickets only, from the integration's network,
    filing tickets without a topicId under Printers."""
    return make_key(
        scopes=["tickets:create"],
        allowed_ips="127.0.0.0/8\n192.0.2.0/24",
        default_topic=world.topic,
    )


@pytest.fixture
def limits(settings: Any) -> Any:
    """Generous rate limits unless a test narrows one (helpline.api.throttles)."""
    settings.HELPLINE_API_RATE_PER_ADDRESS = "1000/m"
    settings.HELPLINE_API_RATE_PER_KEY = "1000/m"
    settings.HELPLINE_API_CREATE_RATE = "1000/m"
    settings.HELPLINE_API_FAILED_AUTH_RATE = "1000/m"
    settings.HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK = "1000/m"
    return settings
