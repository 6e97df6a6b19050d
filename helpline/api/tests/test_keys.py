"""API keys and agent tokens: how they are stored, made and revoked (model, the
`apikey` command, the admin)."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from helpline.api.auth import authenticate
from helpline.api.models import AgentToken, ApiKey, Scope, address_in, parse_networks
from helpline.conftest import World


def run(*args: str) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_a_key_is_stored_as_its_hash_with_a_prefix_to_recognise_it(db: None) -> None:
    key = ApiKey(name="Shop")
    secret = key.set_secret()
    key.save()

    assert secret.startswith("hl_") and len(secret) > 40
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.prefix == secret[:11]
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())


def test_two_keys_never_share_a_secret(db: None) -> None:
    assert ApiKey().set_secret() != ApiKey().set_secret()


def test_allowlists_take_addresses_and_cidr_ranges_of_both_families() -> None:
    networks = parse_networks("192.0.2.0/24, 2001:db8::/32\n10.1.2.3")

    assert address_in("192.0.2.77", networks)
    assert address_in("10.1.2.3", networks)
    assert address_in("2001:db8::5", networks)
    assert address_in("::ffff:192.0.2.9", networks)  # a dual-stack socket's form
    assert not address_in("10.1.2.4", networks)
    assert not address_in("not an address", networks)
    assert address_in("203.0.113.1", [])  # empty allows any


def test_an_allowlist_entry_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"“10\.0\.0\.300” is not an IP address"):
        parse_networks("10.0.0.0/8 10.0.0.300")


def test_the_command_creates_a_key_and_prints_it_once(world: World) -> None:
    output = run(
        "create",
        "--name",
        "Monitoring",
        "--allow-ip",
        "10.0.0.0/8",
        "--allow-ip",
        "192.0.2.1",
        "--scope",
        "tickets:create",
        "--scope",
        "tickets:read",
    )

    secret = last_line(output)
    key = ApiKey.objects.get(name="Monitoring")
    assert "shown only this once" in output
    assert key.scopes == [Scope.CREATE, Scope.READ]
    assert key.allowed_ips == "10.0.0.0/8\n192.0.2.1"
    assert key.agent is None
    assert authenticate(secret, "10.9.8.7").key == key
    assert secret not in run("list")


def test_the_command_gives_new_keys_only_the_create_scope_unless_told(world: World) -> None:
    run("create", "--name", "Shop")

    assert ApiKey.objects.get(name="Shop").scopes == [Scope.CREATE]


def test_the_command_binds_a_key_to_an_agent_and_a_default_topic(world: World) -> None:
    secret = last_line(
        run(
            "create",
            "--name",
            "Bot",
            "--agent",
            "alice.agent",
            "--default-topic",
            str(world.topic.pk),
            "--quiet",
        )
    )

    caller = authenticate(secret, "127.0.0.1")
    assert caller.agent == world.agent
    assert caller.default_topic == world.topic


def test_the_command_imports_an_existing_osticket_key(world: World) -> None:
    old = "BA00B76BAA30F62E1940B46CC1C3C73C"

    run("create", "--name", "Old osTicket client", "--key", old)

    assert authenticate(old, "127.0.0.1").name == "Old osTicket client"
    with pytest.raises(CommandError, match="already stored"):
        run("create", "--name", "Again", "--key", old)
    with pytest.raises(CommandError, match="at least 32"):
        run("create", "--name", "Short", "--key", "tooshort")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--allow-ip", "nowhere"], "not an IP address"),
        (["--agent", "nobody"], "No agent"),
        (["--default-topic", "999"], "No help topic"),
    ],
)
def test_the_command_refuses_bad_options_with_a_reason(
    world: World, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("create", "--name", "X", *args)
    assert not ApiKey.objects.exists()


def test_the_command_revokes_keys_by_id_or_prefix(world: World) -> None:
    run("create", "--name", "One")
    run("create", "--name", "Two")
    one, two = ApiKey.objects.order_by("pk")

    run("revoke", str(one.pk))
    run("revoke", two.prefix)

    assert not ApiKey.objects.filter(is_active=True).exists()
    with pytest.raises(CommandError):
        run("revoke", "hl_nothing")


def test_the_command_makes_and_revokes_an_agents_personal_token(world: World) -> None:
    secret = last_line(run("token", "--agent", "alice.agent", "--name", "Laptop"))
    token = AgentToken.objects.get()

    assert secret.startswith("hlt_")
    assert authenticate(secret, "203.0.113.5").agent == world.agent
    assert "Laptop" in run("list")

    run("revoke", token.prefix)

    token.refresh_from_db()
    assert token.is_revoked


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin.user)
    return client


def test_an_administrator_adds_a_key_in_the_admin_and_sees_it_once(world: World) -> None:
    client = admin_client(world)

    response = client.post(
        "/admin/api/apikey/add/",
        {
            "name": "Web shop",
            "scopes": ["tickets:create", "tickets:read"],
            "allowed_ips": "192.0.2.0/24\n198.51.100.7",
            "agent": "",
            "default_topic": str(world.topic.pk),
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(name="Web shop")
    [secret] = re.findall(r'value="(hl_[^"]+)"', response.content.decode())
    assert authenticate(secret, "192.0.2.200").key == key
    assert key.created_by == world.admin.user
    assert key.scopes == ["tickets:create", "tickets:read"]
    assert key.allowed_ips == "192.0.2.0/24\n198.51.100.7/32"
    # Never again: not on the key's page, not in the list.
    for page in (f"/admin/api/apikey/{key.pk}/change/", "/admin/api/apikey/"):
        assert secret not in client.get(page).content.decode()


def test_the_admin_refuses_an_allowlist_that_is_not_addresses(world: World) -> None:
    response = admin_client(world).post(
        "/admin/api/apikey/add/",
        {
            "name": "Bad",
            "scopes": ["tickets:create"],
            "allowed_ips": "everywhere",
            "is_active": "on",
        },
    )

    assert "“everywhere” is not an IP address" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_an_administrator_makes_an_agent_token_in_the_admin(world: World) -> None:
    response = admin_client(world).post(
        "/admin/api/agenttoken/add/", {"agent": str(world.agent.pk), "name": "CLI"}
    )

    [secret] = re.findall(r'value="(hlt_[^"]+)"', response.content.decode())
    assert authenticate(secret, "127.0.0.1").agent == world.agent


def test_the_admin_revokes_tokens_and_deactivates_keys_in_bulk(world: World) -> None:
    client = admin_client(world)
    token = AgentToken(agent=world.agent, name="CLI")
    token.set_secret()
    token.save()
    key = ApiKey(name="Shop")
    key.set_secret()
    key.save()

    client.post("/admin/api/agenttoken/", {"action": "revoke", "_selected_action": [str(token.pk)]})
    client.post("/admin/api/apikey/", {"action": "deactivate", "_selected_action": [str(key.pk)]})

    token.refresh_from_db()
    key.refresh_from_db()
    assert token.is_revoked
    assert not key.is_active


# A key that may change tickets must act as an agent: else every change it sends is
# refused ("the API channel, not an agent"), and nobody learns it until then.
WRITE_WITHOUT_AGENT = "tickets:write needs an agent to act as"


def test_the_command_refuses_a_write_key_without_an_agent(world: World) -> None:
    # A CommandError: `helpline apikey` prints it and exits with status 1.
    with pytest.raises(CommandError, match=WRITE_WITHOUT_AGENT) as refused:
        run("create", "--name", "X", "--scope", "tickets:write")

    assert "--agent" in str(refused.value)
    assert not ApiKey.objects.exists()
    run("create", "--name", "X", "--scope", "tickets:write", "--agent", "alice.agent")
    assert ApiKey.objects.get().agent == world.agent


def test_the_admin_refuses_a_write_key_without_an_agent(world: World) -> None:
    response = admin_client(world).post(
        "/admin/api/apikey/add/",
        {
            "name": "Writer",
            "scopes": ["tickets:create", "tickets:write"],
            "allowed_ips": "",
            "agent": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert WRITE_WITHOUT_AGENT in response.context["adminform"].form.errors["agent"][0]
    assert not ApiKey.objects.exists()
