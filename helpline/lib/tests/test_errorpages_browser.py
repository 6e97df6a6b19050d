"""The error pages and the lockout page as a person sees them, in a real Chromium:
a desk form's address opened by hand, the portal's, the admin for an agent who is
no administrator, and signing in after too many failures (desk and portal), with
the way out (password reset) one click away. Screenshots go to
test-artifacts/errors/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpline.conftest import PASSWORD, World
from helpline.tests.a11y import assert_accessible_controls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "errors"


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def desk_sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/desk/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_405_and_the_admins_403_are_pages_with_a_way_back(page: Page, world: World) -> None:
    answer = page.goto("/logout/")
    assert answer is not None and answer.status == 405
    expect(page.get_by_role("heading", name="This page cannot be opened this way")).to_be_visible()
    shot(page, "portal-405")

    desk_sign_in(page, "alice.agent")
    expect(page).to_have_url("/desk/")
    answer = page.goto("/desk/two-factor/start/")
    assert answer is not None and answer.status == 405
    shot(page, "desk-405")
    page.get_by_role("link", name="Back to the desk").click()
    expect(page).to_have_url("/desk/")

    answer = page.goto("/admin/")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("not an administrator")
    shot(page, "admin-403-agent")
    page.get_by_role("link", name="Back to the desk").click()
    expect(page).to_have_url("/desk/")


@pytest.mark.parametrize(
    ("side", "login", "user_label", "who", "reset"),
    [
        ("desk", "/desk/login/", "Username", "alice.agent", "/desk/password/reset/"),
        ("portal", "/login/", "Email address", "ken@example.com", "/password/reset/"),
    ],
)
def test_the_lockout_page_says_how_long_and_leads_to_a_reset(
    page: Page,
    world: World,
    settings: Any,
    side: str,
    login: str,
    user_label: str,
    who: str,
    reset: str,
) -> None:
    for password in ["wrong"] * settings.AXES_FAILURE_LIMIT + [PASSWORD]:
        page.goto(login)
        page.get_by_label(user_label).fill(who)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Signing in is paused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("You can try again in 15 minutes.")
    shot(page, f"{side}-lockout")
    page.get_by_role("link", name="Reset your password").click()
    expect(page).to_have_url(reset)


def test_a_form_from_a_tab_opened_before_signing_in_again_keeps_what_was_typed(
    page: Page, world: World
) -> None:
    desk_sign_in(page, "alice.agent")
    page.goto("/desk/tickets/new/")
    # Another tab signs out and in again: the form's CSRF token is now stale.
    other = page.context.new_page()
    other.goto("/desk/")
    other.get_by_role("button", name="Sign out").click()
    desk_sign_in(other, "alice.agent")
    expect(other).to_have_url("/desk/")
    other.close()

    page.locator("#id_body").fill("Line one\n<b>not bold</b>")
    with page.expect_navigation() as sent:
        page.locator("#id_body").evaluate("area => area.form.submit()")

    answer = sent.value
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", name="This form had expired")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(page.get_by_label("What you typed")).to_have_value("Line one\n<b>not bold</b>")
    shot(page, "desk-csrf-expired")
    page.get_by_role("link", name="Back to the page the form was on").click()
    expect(page).to_have_url("/desk/tickets/new/")


def test_send_reply_after_the_session_ended_lands_on_the_ticket_after_signing_in(
    page: Page, world: World, settings: Any
) -> None:
    number = world.open().number
    desk_sign_in(page, "alice.agent")
    page.goto(f"/desk/tickets/{number}/")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # the session ended
    page.get_by_label("Reply to the customer").fill("Fixed.")
    page.get_by_role("button", name="Send reply").click()
    expect(page).to_have_url(f"/desk/login/?next=/desk/tickets/{number}/reply/")

    page.get_by_label("Username").fill("alice.agent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"/desk/tickets/{number}/")
    expect(page.get_by_role("button", name="Send reply")).to_be_visible()
    shot(page, "desk-signin-next-reply")


def test_the_jump_box_to_a_ticket_the_agent_cannot_see_gets_the_desk_page(
    page: Page, world: World
) -> None:
    theirs = world.open(topic=world.sales_topic).number  # Sales; Alice is in Support
    desk_sign_in(page, "alice.agent")
    # The header's search box: a number Alice cannot open finds nothing, the same
    # as a number that does not exist; the ticket's address is the desk's 404.
    box = page.get_by_role("searchbox", name="Search")
    box.fill(theirs)
    box.press("Enter")
    expect(page.get_by_text("No ticket you can see matches this search.")).to_be_visible()
    with page.expect_navigation() as went:
        page.goto(f"/desk/tickets/{theirs}/")

    answer = went.value
    assert answer is not None and answer.status == 404
    expect(
        page.get_by_text(f"No ticket #{theirs}, or it is not in your departments.")
    ).to_be_visible()
    expect(page.get_by_role("navigation", name="Desk")).to_be_visible()
    shot(page, "desk-404-ticket")
    page.goto("/desk/no-such-page/")
    expect(page.get_by_text("There is no such page on the desk.")).to_be_visible()
    shot(page, "desk-404")


def test_a_portal_form_without_its_token_says_so_in_the_portals_style(
    page: Page, world: World, settings: Any
) -> None:
    page.goto("/open/")
    # Nothing still loading may set the cookie again after it is cleared (CI once
    # saw a late answer do that: the post then went through).
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)  # as if expired
    page.get_by_label("Describe the problem").fill("The printer\n<i>smokes</i>")
    with page.expect_navigation() as sent:
        page.get_by_label("Describe the problem").evaluate("area => area.form.submit()")

    answer = sent.value
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("navigation", name="Help desk")).to_be_visible()
    expect(page.get_by_label("What you typed")).to_have_value("The printer\n<i>smokes</i>")
    shot(page, "portal-csrf-expired")
    page.get_by_role("link", name="Back to the page the form was on").click()
    expect(page).to_have_url("/open/")
