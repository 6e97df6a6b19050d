"""The signed links keep the format they had when the portal and the feedback app
made them: a link mailed before the move still opens its ticket or rating page."""

from __future__ import annotations

import datetime

import time_machine

from helpline.lib import tokens
from helpline.tickets.links import (
    RATING_SALT,
    TICKET_SALT,
    rating_link_max_age_days,
    rating_token,
    ticket_token,
)
from helpline.tickets.models import Event, Ticket

# Made by helpline/portal/links.py and helpline/feedback/links.py before the move
# (`signing.TimestampSigner(salt=SALT).sign(...)`), with this key, at SIGNED_AT, for
# ticket 240301-4821 of customer 7 and its resolution event 41.
SECRET_KEY = "helpline-link-compat-0123456789-abcdefghijklmnopqrstuvwxyz"
SIGNED_AT = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
OLD_TICKET_TOKEN = "240301-4821.7:1vwfSq:gFwgbWkG0REZS9ohsueokiTY3l6R9OLQoBwMXEsj_Oc"
OLD_RATING_TOKEN = "41.7:1vwfSq:wbF_HmQwZ4t_dFp01f0ps5Hk5e5vt4GIld-zwQNrqAw"


def _ticket() -> Ticket:
    return Ticket(number="240301-4821", customer_id=7)


def test_a_ticket_link_mailed_before_the_move_still_verifies(settings) -> None:
    settings.SECRET_KEY = SECRET_KEY
    max_age = datetime.timedelta(days=settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS)

    with time_machine.travel(SIGNED_AT + datetime.timedelta(days=1), tick=False):
        verified = tokens.verify(OLD_TICKET_TOKEN, salt=TICKET_SALT, max_age=max_age)

    assert verified.valid and verified.value == "240301-4821.7"


def test_a_rating_link_mailed_before_the_move_still_verifies(settings) -> None:
    settings.SECRET_KEY = SECRET_KEY
    max_age = datetime.timedelta(days=rating_link_max_age_days())

    with time_machine.travel(SIGNED_AT + datetime.timedelta(days=1), tick=False):
        verified = tokens.verify(OLD_RATING_TOKEN, salt=RATING_SALT, max_age=max_age)

    assert verified.valid and verified.value == "41.7"


def test_the_links_are_made_exactly_as_before(settings) -> None:
    settings.SECRET_KEY = SECRET_KEY

    with time_machine.travel(SIGNED_AT, tick=False):
        assert ticket_token(_ticket()) == OLD_TICKET_TOKEN
        assert rating_token(Event(pk=41, ticket=_ticket())) == OLD_RATING_TOKEN


def test_a_ticket_link_is_no_rating_link(settings) -> None:
    settings.SECRET_KEY = SECRET_KEY
    max_age = datetime.timedelta(days=rating_link_max_age_days())

    with time_machine.travel(SIGNED_AT + datetime.timedelta(days=1), tick=False):
        verified = tokens.verify(OLD_TICKET_TOKEN, salt=RATING_SALT, max_age=max_age)

    assert verified.check is tokens.Check.FORGED
