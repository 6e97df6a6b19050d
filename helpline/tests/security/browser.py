"""What the security browser tests share: a watch on a Chromium context that hears
every Content-Security-Policy violation (and, for the XSS sweep, every payload that
ran), and signing people in without typing passwords.

Violations are reported to Python the moment they happen, through a binding that
survives navigations, so a form post right after a violation cannot lose it.
Chromium's console message ("Refused to ...", "... violates the following Content
Security Policy directive") is a second, independent witness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.test import Client
from django.utils.csp import CSP, build_policy
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from helpline.accounts.models import User

# Runs in every frame before the page's own scripts (Playwright init script).
_LISTEN = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__helplineViolation({
    directive: e.effectiveDirective || e.violatedDirective,
    blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
    sample: e.sample, page: document.location.href,
  });
}, true);
"""


@dataclass
class Watch:
    violations: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.expose_binding(
            "__helplineViolation", lambda source, report: self.violations.append(report)
        )
        context.add_init_script(_LISTEN)
        context.on("page", self._page)
        for page in context.pages:
            self._page(page)

    def _page(self, page: Page) -> None:
        page.on("console", lambda message: self._console(message, page))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    def _console(self, message: ConsoleMessage, page: Page) -> None:
        # Every console error, not only the policy's: a page that works should say
        # nothing there (a failed fetch, a missing icon, a script's own error).
        # Only the status of the page itself is no error (a test opens a 404 page
        # on purpose; Chromium logs it as a failed load).
        url = message.location.get("url")
        own_status = url == page.url and message.text.startswith("Failed to load resource")
        if (
            "Content Security Policy" in message.text
            or "Refused to" in message.text
            or (message.type == "error" and not own_status)
        ):
            self.console.append(f"{url}: {message.text}")

    def settle(self, page: Page) -> None:
        """Let reports already sent by the page reach Python."""
        page.evaluate("() => new Promise(r => setTimeout(r, 50))")

    def assert_clean(self, page: Page | None = None) -> None:
        if page is not None:
            self.settle(page)
        assert not self.violations, self.violations
        assert not self.console, self.console


def csp_header() -> dict[str, str]:
    """Our policy as a header, for pages a test serves itself (positive controls)."""
    return {CSP.HEADER_ENFORCE: build_policy(cast(dict[str, list[str]], settings.SECURE_CSP))}


def sign_in(context: BrowserContext, base_url: str, user: User) -> None:
    """Give the browser a session for `user` (as a login would, minus the typing)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )
