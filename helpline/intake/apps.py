import logging
from collections.abc import Iterable

from django.apps import AppConfig

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


class IntakeConfig(AppConfig):
    name = "helpline.intake"
    label = "intake"
    verbose_name = "Mail in"

    def ready(self) -> None:
        from helpline.notify.addresses import add_own_address_source

        # Our mailboxes are our own addresses: notify must never autorespond to
        # them, or a mailbox would answer itself in a loop.
        add_own_address_source(_mailbox_addresses_for_notify)
