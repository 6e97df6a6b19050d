"""The satisfaction flow end to end: the agent resolves Ken's ticket on the desk, the
resolution mail carries the "Good" link, Ken follows it, rates with a comment, and
the report's figure counts it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.test import Client
from django.utils import timezone

from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import deliver_pending, fan_out_pending
from helpline.reports.metrics import ratings as stats
from helpline.reports.metrics import report
from helpline.reports.periods import preset
from helpline.tickets.models import Event, EventKind, Rating, Ticket


def test_resolution_mail_link_rating_and_report_figure(world: World, settings) -> None:
    settings.HELPLINE_BASE_URL = "https://help.example.com"
    ticket = world.open("Printer on fire")

    # Alice resolves the ticket on the desk.
    desk = Client()
    desk.force_login(world.agent.user)
    response = desk.post(
        f"/desk/tickets/{ticket.number}/resolve/",
        {"explanation": "Replaced the fuser unit.", "version": ticket.version},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.is_resolved
    resolution = Event.objects.get(ticket=ticket, kind=EventKind.RESOLVED)

    # The resolution mail in the outbox, sent to Ken, carries the "Good" link.
    fan_out_pending()
    queued = OutboundMessage.objects.get(ticket=ticket, kind=MailKind.RESOLVED)
    assert queued.to == ["Ken Adams <ken@example.com>"]
    mail.outbox.clear()
    deliver_pending()
    sent = next(m for m in mail.outbox if m.subject.startswith("Resolved:"))
    assert sent.to == ["Ken Adams <ken@example.com>"]
    good = re.search(r"Good: (https://help\.example\.com/rate/\S+\?score=good)", str(sent.body))
    assert good is not None
    link = urlsplit(good.group(1))

    # Ken follows it, with no login: "Good" is preselected; he adds a comment.
    ken = Client()
    page = ken.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    assert 'value="good" checked' in page.content.decode()
    assert "Replaced the fuser unit." in page.content.decode()
    posted = ken.post(link.path, {"score": "good", "comment": "Fast and friendly, thanks!"})
    assert posted.status_code == 302
    thanks = ken.get(posted["Location"])
    assert "Thank you for your rating" in thanks.content.decode()

    # The rating and its event.
    rating = Rating.objects.get()
    assert (rating.ticket, rating.resolution, rating.customer, rating.agent) == (
        ticket,
        resolution,
        world.customer,
        world.agent,
    )
    assert (rating.score, rating.comment) == ("good", "Fast and friendly, thanks!")
    rated = Event.objects.get(ticket=ticket, kind=EventKind.RATED)
    assert rated.new_value == "Good" and rated.reason == "Fast and friendly, thanks!"
    assert rated.data == {"rating": rating.pk, "resolution": resolution.pk, "score": "good"}
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version

    # The report's figure.
    now = timezone.now()
    period = stats.between(now - timedelta(days=7), now + timedelta(seconds=1))
    assert stats.summary(period) == {"good": 1, "okay": 0, "bad": 0, "total": 1, "score": 1.0}
    assert (
        stats.for_agent(world.agent, now - timedelta(days=7), now + timedelta(seconds=1))["good"]
        == 1
    )

    # The reports page's figure: the same rating, in the report of the last 7 days,
    # overall and in the resolving agent's own figures.
    today = timezone.localdate()
    week = preset("7d", today=today, tz="UTC")
    overall = report(week).total.satisfaction
    assert overall is not None and (overall["good"], overall["score"]) == (1, 1.0)
    own = report(week, agent=world.agent).total.satisfaction
    assert own is not None and own["total"] == 1
    shown = desk.get("/desk/reports/data?preset=7d&tz=UTC").json()["total"]["satisfaction"]
    assert (shown["good"], shown["total"], shown["score"]) == (1, 1, 1.0)

    # And the desk shows it.
    html = desk.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert "rated the answer <strong>Good</strong>" in html
