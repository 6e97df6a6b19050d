"""The bench's SMTP sink counts a burst's mail apart from any other mail, and the
burst's mail sent twice."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from bench.sink import Sink, burst_marker


def send(port: int, subject: str, *to: str) -> None:
    message = EmailMessage()
    message["From"] = "helpline@bench.example"
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content("The order system is down again.")
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)


def test_a_bursts_mail_is_counted_apart_and_its_duplicates_are_seen() -> None:
    marker = burst_marker("osticket-0a1b2c3d")
    with Sink() as sink:
        send(sink.port, f"[#100001] Outage report 1 {marker}", "load1@customers.example")
        # Long enough to be folded over two header lines: the marker is found all the same.
        alert = f"New ticket #100001: Outage report 1 {'and more words ' * 5}{marker}"
        send(sink.port, alert, "agent1@bench.example", "agent2@bench.example")
        send(sink.port, alert, "agent2@bench.example")  # sent twice
        send(sink.port, "Overdue: ticket #42 (an SLA alert)", "agent1@bench.example")
        send(sink.port, f"[#1] Outage report 1 {burst_marker('rest-0a1b2c3d')}", "x@example.com")

        burst, every = sink.snapshot("osticket-0a1b2c3d"), sink.snapshot()

    assert (burst.messages, burst.recipients, burst.duplicates, burst.unique) == (3, 4, 1, 3)
    assert (every.messages, every.recipients) == (5, 6)
    assert sink.snapshot("rest-0a1b2c3d").unique == 1
    assert sink.snapshot("never-sent").recipients == 0
