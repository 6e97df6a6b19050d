"""Every portal page, opened by a German browser (Accept-Language: de, nothing
chosen on the site), shows no English: each page is a case of its own, so a
failure names the page and lists the English words with where they are
(helpline/tests/german.py says what counts as English and what is skipped)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from helpline.tests.german import assert_german, german_context
from helpline.tests.german_pages import PORTAL, PageCase, build, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("case", PORTAL, ids=str)
def test_the_portal_page_shows_no_english_to_a_german_browser(
    live_server, browser: Browser, case: PageCase
) -> None:
    demo = build()
    context = german_context(browser)
    try:
        page = open_page(context, live_server.url, demo, case)
        assert_german(page, f"the portal's {case.name} page")
    finally:
        context.close()


def test_the_next_page_takes_the_javascript_catalog_from_the_browsers_cache(
    live_server, browser: Browser
) -> None:
    """The catalog's URL names its language and version (helpline/lib/jscatalog.py),
    so a second page runs its scripts without fetching it again."""
    build()
    context = german_context(browser)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.goto(live_server.url + "/status/")
        entries = page.evaluate(
            """() => performance.getEntriesByType('resource')
                 .filter(e => e.name.includes('/i18n/'))
                 .map(e => [e.name, e.transferSize])"""
        )
        assert len(entries) == 1 and "/i18n/de/" in entries[0][0], entries
        assert entries[0][1] == 0, f"the catalog came over the network again: {entries}"
        # And the scripts still speak German (a counter under a bounded field).
        assert page.evaluate("() => gettext('%(left)s characters left')") == "Noch %(left)s Zeichen"
    finally:
        context.close()
