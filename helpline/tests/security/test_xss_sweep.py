"""The XSS sweep (issue 9, "Proof"): every payload of the corpus (payloads.py)
through every field a customer, a mail or an API client controls (channels.py),
rendered on every desk, portal, rating and admin page that shows those fields, in
a real Chromium, with the detector of xss.py watching: a payload ran, injected
markup, or made the CSP report a violation. The positive control that proves the
detector hears each payload is test_xss_detector.py.

Stored fields: each field of each channel gets every payload, a few to a ticket.
Reflected fields (what a page echoes from its query string, or from a form it
sends back refused): every payload at once, one page load per page.

The sweep also checks that it tested something: each field's payloads must show
up (escaped) on some page, else the field is listed as never rendered. Figures
go to test-artifacts/xss/figures.json (and stdout with `-s`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.intake.models import ProcessedMessage, QuarantinedMessage
from helpline.notify.models import OutboundMessage
from helpline.search import indexer
from helpline.tests.security.browser import sign_in
from helpline.tests.security.channels import Channels, api_key
from helpline.tests.security.payloads import PAYLOADS
from helpline.tests.security.xss import Detector, Markers
from helpline.tickets import lifecycle
from helpline.tickets.links import rating_path, ticket_path
from helpline.tickets.models import Event, EventKind, Ticket, TopicField

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "xss"

# Fields sent but shown on no page, by design.
NOT_SHOWN = {
    # A mail with an HTML part becomes its HTML; the text beside it is not kept.
    ("email", "text part (beside HTML)"),
}
REFLECTED = ("query string of ", "form of ", "cookie")


@pytest.fixture
def sweep(browser: Browser) -> Iterator[tuple[Detector, BrowserContext, BrowserContext]]:
    """One detector, two contexts: an administrator's (desk, admin) and a visitor's
    (portal pages through signed links, thanks and rating pages, forms)."""
    detector = Detector(Markers())
    agent = browser.new_context()
    visitor = browser.new_context()
    for context in (agent, visitor):
        context.set_default_timeout(15_000)
        detector.attach(context)
    yield detector, agent, visitor
    agent.close()
    visitor.close()


# Words of the payloads (helpline/tests/security/payloads.py), as the search finds them.
SNIPPET_WORDS = ("alert", "script", "onerror", "img", "svg", "javascript", "iframe")


def send_everything(world: World, markers: Markers) -> Channels:
    TopicField.objects.create(topic=world.topic, key="asset", label="Asset tag")
    TopicField.objects.create(
        topic=world.topic, key="details", label="Details", kind=TopicField.Kind.TEXTAREA
    )
    assert world.customer.user is not None
    channels = Channels(
        markers=markers,
        topic=world.topic,
        resolver=world.admin,
        customer_user=world.customer.user,
        key=api_key(world.topic),
    )
    channels.everything()
    return channels


def admin_pages(model: type[Model], changes: Iterable[Model] = ()) -> Iterator[tuple[str, str]]:
    """A model's admin list, every page of it, and the change pages of `changes`."""
    meta = model._meta
    name = f"admin {meta.verbose_name}"
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    count = model._default_manager.count()
    for page in range(max(1, -(-count // 100))):
        yield f"{changelist}?p={page + 1}", f"{name} list"
    for obj in changes:
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]), name


def stored(
    detector: Detector, agent: Page, visitor: Page, base: str, channels: Channels, world: World
) -> None:
    """Every page that shows what the channels stored."""
    for queue in ("open", "closed"):
        detector.visit(agent, f"{base}/desk/queues/{queue}/", "desk queue")
    # Search results quote the stored text in their snippets (and the suggestions
    # its subjects): words the payloads share, so every snippet holds some.
    indexer.index_pending(limit=100_000)
    for word in SNIPPET_WORDS:
        detector.visit(agent, f"{base}/desk/search/?q={word}&order=newest", "desk search")
        detector.visit(agent, f"{base}/desk/search/suggest/?q={word}", "desk suggestions")
        detector.visit(agent, f"{base}/desk/search/customers/?lookup={word}", "customer lookup")
    tickets = list(Ticket.objects.order_by("id"))
    for ticket in tickets:
        detector.visit(agent, f"{base}/desk/tickets/{ticket.number}/", "desk ticket")

    for ticket in tickets:
        detector.visit(visitor, base + ticket_path(ticket), "portal ticket (signed link)")
    for session in channels.thanks:
        visitor.context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        detector.visit(visitor, f"{base}/open/thanks/", "portal thanks")
    assert world.customer.user is not None
    sign_in(visitor.context, base, world.customer.user)
    detector.visit(visitor, f"{base}/my/", "portal my tickets")
    for word in SNIPPET_WORDS:
        detector.visit(visitor, f"{base}/my/?q={word}", "portal search")
    detector.visit(visitor, f"{base}/tickets/{channels.kens_first}/", "portal ticket (signed in)")
    visitor.context.clear_cookies()
    for path in channels.rated:
        detector.visit(visitor, base + path, "rating page")

    # Change forms: the customers the portal form and mail made (names, phones,
    # addresses, display names); the API channels fill the same columns.
    customers = Customer.objects.filter(
        email__regex=r"(@portal\.example|@example\.com|^mail\d+@mail\.example)$"
    ).exclude(pk=world.customer.pk)
    mail_alerts = OutboundMessage.objects.filter(ticket__source="api").order_by("id")
    pages = [
        *admin_pages(Customer, customers),
        *admin_pages(get_user_model()),
        *admin_pages(QuarantinedMessage, QuarantinedMessage.objects.all()),
        *admin_pages(ProcessedMessage),
        *admin_pages(OutboundMessage, mail_alerts[:8]),
        *admin_pages(AccessAttempt, AccessAttempt.objects.all()),
        *admin_pages(AccessLog),
    ]
    for path, name in pages:
        detector.visit(agent, base + path, name)


def reflected(detector: Detector, agent: Page, visitor: Page, base: str, rated: str) -> None:
    """Pages that echo what the request carried: every payload at once in each
    query parameter, and in each field of a form the site sends back refused."""

    def joined(channel: str, name: str) -> str:
        return " ".join(detector.markers(p, channel, name) for p in PAYLOADS)

    # The time zone cookie our script sets (read on every page, shown on reports).
    # A cookie holds about 4 KB: as many payloads as fit.
    tz = ""
    for payload in PAYLOADS:
        more = quote(detector.markers(payload, "cookie", "tz") + " ")
        if len(tz) + len(more) > 3800:
            break
        tz += more
    agent.context.add_cookies([{"name": "tz", "value": tz, "url": base}])
    for page, path, params, name in [
        (
            agent,
            "/desk/",
            ["department", "topic", "priority", "status", "assignee", "sort", "page"],
            "desk queue",
        ),
        (agent, "/desk/queues/closed/", ["customer", "team"], "desk queue"),
        (agent, "/desk/reports/", ["preset", "start", "end", "group", "tz"], "reports"),
        # Fragments (no <main>) before the agent's last full page: the control
        # below writes into the page each context ends on.
        (agent, "/desk/search/suggest/", ["q"], "desk search suggestions"),
        (agent, "/desk/search/customers/", ["lookup"], "desk customer lookup"),
        (agent, "/desk/go/", ["number"], "desk jump"),
        (agent, "/desk/search/", ["q", "order", "cursor"], "desk search"),
        (visitor, "/login/", ["next"], "portal sign-in form"),
        (visitor, "/desk/login/", ["next"], "desk sign-in form"),
        (visitor, rated, ["score", "next"], "rating page"),
    ]:
        query = urlencode({p: joined(f"query string of {name}", p) for p in params})
        detector.visit(page, f"{base}{path}?{query}", name)

    forms = [
        ("/open/", ["name", "email", "phone", "subject", "description"], "portal open form"),
        ("/status/", ["email", "number"], "portal status form"),
        ("/login/", ["email"], "portal sign-in form"),
        ("/register/", ["email"], "portal register form"),
        ("/desk/login/", ["username"], "desk sign-in form"),
        ("/password/reset/", ["email"], "portal password reset form"),
        ("/desk/password/reset/", ["email"], "desk password reset form"),
        (rated, ["comment"], "rating page"),
    ]
    for path, fields, name in forms:
        visitor.goto(base + path)
        values = {f: joined(f"form of {name}", f) for f in fields}
        with visitor.expect_navigation():
            visitor.evaluate(
                """(values) => {
                  const first = document.querySelector(`main [name="${Object.keys(values)[0]}"]`);
                  if (!first) throw new Error('no such field on ' + location.href);
                  const form = first.form;
                  for (const [name, value] of Object.entries(values)) {
                    const el = form.elements[name];
                    el.removeAttribute('maxlength');
                    el.value = value;
                  }
                  for (const el of form.querySelectorAll('[type=password]')) el.value = 'x';
                  form.submit();
                }""",
                values,
            )
        detector.scan(visitor, name)


def unrated(world: World) -> str:
    """A rating link not used yet: its page still has the form."""
    ticket = lifecycle.resolve(
        world.open("Not rated yet"), actor=world.admin, explanation_html="<p>Done.</p>"
    )
    return rating_path(Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id"))


def coverage(detector: Detector, channels: Channels) -> tuple[dict[str, Any], list[str]]:
    """Which (payload, channel field) pairs each kind of page showed."""
    shown: dict[tuple[str, str], dict[str, set[str]]] = {}
    for page, numbers in detector.shown.items():
        for number in numbers:
            origin = detector.markers.origins.get(number)
            if origin is None:
                continue
            pages = shown.setdefault((origin.channel, origin.field), {})
            pages.setdefault(page, set()).add(origin.payload)
    fields = {(c, f) for c, names in channels.fields.items() for f in names}
    fields |= {
        (o.channel, o.field) for o in detector.markers.origins.values() if o.channel != "control"
    }
    table = {
        f"{channel}: {name}": {
            page: len(payloads) for page, payloads in sorted(shown.get((channel, name), {}).items())
        }
        for channel, name in sorted(fields)
    }
    never = [
        f"{channel}: {name}"
        for channel, name in sorted(fields)
        if (channel, name) not in shown and (channel, name) not in NOT_SHOWN
    ]
    return table, never


def prove_the_detector_listens(detector: Detector, pages: list[Page]) -> None:
    """In-place positive control: one payload put into each live page unescaped,
    as a template bug would, must be caught by the same detector, in the same
    browser contexts, that found nothing above (test_xss_detector.py does this
    for every payload)."""
    payload = next(p for p in PAYLOADS if p.key == "img-onerror")
    for page in pages:
        before = len(detector.injected)
        marked = detector.markers(payload, "control", "unescaped on purpose")
        page.evaluate(
            "html => document.querySelector('main').insertAdjacentHTML('beforeend', html)", marked
        )
        detector.scan(page, "control")
        assert len(detector.injected) > before, page.url


def test_no_payload_runs_or_injects_on_any_page(
    live_server, world: World, sweep: tuple[Detector, BrowserContext, BrowserContext], settings
) -> None:
    settings.HELPLINE_QUEUE_PAGE_SIZE = 10_000  # every ticket on one queue page
    settings.RATELIMIT_ENABLE = False  # hundreds of posts from one address, on purpose
    detector, agent_context, visitor_context = sweep
    started = time.monotonic()
    channels = send_everything(world, detector.markers)
    sent = time.monotonic()
    base = live_server.url
    sign_in(agent_context, base, world.admin.user)
    agent, visitor = agent_context.new_page(), visitor_context.new_page()
    stored(detector, agent, visitor, base, channels, world)
    reflected(detector, agent, visitor, base, unrated(world))
    detector.watch.settle(agent)
    detector.watch.settle(visitor)
    done = time.monotonic()
    findings = list(detector.findings())
    table, never = coverage(detector, channels)

    prove_the_detector_listens(detector, [agent, visitor])
    detector.watch.settle(agent)
    controls = [f for f in detector.findings() if f not in findings]
    # Under the policy the handler cannot run: the markup and the violation remain.
    assert {f.witness for f in controls} == {"injected", "policy"}, controls
    assert all(o.channel == "control" for f in controls for o in f.origins), controls
    triples = sum(sum(pages.values()) for pages in table.values())
    figures = {
        "payloads": len(PAYLOADS),
        "fields (channel: field)": len(table),
        "stored payload deliveries (payload x field)": channels.deliveries,
        "rendered (payload, field, kind of page) triples": triples,
        "kinds of page": len(set(detector.pages) - {"control"}),
        "page loads": detector.loads,
        "tickets": Ticket.objects.count(),
        "requests accepted by channel": dict(channels.accepted),
        "requests refused by channel": dict(channels.refused),
        "why refused": channels.reasons,
        "payloads a field cannot take (too long)": {
            k: v for k, v in channels.too_long.items() if v
        },
        "page loads by kind": dict(sorted(detector.pages.items())),
        "payloads shown, by field and kind of page": table,
        "stored fields never shown": [n for n in never if not n.startswith(REFLECTED)],
        "reflected inputs not echoed (checked and dropped by the page)": [
            n for n in never if n.startswith(REFLECTED)
        ],
        "seconds: sending, rendering": [round(sent - started, 1), round(done - sent, 1)],
        "findings": len(findings),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "figures.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(json.dumps(figures, indent=2, ensure_ascii=False))

    assert not findings, "\n".join(
        f"{f.witness} on {f.page}: {f.detail[:300]} from {f.origins}" for f in findings[:40]
    )
    stored_never = [n for n in never if not n.startswith(REFLECTED)]
    assert not stored_never, f"fields the sweep sent but no page showed: {stored_never}"
