"""The Content-Security-Policy in a real Chromium: every page a customer, an agent
or an administrator uses, used as they use it (forms sent, htmx filters, tabs,
Chart.js reports, the admin's calendar and pop-ups, the API docs), and not one
violation reported. A violation in normal use means a page needs something the
policy refuses; it would also hide a real injection among false alarms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.accounts.models import Agent, Customer, User
from helpline.intake.ingest import ingest_message
from helpline.intake.models import QuarantinedMessage
from helpline.tests.security.browser import Watch, csp_header, sign_in
from helpline.tickets import lifecycle
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.links import rating_path
from helpline.tickets.models import Event, EventKind, Priority, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "csp"


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[BrowserContext, Watch]]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    watch = Watch()
    watch.attach(context)
    yield context, watch
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def agent(username: str) -> Agent:
    return Agent.objects.select_related("user").get(user__username=username)


def test_the_portal_in_normal_use_breaks_no_rule(
    live_server, watched: tuple[BrowserContext, Watch]
) -> None:
    context, watch = watched
    load_demo()
    base = live_server.url
    page = context.new_page()

    page.goto(f"{base}/")
    page.get_by_role("link", name="Open a New Ticket").first.click()
    page.get_by_label("Full name").fill("Rita Reader")
    page.get_by_label("Email address").fill("rita@example.com")
    page.get_by_label("Help topic").select_option(label="Critical Business Issue")
    # topic-fields.js shows the chosen topic's own questions.
    expect(page.locator("fieldset[data-topic]:visible")).to_have_count(1)
    page.get_by_label("Who is affected?").select_option("Whole company")
    page.get_by_label("Subject").fill("The shop is down")
    page.get_by_label("Describe the problem").fill("Nothing loads since nine.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    page.get_by_role("link", name="View your ticket").click()
    page.get_by_label("Your reply").fill("Still down.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Still down.")).to_be_visible()

    page.goto(f"{base}/status/")
    page.get_by_label("Email address").fill("rita@example.com")
    page.get_by_label("Ticket number").fill(Ticket.objects.get(subject="The shop is down").number)
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("status")).to_contain_text("If that ticket exists, we sent a link")
    page.goto(f"{base}/register/")
    page.goto(f"{base}/no-such-page/")

    page.goto(f"{base}/login/")
    page.get_by_label("Email address").fill("ken@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    page.locator("a[href^='/tickets/']").first.click()
    expect(page.get_by_role("heading", name="Reply")).to_be_visible()
    shot(page, "portal-ticket")

    # The rating page from the resolution mail.
    ken = Customer.objects.get(email="ken@example.com")
    ticket = Ticket.objects.filter(customer=ken).first()
    assert ticket is not None
    lifecycle.resolve(ticket, actor=agent("jane.doe"), explanation_html="<p>Fixed it.</p>")
    event = Event.objects.filter(ticket=ticket, kind=EventKind.RESOLVED).latest("id")
    page.goto(base + rating_path(event))
    page.locator("label[for=rate-score-good]").click()
    page.get_by_label("Anything you would like to tell us?").fill("Quick, thanks.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    watch.assert_clean(page)
    assert not watch.errors


def test_the_desk_in_normal_use_breaks_no_rule(
    live_server, watched: tuple[BrowserContext, Watch]
) -> None:
    context, watch = watched
    load_demo()
    Ticket.objects.filter(subject__startswith="Order system").update(
        priority=Priority.objects.get(name="Emergency")
    )
    base = live_server.url
    page = context.new_page()

    page.goto(f"{base}/desk/login/")
    page.get_by_label("Username").fill("jane.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open", exact=True)).to_be_visible()

    def assert_red_dot() -> None:
        """The Emergency row's priority dot turns red (htmx paints swapped-in rows
        when it settles them, a moment after the swap: hence a wait)."""
        page.wait_for_function(
            """() => {
              const row = [...document.querySelectorAll('#queue tr')]
                .find(r => r.textContent.includes('Order system down'));
              const dot = row && row.querySelector('.prio');
              return dot && getComputedStyle(dot, '::before').backgroundColor
                === 'rgb(220, 38, 38)';
            }""",
            timeout=5000,
        )

    # The priority colour arrives through the CSSOM (helpline.js), not a style
    # attribute: on the page as served and on rows htmx swaps in.
    assert_red_dot()
    page.locator("#f-priority").select_option(label="Emergency")
    expect(page).to_have_url(re.compile(r"priority="))
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    assert_red_dot()
    shot(page, "desk-queue")

    page.get_by_role("link", name="Order system down in every store").click()
    # Painted by the deferred script once the page has loaded: waited for, since the
    # dot is in the page before the script runs (CI once read it grey in between).
    page.wait_for_function(
        """() => {
          const dot = document.querySelector('.page-head .prio');
          return dot && getComputedStyle(dot, '::before').backgroundColor
            === 'rgb(220, 38, 38)';
        }""",
        timeout=5000,
    )
    page.get_by_role("tab", name="Internal note").click()
    page.get_by_label("Internal note (agents only)").fill("Checking the order servers.")
    page.get_by_role("button", name="Add internal note").click()
    expect(page.get_by_text("Checking the order servers.")).to_be_visible()
    page.wait_for_load_state()  # the new page's editor is in place (editor.js)
    page.get_by_label("Reply to the customer").fill("We are on it.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("We are on it.")).to_be_visible()
    shot(page, "desk-ticket")

    page.get_by_role("link", name="New ticket").first.click()
    expect(page.get_by_role("heading", name="New ticket")).to_be_visible()

    # Reports: Chart.js draws from the page's JSON; a new grouping redraws.
    page.get_by_role("link", name="Reports").click()
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length")
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].some(c => window.Chart.getChart(c))"
    )
    page.get_by_label("Group by").select_option(index=1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].some(c => window.Chart.getChart(c))"
    )
    shot(page, "desk-reports")

    page.goto(f"{base}/desk/tickets/999999/")  # 404
    page.goto(f"{base}/desk/")
    page.get_by_role("button", name="Sign out").click()
    watch.assert_clean(page)
    assert not watch.errors


def _admin_pages(user: User) -> list[str]:
    """Every model's list, add and change page (of its first object)."""
    request = RequestFactory().get("/admin/")
    request.user = user
    paths = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    return paths


def test_the_admin_in_normal_use_breaks_no_rule(
    live_server, watched: tuple[BrowserContext, Watch]
) -> None:
    context, watch = watched
    load_demo()
    # A quarantined message, whose admin page shows the source.
    ingest_message(b"Subject: not really mail\r\n\r\n" + b"x" * 300, channel="pipe")
    assert QuarantinedMessage.objects.exists()
    base = live_server.url
    jane = agent("jane.doe").user
    sign_in(context, base, jane)
    page = context.new_page()

    pages = _admin_pages(jane)
    assert len(pages) > 40
    for path in pages:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
    shot(page, "admin-last")

    # A changelist action, the calendar of a date field, and the "add another"
    # pop-up whose answer page (popup_response.html) updates the opener.
    page.goto(f"{base}/admin/accounts/customer/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("delete_selected")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Delete multiple objects")).to_be_visible()

    page.goto(f"{base}/admin/api/agenttoken/add/")
    page.locator(".datetimeshortcuts a", has_text="Today").first.click()
    page.locator(".datetimeshortcuts .date-icon").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".calendarbox").first).to_be_hidden()
    page.locator(".datetimeshortcuts .clock-icon").first.click()
    expect(page.locator(".clockbox").first).to_be_visible()

    # The two-list selector (filter_horizontal), drawn by the admin's script.
    page.goto(f"{base}/admin/accounts/team/add/")
    page.locator(".selector-chooseall").first.click()
    expect(page.locator(".selector-chosen select option").first).to_be_attached()

    page.goto(f"{base}/admin/tickets/helptopic/add/")
    with page.expect_popup() as popup_info:
        page.locator("#add_id_department").click()
    popup = popup_info.value
    popup.get_by_label("Name").fill("Facilities")
    popup.get_by_role("button", name="Save", exact=True).click()
    popup.wait_for_event("close")
    expect(page.locator("#id_department option:checked")).to_have_text("Facilities")

    page.goto(
        f"{base}/admin/intake/quarantinedmessage/{QuarantinedMessage.objects.get().pk}/change/"
    )
    assert page.locator("pre.raw-message").evaluate("el => getComputedStyle(el).whiteSpace") == (
        "pre-wrap"
    )
    shot(page, "admin-quarantine")
    watch.assert_clean(page)
    assert not watch.errors


def test_the_api_docs_work_under_the_policy(
    live_server, watched: tuple[BrowserContext, Watch]
) -> None:
    """ninja's bundled Swagger UI: its script, styles and the schema it fetches are
    all our own origin, so the docs need no exception to the policy."""
    context, watch = watched
    page = context.new_page()
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary", has_text="Download an attachment").first.click()
    expect(page.get_by_text("The file, as a download.")).to_be_visible()
    expect(page.locator(".errors-wrapper")).to_have_count(0)
    shot(page, "api-docs")
    watch.assert_clean(page)
    assert not watch.errors


def test_the_watch_hears_what_the_policy_refuses(
    live_server, watched: tuple[BrowserContext, Watch]
) -> None:
    """Positive control: a page under our policy with an inline script, a style
    attribute and a remote image makes the watch report all three, so the clean
    runs above are not a deaf watch."""
    context, watch = watched
    page = context.new_page()
    url = f"{live_server.url}/csp-control"
    page.route(
        url,
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", **csp_header()},
            body="<p style='color:red'>x</p><script>document.title='ran'</script>"
            "<img src='http://192.0.2.1/pixel.gif'>",
        ),
    )
    page.goto(url)
    page.wait_for_timeout(200)
    watch.settle(page)
    assert page.title() != "ran"
    directives = sorted(v["directive"] for v in watch.violations)
    assert directives == ["img-src", "script-src-elem", "style-src-attr"], watch.violations
    assert len(watch.console) >= 3
    # Any other console error is heard too (a script's own, a failed fetch).
    heard = len(watch.console)
    page.evaluate("() => console.error('a script failed')")
    watch.settle(page)
    assert any("a script failed" in line for line in watch.console[heard:])
