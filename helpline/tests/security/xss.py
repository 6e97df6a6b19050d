"""The XSS sweep's detector: markers that say where a payload came from, and a
Chromium context that reports every payload that ran, every element or attribute
one injected, and every CSP violation.

Three independent witnesses, any one of which is a finding:
- execution: the payload called `__xss(marker)` (a binding the test exposes in
  every frame; `__XSS` too, for channels that upper-case a field);
- injection: the DOM holds an element or attribute no escaped text can create: a
  tag or attribute name containing "xss", an `on*` handler (our templates have
  none), a script, `hx-*` or style attribute holding a marker, an `srcdoc`, or a
  `javascript:`, `vbscript:` or `data:text/html` URL;
- policy: a `securitypolicyviolation` event (escaped text never causes one, and
  normal use causes none: test_csp_browser.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, Page

from helpline.tests.security.browser import Watch
from helpline.tests.security.payloads import Payload

MARKER = re.compile(r"q(\d+)z", re.IGNORECASE)


@dataclass(frozen=True)
class Origin:
    payload: str
    channel: str
    field: str


@dataclass
class Markers:
    """Hands out one marker per (payload, channel, field) and remembers which."""

    origins: dict[int, Origin] = field(default_factory=dict)

    def __call__(self, payload: Payload, channel: str, field_name: str) -> str:
        number = len(self.origins) + 1
        self.origins[number] = Origin(payload.key, channel, field_name)
        return payload(f"q{number}z")

    def origin_of(self, text: str) -> list[Origin]:
        return [self.origins[int(n)] for n in MARKER.findall(text or "") if int(n) in self.origins]


# Finds what escaped text cannot have made. Returns [kind, snippet] pairs.
_SCAN = r"""
() => {
  const hits = [];
  const marker = /q\d+z/i;
  const badUrl = /^(javascript|vbscript|data:text\/html)/i;
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data',
    'background', 'poster']);
  // The one htmx attribute our templates set: the CSRF token (random letters and
  // digits, which can look like a marker).
  const ours = (el, name) => el.localName === 'body' && name === 'hx-headers';
  const scan = (doc) => {
    for (const el of doc.querySelectorAll('*')) {
      const snippet = () => el.outerHTML.slice(0, 300);
      if (el.localName.includes('xss')) hits.push(['element', snippet()]);
      if (el.localName === 'script' && el.type !== 'application/json' && marker.test(el.text)) {
        hits.push(['script', snippet()]);
      }
      for (const a of el.attributes) {
        const name = a.name.toLowerCase();
        const value = a.value;
        const url = value.replace(/[\u0000-\u0020]/g, '');
        if (name.includes('xss')) hits.push(['attribute ' + name, snippet()]);
        else if (name.startsWith('on')) hits.push(['handler ' + name, snippet()]);
        else if (/^(data-)?hx-/.test(name) && marker.test(value) && !ours(el, name)) {
          hits.push(['htmx ' + name, snippet()]);
        }
        else if (name === 'style' && marker.test(value)) hits.push(['style', snippet()]);
        else if (urlAttrs.has(name) && badUrl.test(url)) hits.push(['url ' + name, snippet()]);
        else if (name === 'srcdoc') hits.push(['srcdoc', snippet()]);
      }
    }
    for (const frame of doc.querySelectorAll('iframe')) {
      try { if (frame.contentDocument) scan(frame.contentDocument); } catch (e) {}
    }
  };
  scan(document);
  // Which markers the page shows at all (escaped text, attribute values), for the
  // figures: a payload that never reaches a page tests nothing.
  const shown = [...new Set(document.documentElement.outerHTML.match(/q\d+z/gi) || [])];
  return {hits, shown};
}
"""


@dataclass
class Finding:
    witness: str  # "ran", "injected", "policy"
    page: str
    detail: str
    origins: list[Origin]


@dataclass
class Detector:
    """A browser context under watch; `visit` a page, `findings` at the end."""

    markers: Markers
    watch: Watch = field(default_factory=Watch)
    ran: list[tuple[str, str]] = field(default_factory=list)
    injected: list[tuple[str, str, str]] = field(default_factory=list)
    pages: Counter[str] = field(default_factory=Counter)  # loads by kind of page
    shown: dict[str, set[int]] = field(default_factory=dict)  # markers seen, by kind

    def attach(self, context: BrowserContext) -> None:
        def record(source: dict[str, Any], marker: object) -> None:
            frame = source.get("frame")
            self.ran.append((getattr(frame, "url", "?"), str(marker)))

        # No context.route() here: routing turns Chromium's HTTP cache off, and the
        # sweep's thousand page loads would fetch every script and stylesheet again.
        # The host the payloads name (xss.invalid) fails without a lookup: the
        # browser resolves no name but localhost (helpline/conftest.py).
        context.expose_binding("__xss", record)
        context.expose_binding("__XSS", record)
        self.watch.attach(context)

    def scan(self, page: Page, name: str) -> None:
        """Look for injected markup on the page as it is now; `name` groups pages
        for the figures (e.g. "desk ticket")."""
        self.pages[name] += 1
        result = page.evaluate(_SCAN)
        for kind, snippet in result["hits"]:
            self.injected.append((page.url, kind, snippet))
        seen = self.shown.setdefault(name, set())
        for marker in result["shown"]:
            seen.add(int(marker[1:-1]))

    @property
    def loads(self) -> int:
        return sum(self.pages.values())

    def visit(self, page: Page, url: str, name: str) -> None:
        response = page.goto(url, wait_until="domcontentloaded")
        assert response is not None and response.status < 500, (url, response and response.status)
        self.scan(page, name)

    def findings(self) -> Iterator[Finding]:
        for url, marker in self.ran:
            yield Finding("ran", url, marker, self.markers.origin_of(marker))
        for url, kind, snippet in self.injected:
            yield Finding("injected", url, f"{kind}: {snippet}", self.markers.origin_of(snippet))
        for report in self.watch.violations:
            text = f"{report['directive']} {report['blocked']} {report['sample']}"
            yield Finding("policy", report["page"], text, self.markers.origin_of(text))
