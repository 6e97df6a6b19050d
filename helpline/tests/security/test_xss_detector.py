"""Positive control for the XSS sweep (test_xss_sweep.py): put every payload of the
corpus into a page unescaped, as a broken template would, and prove the detector
catches it, both without a policy (the payload runs or injects markup) and under
our Content-Security-Policy (it cannot run, but it injects markup and the policy
reports it). A sweep that finds nothing is only worth something if this passes.

Each payload is tried in the contexts a template puts text in (element text, a
double- or single-quoted attribute, a textarea, the title, a script block, a
comment) until one catches it; it must be caught in at least one. Payloads aimed
at a server mistake (unicode normalization, double decoding...) are first put
through that mistake (payloads.as_live)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.utils.html import escape
from playwright.sync_api import Browser, BrowserContext, Route

from helpline.tests.security.browser import csp_header
from helpline.tests.security.payloads import PAYLOADS, Payload, as_live
from helpline.tests.security.xss import Detector, Markers

pytestmark = pytest.mark.browser

CONTEXTS: dict[str, Callable[[str], str]] = {
    "text": lambda p: f"<div>{p}</div>",
    "double-quoted attribute": lambda p: f'<input value="{p}">',
    "single-quoted attribute": lambda p: f"<input value='{p}'>",
    "textarea": lambda p: f"<textarea>{p}</textarea>",
    "title": lambda p: f"<title>{p}</title>",
    "script": lambda p: f'<script type="application/json">"{p}"</script>',
    "comment": lambda p: f"<!-- {p} -->",
}
CONTROL_ORIGIN = "https://control.helpline.test"
CONTROL_URL = CONTROL_ORIGIN + "/page"


def page_with(payload_html: str, context: str) -> str:
    return (
        "<!doctype html><html><head><meta charset=utf-8></head><body><p>before</p>"
        f"{CONTEXTS[context](payload_html)}<p>after</p></body></html>"
    )


class Control:
    """One page that shows whatever HTML it is given, with or without our policy."""

    def __init__(self, context: BrowserContext) -> None:
        self.detector = Detector(Markers())
        self.detector.attach(context)
        self.page = context.new_page()
        self.body = ""
        # The whole origin, so the payloads' own requests (src=x) fail at once
        # instead of waiting for a name lookup.
        self.page.route(CONTROL_ORIGIN + "/**", self._serve)

    def _serve(self, route: Route) -> None:
        if route.request.url != CONTROL_URL:
            route.fulfill(status=404, body="")
            return
        route.fulfill(
            status=200, headers={"Content-Type": "text/html", **csp_header()}, body=self.body
        )

    def caught(self, html: str, *, under_policy: bool) -> bool:
        """Whether showing `html` gave the detector anything to report."""
        detector = self.detector
        before = (len(detector.ran), len(detector.injected), len(detector.watch.violations))
        if under_policy:
            self.body = html
            self.page.goto(CONTROL_URL, wait_until="load")
        else:
            self.page.set_content(html, wait_until="load")
        # Handlers that fire just after load (toggle, animation), and violation
        # reports, which are queued as tasks, arrive before this answers.
        self.page.wait_for_timeout(30)
        detector.scan(self.page, "control")
        after = (len(detector.ran), len(detector.injected), len(detector.watch.violations))
        return after != before


@pytest.fixture
def control(browser: Browser) -> Iterator[Control]:
    context = browser.new_context()
    yield Control(context)
    context.close()


@pytest.mark.parametrize("under_policy", [False, True], ids=["no policy", "our policy"])
def test_the_detector_catches_every_payload_rendered_unescaped(
    control: Control, under_policy: bool
) -> None:
    detector = control.detector
    missed: list[str] = []
    where: dict[str, str] = {}
    for payload in PAYLOADS:
        text = as_live(payload, detector.markers(payload, "control", "unescaped"))
        for name in CONTEXTS:
            if control.caught(page_with(text, name), under_policy=under_policy):
                where[payload.key] = name
                break
        else:
            missed.append(payload.key)
    assert not missed, f"never caught: {missed}"
    assert len(where) == len(PAYLOADS)
    if under_policy:
        # The policy alone stops every payload from running: only markup remains.
        assert detector.ran == []
        assert detector.watch.violations, "the policy reported nothing"
    else:
        assert detector.ran, "no payload ran without a policy"
    # Every finding names the payload it came from.
    for finding in detector.findings():
        if finding.witness != "policy":
            assert finding.origins, finding


def test_the_detector_stays_quiet_when_every_payload_is_escaped(control: Control) -> None:
    """Negative control: the same pages, escaped as Django escapes, find nothing."""
    for payload in PAYLOADS:
        text = escape(as_live(payload, control.detector.markers(payload, "control", "escaped")))
        for name in ("text", "double-quoted attribute"):
            assert not control.caught(page_with(text, name), under_policy=True), (payload.key, name)


def _payload_ids() -> list[str]:
    return [p.key for p in PAYLOADS]


@pytest.mark.parametrize("payload", PAYLOADS, ids=_payload_ids())
def test_every_payload_carries_its_marker(payload: Payload) -> None:
    markers = Markers()
    text = markers(payload, "channel", "field")
    assert markers.origin_of(as_live(payload, text))[0].payload == payload.key
