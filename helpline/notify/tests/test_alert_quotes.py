"""What agents' alert mails quote of a message: an excerpt, and no remote images.

Issue 9: every alert to an agent repeated the whole stored body (up to 256 KB), one
copy per agent; and the HTML part loaded the remote images a stranger put in the
message, so opening the alert told the sender's tracker that, when and where an
agent read it. Each test renders the real alert through the lifecycle and the
outbox, as the worker will send it.
"""

from __future__ import annotations

import re

from helpline.conftest import World
from helpline.lib.html import MAX_BODY_CHARS
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.outbox import ALERT_EXCERPT_CHARS, alert_quote
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.models import Entry, Ticket

LINE = "Line {:05d}: the printer on the third floor prints nothing but smoke.\n"
LONG = "".join(LINE.format(i) for i in range(3_000))  # 210 KB of text, 3,000 lines
LONG_HTML = "<p>" + LONG.replace("\n", "<br>") + "</p>"
TRACKER = "https://tracker.example/open.gif?who=ken"
IMAGES = (
    f'<p>See the picture: <img src="{TRACKER}" alt="logo"></p>'
    '<p><img src="//cdn.example/x.png"> and <img src="cid:part1@example"> inline.</p>'
)
# An <img> whose address a mail client would fetch from elsewhere.
REMOTE_IMG = re.compile(r"<img\b[^>]*\bsrc=\"(?:https?:)?//", re.IGNORECASE)


def alerts(ticket: Ticket, kind: MailKind) -> list[OutboundMessage]:
    fan_out_pending()
    mails = list(OutboundMessage.objects.filter(ticket=ticket, kind=kind))
    assert mails, f"no {kind} queued"
    return mails


def desk_link(ticket: Ticket) -> str:
    return f"/desk/tickets/{ticket.number}/"


def test_a_long_message_is_quoted_in_alerts_as_an_excerpt_with_a_link(world: World) -> None:
    ticket = world.open(body_html=LONG_HTML)
    stored = Entry.objects.get(ticket=ticket).body
    assert len(stored) > 200_000  # the ticket keeps it all

    for mail in alerts(ticket, MailKind.NEW_TICKET_ALERT):
        assert len(mail.text) < ALERT_EXCERPT_CHARS + 2_000
        assert len(mail.html) < 2 * ALERT_EXCERPT_CHARS
        assert "Line 00000:" in mail.text and "Line 02999:" not in mail.text
        # Cut at the end of a line: the last line quoted is whole.
        quoted = mail.text.split("\n\n[...]")[0]
        assert quoted.rstrip().endswith("prints nothing but smoke.")
        assert "Message shortened; read it all on the ticket:" in mail.text
        assert desk_link(ticket) in mail.text.split("read it all on the ticket:")[1]
        assert "Message shortened" in mail.html and 'href="http' in mail.html
        assert desk_link(ticket) in mail.html


def test_a_long_paragraph_is_cut_at_a_word(world: World) -> None:
    words = " ".join(f"word{i}" for i in range(40_000))  # one line, 300 KB
    ticket = world.open(body_html=words)

    for mail in alerts(ticket, MailKind.NEW_TICKET_ALERT):
        quoted = mail.text.split("\n\n[...]")[0]
        last = quoted.split()[-1]
        assert re.fullmatch(r"word\d+", last) and f"{last} " in words


def test_a_message_within_the_excerpt_is_quoted_whole(world: World) -> None:
    body = "<p>" + "Short and to the point. " * 100 + "</p>"
    ticket = world.open(body_html=body)

    for mail in alerts(ticket, MailKind.NEW_TICKET_ALERT):
        assert "Short and to the point. " * 100 in mail.text.replace("\n", " ") + " "
        assert "Message shortened" not in mail.text + mail.html


def test_alerts_carry_no_remote_images_but_links_to_them(world: World) -> None:
    ticket = world.open(body_html=IMAGES)

    for mail in alerts(ticket, MailKind.NEW_TICKET_ALERT):
        assert not REMOTE_IMG.search(mail.html), mail.html
        assert f'href="{TRACKER.replace("&", "&amp;")}"' in mail.html
        assert "Remote image “logo” from tracker.example blocked" in mail.html
        assert "cdn.example" in mail.html  # scheme-relative: a link too
        assert 'src="cid:part1@example"' in mail.html  # part of the mail: kept
    assert REMOTE_IMG.search(Entry.objects.get(ticket=ticket).body)  # stored as sent


def test_the_reopen_alert_quotes_the_customers_message_the_same_way(world: World) -> None:
    ticket = world.open()
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")

    lifecycle.customer_reply(ticket, actor=world.customer, body_html=IMAGES + LONG_HTML)

    for mail in alerts(ticket, MailKind.REOPENED_ALERT):
        assert not REMOTE_IMG.search(mail.html)
        assert len(mail.text) < ALERT_EXCERPT_CHARS + 2_000
        assert "Message shortened; read it all on the ticket:" in mail.text


def test_the_largest_stored_body_costs_each_alert_an_excerpt(world: World) -> None:
    """Ten agents, the largest body: ten excerpts, not ten copies of 256 KB."""
    from helpline.accounts.models import Role
    from helpline.conftest import make_agent

    for i in range(8):
        make_agent(f"extra{i}.agent", Role.AGENT, world.support)
    body = "x" * (MAX_BODY_CHARS * 2)  # cut to the stored size first

    ticket = world.open(body_html=body)

    mails = alerts(ticket, MailKind.NEW_TICKET_ALERT)
    assert len(mails) == 10
    assert sum(len(m.text) + len(m.html) for m in mails) < 10 * 3 * ALERT_EXCERPT_CHARS


LONG_LINES = "".join(f"Line {i:05d}: the printer prints smoke.\n" for i in range(3_000))


def test_the_excerpt_is_html_not_escaped_html() -> None:
    quoted = alert_quote(
        {"author": "Ken", "html": "<p>x</p>", "text": LONG_LINES}, "https://h/desk/"
    )

    assert "&lt;p&gt;" not in quoted["html"] and "&lt;br&gt;" not in quoted["html"]
    assert quoted["html"].startswith("<p>Line 00000: the printer prints smoke.<br>")


def test_a_long_message_s_alert_mail_shows_its_excerpt_as_paragraphs(world: World) -> None:
    ticket = world.open(body_html="<p>" + LONG_LINES.replace("\n", "<br>") + "</p>")

    fan_out_pending()
    for mail in OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.NEW_TICKET_ALERT):
        assert "&lt;br&gt;" not in mail.html and "&amp;lt;" not in mail.html
        assert "<br>Line 00001:" in mail.html
