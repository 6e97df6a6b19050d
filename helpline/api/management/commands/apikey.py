"""`helpline apikey create|list|revoke|token`: API keys from the command line.

    helpline apikey create --name "Monitoring" --allow-ip 10.0.0.0/8 --scope tickets:create
    helpline apikey token --agent alice --name "My scripts"
    helpline apikey list
    helpline apikey revoke hl_AbCdEfGh

The secret is printed once and only its hash is stored. `--key` stores a key the
integration already sends (e.g. its old osTicket key), so it keeps working as is.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Agent
from helpline.api.models import TOKEN_MARKER, AgentToken, ApiKey, Scope, hash_secret
from helpline.tickets.models import HelpTopic

MIN_IMPORTED_KEY = 32  # osTicket's keys are 32 hex digits


class Command(BaseCommand):
    help = "Create, list and revoke API keys and agents' personal tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an API key and print it once.")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--allow-ip",
            action="append",
            default=[],
            metavar="CIDR",
            help="An address or range the key may be used from (repeatable; none: any).",
        )
        create.add_argument(
            "--scope",
            action="append",
            default=[],
            choices=Scope.values,
            help="Repeatable; default tickets:create.",
        )
        create.add_argument("--agent", metavar="USERNAME", help="Act as this agent.")
        create.add_argument("--default-topic", type=int, metavar="ID")
        create.add_argument(
            "--key", help="Store this existing key (e.g. an osTicket key) instead of a new one."
        )
        create.add_argument("--quiet", action="store_true", help="Print only the key.")

        token = sub.add_parser("token", help="Create an agent's personal token.")
        token.add_argument("--agent", required=True, metavar="USERNAME")
        token.add_argument("--name", required=True)
        token.add_argument("--quiet", action="store_true", help="Print only the token.")

        sub.add_parser("list", help="List keys and tokens (never their secrets).")

        revoke = sub.add_parser("revoke", help="Deactivate a key or revoke a token.")
        revoke.add_argument("key", help="The key's id or prefix, or a token's prefix (hlt_…).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "token":
            self._token(options)
        elif action == "list":
            self._list()
        else:
            self._revoke(options["key"])

    def _agent(self, username: str) -> Agent:
        agent = Agent.objects.select_related("user").filter(user__username=username).first()
        if agent is None:
            raise CommandError(f"No agent with the username {username!r}.")
        if not agent.user.is_active:
            raise CommandError(f"{agent} is not active.")
        return agent

    def _create(self, options: dict[str, Any]) -> None:
        key = ApiKey(
            name=options["name"],
            scopes=sorted(set(options["scope"] or [Scope.CREATE.value])),
            allowed_ips="\n".join(options["allow_ip"]),
        )
        if options["agent"]:
            key.agent = self._agent(options["agent"])
        if options["default_topic"] is not None:
            key.default_topic = HelpTopic.objects.filter(pk=options["default_topic"]).first()
            if key.default_topic is None:
                raise CommandError(f"No help topic with id {options['default_topic']}.")
        imported = options["key"]
        if imported is not None:
            if len(imported) < MIN_IMPORTED_KEY or not imported.isascii():
                raise CommandError(f"An imported key needs at least {MIN_IMPORTED_KEY} characters.")
            if imported.startswith(TOKEN_MARKER):
                raise CommandError(f"Keys may not start with {TOKEN_MARKER!r}.")
            if ApiKey.objects.filter(key_hash=hash_secret(imported)).exists():
                raise CommandError("That key is already stored.")
        try:
            key.full_clean(exclude=["prefix", "key_hash"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        with transaction.atomic():
            secret = key.set_secret(imported)
            key.save()
        self._print_secret(options, f"API key {key.name!r} (id {key.pk}) created", secret)

    def _token(self, options: dict[str, Any]) -> None:
        token = AgentToken(agent=self._agent(options["agent"]), name=options["name"])
        secret = token.set_secret()
        token.save()
        self._print_secret(options, f"Token {token.name!r} for {token.agent} created", secret)

    def _print_secret(self, options: dict[str, Any], what: str, secret: str) -> None:
        if options["quiet"]:
            self.stdout.write(secret)
            return
        self.stdout.write(f"{what}. It is shown only this once; store it now:")
        self.stdout.write(secret)

    def _list(self) -> None:
        for key in ApiKey.objects.select_related("agent__user"):
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            self.stdout.write(
                f"{key.pk:>4}  {key.prefix:<12} {key.name}  [{', '.join(key.scopes)}]"
                f"  ips: {key.allowed_ips.replace(chr(10), ',') or 'any'}"
                f"  as: {key.agent or '-'}  {'active' if key.is_active else 'INACTIVE'}"
                f"  used: {used}"
            )
        for token in AgentToken.objects.select_related("agent__user"):
            state = "REVOKED" if token.is_revoked else "active"
            self.stdout.write(
                f"   -  {token.prefix:<12} {token.name}  agent: {token.agent}  {state}"
            )

    def _revoke(self, ident: str) -> None:
        if ident.startswith(TOKEN_MARKER):
            tokens = AgentToken.objects.filter(prefix=ident, revoked_at__isnull=True)
            if tokens.count() != 1:
                raise CommandError(f"No single active token with the prefix {ident!r}.")
            tokens.update(revoked_at=timezone.now())
            self.stdout.write(f"Token {ident} revoked.")
            return
        keys = ApiKey.objects.filter(pk=int(ident)) if ident.isdigit() else None
        if keys is None or not keys.exists():
            keys = ApiKey.objects.filter(prefix=ident)
        if keys.count() != 1:
            raise CommandError(f"No single API key with the id or prefix {ident!r}.")
        keys.update(is_active=False)
        self.stdout.write(f"API key {ident} deactivated.")
