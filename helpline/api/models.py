"""API keys and agents' personal tokens.

Both are stored as the SHA-256 of the secret, never the secret itself. The secrets
are 32 random bytes from `secrets` (256 bits), so nobody can guess one or reverse
its hash, and a slow password hash (Argon2, PBKDF2) would buy nothing but
CPU time on every API request: those exist to slow down guessing of *low*-entropy
passwords. A fast hash lets us find a key with one indexed lookup on `key_hash`.
The `prefix` (the first characters of the secret) is kept in clear so people can
tell their keys apart in lists and logs without the secret being shown again.

Who a credential acts as (see `helpline.api.auth`):

- an `ApiKey` without an agent is the API *channel*: it opens tickets as the
  system (actor None, source "api") and, with `tickets:read`, reads every ticket
  and its public thread. It cannot change tickets: the lifecycle wants an agent
  behind every reply, assignment or status change.
- an `ApiKey` bound to an `agent` ("acts as") and an `AgentToken` act as that
  agent, with exactly the agent's permissions, further limited by the key's scopes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Agent

KEY_MARKER = "hl_"  # API keys
TOKEN_MARKER = "hlt_"  # agents' personal tokens
PREFIX_CHARS = 8  # secret characters kept in clear after the marker
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Scope(models.TextChoices):
    CREATE = "tickets:create", _("Create tickets")
    READ = "tickets:read", _("Read tickets, customers and help topics")
    WRITE = "tickets:write", _("Change tickets (needs an agent to act as)")
    REPORTS = "reports:read", _("Read reports")
    ADMIN = "admin", _("Administration (implies every other scope)")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret(marker: str) -> str:
    return marker + secrets.token_urlsafe(32)


def display_prefix(secret: str) -> str:
    """What lists show of a secret: the marker and a few characters after it."""
    marker = TOKEN_MARKER if secret.startswith(TOKEN_MARKER) else ""
    marker = marker or (KEY_MARKER if secret.startswith(KEY_MARKER) else "")
    return secret[: len(marker) + PREFIX_CHARS]


def parse_networks(text: str) -> list[IpNetwork]:
    """CIDR ranges (or single addresses) separated by commas, spaces or lines."""
    networks: list[IpNetwork] = []
    for part in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValidationError(f"“{part}” is not an IP address or CIDR range.") from None
    return networks


def address_in(address: str, networks: list[IpNetwork]) -> bool:
    """Is `address` inside one of `networks`? An empty list allows every address."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # "::ffff:10.0.0.5" from a dual-stack socket is 10.0.0.5
    return any(ip in network for network in networks if network.version == ip.version)


class Credential(models.Model):
    """What API keys and agent tokens share: a name, the hash and when it was used."""

    name = models.CharField(max_length=100, verbose_name=_("name"))
    prefix = models.CharField(
        max_length=20, editable=False, help_text=_("Identifies the key."), verbose_name=_("prefix")
    )
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("key hash")
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )

    marker: ClassVar[str] = KEY_MARKER

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def set_secret(self, secret: str | None = None) -> str:
        """Give the credential a secret (a new random one unless given); return it.
        The secret is not stored: show it to the person once, then it is gone."""
        secret = secret or new_secret(self.marker)
        self.key_hash = hash_secret(secret)
        self.prefix = display_prefix(secret)
        return secret


class ApiKey(Credential):
    """A key for an integration: a monitoring system, a web shop, an osTicket client."""

    scopes = models.JSONField(default=list, blank=True, verbose_name=_("scopes"))
    allowed_ips = models.TextField(
        blank=True,
        help_text=_(
            "IP addresses or CIDR ranges (e.g. 192.0.2.0/24), one per line. "
            "Empty allows any address."
        ),
        verbose_name=_("allowed IPs"),
    )
    agent = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # a key acting as somebody dies with them
        related_name="api_keys",
        verbose_name=_("acts as"),
        help_text=_(
            "Changes made with this key are made as this agent, with their "
            "permissions. Without one the key can only create and read tickets."
        ),
    )
    default_topic = models.ForeignKey(
        "tickets.HelpTopic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Tickets opened with this key without a help topic go here."),
        verbose_name=_("default topic"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    last_used_ip = models.GenericIPAddressField(
        null=True, blank=True, editable=False, verbose_name=_("last used IP")
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["name", "id"]

    def clean(self) -> None:
        parse_networks(self.allowed_ips)
        unknown = set(self.scopes or []) - set(Scope.values)
        if unknown:
            raise ValidationError({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}"})
        # Without an agent to act as, the API refuses every change such a key sends
        # ("the API channel, not an agent"): refused here, where it is made.
        if Scope.WRITE in (self.scopes or []) and self.agent_id is None:
            raise ValidationError(
                {
                    "agent": _(
                        "tickets:write needs an agent to act as: choose the agent "
                        "(--agent USERNAME on the command line), or leave out tickets:write."
                    )
                }
            )

    @property
    def networks(self) -> list[IpNetwork]:
        return parse_networks(self.allowed_ips)

    def allows(self, address: str) -> bool:
        return address_in(address, self.networks)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes


class AgentToken(Credential):
    """An agent's personal token: acts as the agent, with the agent's permissions."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("agent")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    marker: ClassVar[str] = TOKEN_MARKER

    class Meta:
        verbose_name = _("agent token")
        verbose_name_plural = _("agent tokens")
        ordering = ["agent", "name", "id"]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
