import logging
import os
from collections.abc import Iterable
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


def _mailbox_addresses_for_notify() -> Iterable[str]:
    """Our mailboxes' addresses, for notify's own-address check. That check guards
    against mailing ourselves; it must not make sending fail when the mailboxes
    cannot be read (intake itself still drops mail from these addresses)."""
    from helpline.intake.placement import mailbox_addresses

    try:
        return mailbox_addresses()
    except Exception:
        log.warning("Could not read the mailbox addresses", exc_info=True)
        return []


def _authserv_ids_moved(**kwargs: Any) -> list[checks.CheckMessage]:
    """HELPLINE_AUTHSERV_IDS was a site-wide list for a while; it is no longer read.
    Say so, rather than let an administrator believe it still protects them."""
    if not os.environ.get("HELPLINE_AUTHSERV_IDS", "").strip():
        return []
    return [
        checks.Warning(
            "HELPLINE_AUTHSERV_IDS is no longer read.",
            hint="Name the trusted mail servers on each mailbox instead (admin: Mail in > "
            "Mailboxes > Import > trusted mail servers); see docs/security/replies.md.",
            id="helpline.intake.W001",
        )
    ]


class IntakeConfig(AppConfig):
    name = "helpline.intake"
    label = "intake"
    verbose_name = _("Mail in")

    def ready(self) -> None:
        from helpline.notify.addresses import add_own_address_source

        # Our mailboxes are our own addresses: notify must never autorespond to
        # them, or a mailbox would answer itself in a loop.
        add_own_address_source(_mailbox_addresses_for_notify)
        checks.register(_authserv_ids_moved)
