"""django-helpdesk 2.6.1 for the comparison: see bench/helpdesk/peer.py."""

from bench.helpdesk.peer import Helpdesk

__all__ = ["Helpdesk"]
