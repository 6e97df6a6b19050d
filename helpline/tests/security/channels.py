"""The XSS sweep's senders: every way a customer, a mail or an API client puts text
into Helpline, driven as an attacker drives it (curl-like requests through the
Django test client, raw mail through the osTicket mail endpoint).

Batching keeps the sweep fast: each field of a channel gets every payload of the
corpus, several to a ticket (as many as the field takes, at most five; files one
payload each, five to a message), each payload with its own marker for (channel,
field). A payload that swallows what follows it (an unclosed <script>) comes last
in its field. A channel has as many tickets as its most crowded field needs.

A channel may refuse a request (a null byte, an address it cannot read): that is
counted, not a failure; what it accepts, the sweep renders.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.test import Client

from helpline.accounts.models import Agent, User
from helpline.api.models import ApiKey
from helpline.portal.accounts import confirmation_path, pending_login
from helpline.portal.views import OPENED_KEY
from helpline.tests.security.payloads import PAYLOADS, Payload
from helpline.tests.security.xss import Markers
from helpline.tickets import lifecycle
from helpline.tickets.links import rating_path, ticket_from_token, ticket_path
from helpline.tickets.models import Event, EventKind, HelpTopic, Ticket, TopicField
from helpline.tickets.questions import extra_field_name

STRONG_PASSWORD = "Plenty-of-entropy-42!"
# Lines up to RFC 5322's 998: Python folds a long quoted display name into a
# header no reader can parse, which would test Python, not Helpline.
MAIL = SMTP.clone(max_line_length=998)
PER_FIELD = 5  # payloads in one field of one ticket; also the attachments per message


@dataclass(frozen=True)
class Spec:
    """A field of a channel: how many characters it takes (None: plenty), and
    whether it is file names (one payload per file)."""

    name: str
    limit: int | None = None
    files: bool = False


def pack(items: list[tuple[Payload, str]], limit: int | None, files: bool) -> list[list[str]]:
    """Group marked payloads into fields: first fit, at most PER_FIELD each, joined
    length within `limit` (files: each name within it), a swallower only last."""
    bins: list[list[str]] = []
    closed: set[int] = set()  # bins ending with a swallower

    def fits(group: list[str], text: str) -> bool:
        if len(group) >= PER_FIELD or limit is None:
            return len(group) < PER_FIELD
        return len(text) <= limit if files else len(" ".join([*group, text])) <= limit

    for payload, text in sorted(items, key=lambda item: item[0].swallows):
        if limit is not None and len(text) > limit:
            continue
        index = next(
            (i for i, group in enumerate(bins) if i not in closed and fits(group, text)), None
        )
        if index is None:
            bins.append([])
            index = len(bins) - 1
        bins[index].append(text)
        if payload.swallows:
            closed.add(index)
    return bins


@dataclass
class Ticket_:
    """One ticket's worth of a channel's fields: text by field name ("" if none)."""

    values: dict[str, list[str]]

    def __getitem__(self, name: str) -> str:
        return " ".join(self.values.get(name, []))

    def files(self, name: str, suffix: str) -> list[str]:
        return [text + suffix for text in self.values.get(name, [])]


def api_key(topic: HelpTopic) -> str:
    key = ApiKey(
        name="XSS sweep", scopes=["tickets:create"], allowed_ips="127.0.0.0/8", default_topic=topic
    )
    secret = key.set_secret()
    key.save()
    return secret


def _quoted_name(name: str, address: str) -> str:
    """'"Name" <address>' with the name quoted as RFC 5322 quotes it."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{address}>'


def _upload(name: str, content: bytes = b"hello") -> SimpleUploadedFile:
    """A file as a browser sends it: the HTML standard has browsers write a quote
    and line breaks in a file name as %22, %0D and %0A."""
    for char, code in (('"', "%22"), ("\r", "%0D"), ("\n", "%0A")):
        name = name.replace(char, code)
    return SimpleUploadedFile(name, content, content_type="text/plain")


@dataclass
class Channels:
    markers: Markers
    topic: HelpTopic  # with the questions "asset" (text) and "details" (long text)
    resolver: Agent
    customer_user: User  # a customer who signs in on the portal
    key: str
    tickets: set[str] = field(default_factory=set)
    thanks: list[str] = field(default_factory=list)  # portal sessions, each on a thanks page
    rated: list[str] = field(default_factory=list)  # rating page paths
    kens_first: str = ""  # the first ticket Ken opened signed in
    refused: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    fields: dict[str, set[str]] = field(default_factory=dict)
    too_long: Counter[str] = field(default_factory=Counter)  # payloads a field cannot take
    deliveries: int = 0  # (payload, field) pairs sent
    reasons: list[str] = field(default_factory=list)  # why a channel refused

    def plan(self, channel: str, specs: list[Spec]) -> list[Ticket_]:
        """The tickets that carry every payload in every field of `specs`. A payload
        a channel refuses outright (a NUL) goes in a ticket of its own, so that the
        refusal costs no other payload its test."""
        per_field: dict[str, list[list[str]]] = {}
        alone = [p for p in PAYLOADS if "\x00" in p.text]
        own: list[dict[str, list[str]]] = [{} for _ in alone]
        for spec in specs:
            items = [(p, self.markers(p, channel, spec.name)) for p in PAYLOADS]
            bins = pack([(p, t) for p, t in items if p not in alone], spec.limit, spec.files)
            per_field[spec.name] = bins
            lone = [text for payload, text in items if payload in alone]
            for values, text in zip(own, lone, strict=True):
                if spec.limit is None or len(text) <= spec.limit:
                    values[spec.name] = [text]
            placed = sum(len(b) for b in bins) + sum(spec.name in v for v in own)
            self.deliveries += placed
            self.too_long[f"{channel}: {spec.name}"] += len(items) - placed
            self.fields.setdefault(channel, set()).add(spec.name)
        count = max(len(bins) for bins in per_field.values())
        return [
            Ticket_({name: bins[i] for name, bins in per_field.items() if i < len(bins)})
            for i in range(count)
        ] + [Ticket_(values) for values in own]

    def _done(
        self, channel: str, ok: bool, ticket: Ticket | None = None, why: object = ""
    ) -> Ticket | None:
        (self.accepted if ok else self.refused)[channel] += 1
        if not ok:
            self.reasons.append(f"{channel}: {str(why)[:300]}")
        if ok and ticket is not None:
            self.tickets.add(ticket.number)
        return ticket if ok else None

    # --- the portal ---------------------------------------------------------------

    PORTAL_FORM = [
        Spec("phone", 40),
        Spec("subject", 255),
        Spec("description"),
        Spec("answer (short text)", 500),
        Spec("answer (long text)"),
        Spec("attachment file names", 196, files=True),
    ]

    def _open_on_portal(
        self, client: Client, channel: str, t: Ticket_, **data: Any
    ) -> Ticket | None:
        asset = TopicField.objects.get(topic=self.topic, key="asset")
        details = TopicField.objects.get(topic=self.topic, key="details")
        response = client.post(
            "/open/",
            {
                "topic": str(self.topic.pk),
                "phone": t["phone"],
                "subject": t["subject"] or "Hello",
                "description": t["description"] or "Hello",
                extra_field_name(asset): t["answer (short text)"],
                extra_field_name(details): t["answer (long text)"],
                "attachments": [_upload(n) for n in t.files("attachment file names", ".txt")],
                **data,
            },
        )
        if response.status_code != 302:
            errors = response.context["form"].errors if response.context else response.status_code
            return self._done(channel, False, why=errors)
        ticket = ticket_from_token(client.session.get(OPENED_KEY) or "")
        assert ticket is not None
        return self._done(channel, True, ticket)

    def portal_guest(self) -> None:
        """The open form without an account, then the guest's answer through the
        signed link. The address is a payload where one makes a valid address
        ("<svg/onload=...>"@example.com is one)."""
        channel = "portal form (guest)"
        plan = self.plan(
            channel, [Spec("name", 200), *self.PORTAL_FORM, Spec("reply (signed link)")]
        )
        addresses = []
        for payload in PAYLOADS:
            address = f'"{self.markers(payload, channel, "email address")}"@example.com'
            try:
                validate_email(address)
            except ValidationError:
                self.too_long[f"{channel}: email address (not an address)"] += 1
                continue
            addresses.append(address)
        if addresses:
            self.fields[channel].add("email address")
        plan += [Ticket_({}) for _ in range(len(addresses) - len(plan))]
        for n, t in enumerate(plan):
            email = addresses[n] if n < len(addresses) else f"guest{n}@portal.example"
            client = Client()
            ticket = self._open_on_portal(
                client, channel, t, name=t["name"] or "Guest", email=email
            )
            if ticket is None:
                continue
            self.thanks.append(client.session.session_key or "")  # its thanks page
            if not t["reply (signed link)"]:
                continue
            reply = Client().post(
                ticket_path(ticket) + "reply/", {"body": t["reply (signed link)"]}
            )
            if reply.status_code != 302:
                self.refused[channel + " reply"] += 1
        self.deliveries += len(addresses)

    def portal_customer(self) -> None:
        """Ken, signed in: opens tickets, answers on them, rates the answers."""
        channel = "portal (signed in)"
        specs = [
            *self.PORTAL_FORM,
            Spec("reply"),
            Spec("reply attachment file names", 196, files=True),
            Spec("rating comment", 2000),
        ]
        client = Client()
        client.force_login(self.customer_user)
        for t in self.plan(channel, specs):
            ticket = self._open_on_portal(client, channel, t)
            if ticket is None:
                continue
            self.kens_first = self.kens_first or ticket.number
            reply = client.post(
                f"/tickets/{ticket.number}/reply/",
                {
                    "body": t["reply"] or "Thanks",
                    "attachments": [
                        _upload(n, b"log") for n in t.files("reply attachment file names", ".log")
                    ],
                },
            )
            if reply.status_code != 302:
                self.refused[channel + " reply"] += 1
            ticket.refresh_from_db()
            lifecycle.resolve(ticket, actor=self.resolver, explanation_html="<p>Fixed.</p>")
            event = Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")
            path = rating_path(event)
            rating = Client().post(path, {"score": "good", "comment": t["rating comment"]})
            if rating.status_code != 302:
                self.refused[channel + " rating"] += 1
            self.rated.append(path)

    def register(self) -> None:
        """Registration takes an address only; the name is given behind the mailed
        link, so the payload travels through the confirmation page."""
        channel = "portal registration"
        for n, t in enumerate(self.plan(channel, [Spec("name", 200)])):
            email = f"reg{n}@register.example"
            Client().post("/register/", {"email": email})
            client = Client()
            # The worker's half of the registration, then its mailed link.
            link = client.get(confirmation_path(pending_login(email)), follow=True)
            response = client.post(
                link.redirect_chain[-1][0],
                {
                    "name": t["name"],
                    "new_password1": STRONG_PASSWORD,
                    "new_password2": STRONG_PASSWORD,
                },
            )
            form = response.context.get("form") if response.context else None
            refused = response.status_code >= 400 or bool(form is not None and form.errors)
            self._done(channel, not refused, why=form.errors if form is not None else response)

    def failed_logins(self) -> None:
        """Failed sign-ins, which django-axes records (username, user agent, the
        posted form) for the admin's access logs."""
        channel = "desk sign-in"
        plan = self.plan(channel, [Spec("username", 150), Spec("User-Agent header", 255)])
        for n, t in enumerate(plan):
            client = Client(
                HTTP_USER_AGENT=t["User-Agent header"] or "agent",
                REMOTE_ADDR=f"198.51.100.{n % 250 + 1}",
            )
            response = client.post(
                "/desk/login/", {"username": t["username"] or "u", "password": "x"}
            )
            self._done(
                channel, response.status_code in (200, 400, 403, 429), why=response.status_code
            )

    # --- the REST API -------------------------------------------------------------

    def _rest(self, channel: str, body: dict[str, Any]) -> None:
        response = Client().post(
            "/api/v1/tickets",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.key}"},
        )
        ok = response.status_code == 201
        ticket = Ticket.objects.get(number=response.json()["number"]) if ok else None
        self._done(channel, ok, ticket, why=response.content)

    def rest(self) -> None:
        channel = "REST API"
        specs = [
            Spec("name", 200),
            Spec("phone", 40),
            Spec("subject", 255),
            Spec("message (format html)"),
            Spec("fields.asset", 500),
            Spec("fields.details", 5000),
            Spec("attachments[].filename", 196, files=True),
        ]
        for n, t in enumerate(self.plan(channel, specs)):
            self._rest(
                channel,
                {
                    "email": f"rest{n}@api.example",
                    "name": t["name"],
                    "phone": t["phone"],
                    "subject": t["subject"] or "Hello",
                    "message": "<p>Hello</p>" + t["message (format html)"],
                    "format": "html",
                    "fields": {"asset": t["fields.asset"], "details": t["fields.details"]},
                    "attachments": [
                        {"filename": name, "data": base64.b64encode(b"hello").decode()}
                        for name in t.files("attachments[].filename", ".txt")
                    ],
                },
            )

    def rest_text(self) -> None:
        """A plain-text message, and the name given in the address."""
        channel = "REST API (text)"
        specs = [Spec("email display name", 200), Spec("message (format text)")]
        for n, t in enumerate(self.plan(channel, specs)):
            self._rest(
                channel,
                {
                    "email": _quoted_name(t["email display name"], f"text{n}@api.example"),
                    "subject": "Plain text",
                    "message": t["message (format text)"] or "Hello",
                },
            )

    # --- osTicket's API -----------------------------------------------------------

    def _osticket(self, channel: str, fmt: str, body: str | bytes, content_type: str) -> None:
        response = Client().post(
            f"/api/tickets.{fmt}", body, content_type=content_type, headers={"X-API-Key": self.key}
        )
        ok = response.status_code == 201
        ticket = Ticket.objects.get(number=response.content.decode()) if ok else None
        self._done(channel, ok, ticket, why=response.content)

    OSTICKET = [
        Spec("phone", 40),
        Spec("subject", 255),
        Spec("custom field asset", 500),
        Spec("custom field details", 5000),
        Spec("attachment file names", 196, files=True),
    ]

    def osticket_json(self) -> None:
        channel = "osTicket API (JSON)"
        specs = [Spec("email display name", 200), Spec("message (text)"), *self.OSTICKET]
        for n, t in enumerate(self.plan(channel, specs)):
            data = {
                "email": _quoted_name(t["email display name"], f"json{n}@os.example"),
                "phone": t["phone"],
                "subject": t["subject"] or "Hello",
                "message": t["message (text)"] or "Hello",
                "asset": t["custom field asset"],
                "details": t["custom field details"],
                "attachments": [
                    {name: "data:text/plain;base64,aGVsbG8="}
                    for name in t.files("attachment file names", ".txt")
                ],
            }
            self._osticket(channel, "json", json.dumps(data), "application/json")

    def osticket_xml(self) -> None:
        channel = "osTicket API (XML)"
        specs = [Spec("name", 200), Spec("message (text/html)"), *self.OSTICKET]
        for n, t in enumerate(self.plan(channel, specs)):
            files = "".join(
                f'<file name={quoteattr(name)} type="text/plain" encoding="base64">aGVsbG8=</file>'
                for name in t.files("attachment file names", ".txt")
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<ticket name={quoteattr(t["name"] or "X")} email="xml{n}@os.example">'
                f"<subject>{xml_escape(t['subject'] or 'Hello')}</subject>"
                f"<phone>{xml_escape(t['phone'])}</phone>"
                '<message type="text/html">&lt;p&gt;Hi&lt;/p&gt;'
                f"{xml_escape(t['message (text/html)'])}</message>"
                f"<asset>{xml_escape(t['custom field asset'])}</asset>"
                f"<details>{xml_escape(t['custom field details'])}</details>"
                f"<attachments>{files}</attachments></ticket>"
            )
            # Characters XML 1.0 cannot carry (a NUL) make the request refused.
            self._osticket(channel, "xml", body.encode("utf-8", "surrogatepass"), "application/xml")
        # An agent touches up each subject: the timeline then shows the customer's
        # subject as the old value and inside the new one.
        for ticket in Ticket.objects.filter(customer__email__endswith="@os.example", source="api"):
            if ticket.customer.email.startswith("xml"):
                lifecycle.edit(ticket, actor=self.resolver, subject=ticket.subject + " (edited)")

    # --- mail ---------------------------------------------------------------------

    def _mail(self, message: EmailMessage | bytes) -> Any:
        raw = message if isinstance(message, bytes) else message.as_bytes(policy=MAIL)
        return Client().post(
            "/api/tickets.email",
            raw,
            content_type="message/rfc822",
            headers={"X-API-Key": self.key},
        )

    def email(self) -> None:
        """A new mail (display names of sender and Cc, subject, text and HTML parts,
        attachment names, one of them of a refused type, named in a note), then
        the sender's reply to it (text only, a hostile Message-ID) and an
        out-of-office answer (noted for the agents)."""
        channel = "email"
        specs = [
            Spec("From display name", 200),
            Spec("Cc display name", 200),
            Spec("Subject", 255),
            Spec("text part (beside HTML)"),
            Spec("HTML part"),
            Spec("attachment file names", 196, files=True),
            Spec("refused attachment's name", 196, files=True),
            Spec("Message-ID header", 200),
            Spec("reply text"),
            Spec("automatic reply text"),
        ]
        for n, t in enumerate(self.plan(channel, specs)):
            sender = f"mail{n}@mail.example"
            first_id = make_msgid(domain="mail.example")
            try:
                first = EmailMessage(policy=MAIL)
                first["From"] = Address(t["From display name"], addr_spec=sender)
                first["To"] = "helpdesk@helpline.example"
                first["Cc"] = Address(t["Cc display name"], addr_spec=f"cc{n}@mail.example")
                first["Subject"] = t["Subject"] or "Hello"
                first["Message-ID"] = first_id
                first.set_content("Hello\n" + t["text part (beside HTML)"])
                first.add_alternative("<p>Hello</p>" + t["HTML part"], subtype="html")
                for name in t.files("attachment file names", ".txt"):
                    first.add_attachment(b"hi", maintype="text", subtype="plain", filename=name)
                for name in t.files("refused attachment's name", ".exe"):
                    first.add_attachment(
                        b"MZ", maintype="application", subtype="octet-stream", filename=name
                    )
                raw = first.as_bytes(policy=MAIL)
            except (ValueError, TypeError):
                self.refused[channel + " (cannot be written as mail)"] += 1
                continue
            response = self._mail(raw)
            ok = response.status_code == 201
            ticket = Ticket.objects.get(number=response.content.decode()) if ok else None
            if self._done(channel, ok, ticket, why=response.content) is None:
                continue
            assert ticket is not None
            reply = (
                f"From: {sender}\r\nTo: helpdesk@helpline.example\r\n"
                f"Subject: Re: [#{ticket.number}] Hello\r\n"
                f"Message-ID: <{t['Message-ID header'] or 'r' + str(n)}@mail.example>\r\n"
                f"In-Reply-To: {first_id}\r\nReferences: {first_id}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + (t["reply text"] or "Thanks")
            ).encode("utf-8", "surrogatepass")
            if self._mail(reply).status_code != 201:
                self.refused[channel + " reply"] += 1
            # An out-of-office answer to the ticket: kept as a note for the agents.
            automatic = (
                f"From: {sender}\r\nTo: helpdesk@helpline.example\r\n"
                f"Subject: Out of office: [#{ticket.number}]\r\nAuto-Submitted: auto-replied\r\n"
                f"Message-ID: <auto{n}@mail.example>\r\nIn-Reply-To: {first_id}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                + (t["automatic reply text"] or "Away")
            ).encode("utf-8", "surrogatepass")
            if self._mail(automatic).status_code not in (201, 202):
                self.refused[channel + " automatic reply"] += 1

    def quarantined(self) -> None:
        """A mail that intake keeps for an administrator (it has no sender): every
        payload in its subject and body, for the quarantine's admin pages."""
        channel = "email (quarantined)"
        lines = [self.markers(p, channel, "Subject and body") for p in PAYLOADS]
        self.fields.setdefault(channel, set()).add("Subject and body")
        self.deliveries += len(lines)
        subject = " ".join(line for line in lines if "\x00" not in line)
        raw = (
            f"Subject: {subject[:900]}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + "\r\n".join(lines)
        ).encode("utf-8")
        self._done(channel, self._mail(raw).status_code == 202)

    def everything(self) -> None:
        self.portal_guest()
        self.portal_customer()
        self.register()
        self.failed_logins()
        self.rest()
        self.rest_text()
        self.osticket_json()
        self.osticket_xml()
        self.email()
        self.quarantined()
