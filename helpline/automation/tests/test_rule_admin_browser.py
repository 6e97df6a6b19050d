"""The routing rule page in a real Chromium: each condition and action line shows
only the control it needs (rule_admin.js), on load, when its select changes and on
rows added with "Add another …"; a refused rule shows each message next to a
visible control; the page fits the screen; without JavaScript every control is
there and the form still saves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.automation.models import TARGET_COLUMNS, TARGET_OF, Kind, Rule
from helpline.tickets.demo import DEMO_PASSWORD, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "automation"
ADD_PATH = "/admin/automation/rule/add/"
# What the shared "reason or email" box is called once its kind is chosen.
VALUE_LABELS: dict[str, str] = {
    Kind.REJECT: "Reason:",
    Kind.ADD_COLLABORATOR: "Collaborator email:",
}


def sign_in(context: BrowserContext, base: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/desk/login/")
    page.get_by_label("Username").fill("jane.doe")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Open", exact=True)).to_be_visible()
    return page


@pytest.fixture
def jane(live_server, browser: Browser) -> Iterator[Page]:
    load_demo(with_tickets=False)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = sign_in(context, live_server.url)
    page.goto(live_server.url + ADD_PATH)
    # The script ran (it marks the page), so what follows tests it, not the markup.
    expect(page.locator("html.rule-admin-js")).to_have_count(1)
    yield page
    context.close()


def expect_only_target(page: Page, row: int, kind: str) -> None:
    """Row `row` of the actions shows the target of `kind` and no other."""
    wanted = TARGET_OF.get(kind)
    for column in TARGET_COLUMNS:
        control = page.locator(f"#id_actions-{row}-{column}")
        if column == wanted:
            expect(control).to_be_visible()
            expect(control).to_be_enabled()
        else:
            expect(control).to_be_hidden()
    if wanted == "value":
        label = page.locator(f"label[for=id_actions-{row}-value]")
        expect(label).to_have_text(VALUE_LABELS[kind])
    expect(page.locator(f"#id_actions-{row}-kind")).to_be_visible()


def check_every_kind(page: Page, row: int) -> None:
    expect_only_target(page, row, "")  # a new row: no kind, no target yet
    for kind in Kind:
        page.locator(f"#id_actions-{row}-kind").select_option(kind.value)
        expect_only_target(page, row, kind)
        # An email box for an address (the phone's keyboard has an @), text otherwise.
        box_type = "email" if kind == Kind.ADD_COLLABORATOR else "text"
        expect(page.locator(f"#id_actions-{row}-value")).to_have_attribute("type", box_type)


def no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"the page is {overflow[0]} px wide in {overflow[1]}"


# `assert_accessible_controls` fails on every Django admin page for the admin's own
# markup, outside these inlines: the sidebar's filter box and the "Save" inputs have
# no <label>, the sidebar toggle has only an aria-label. So the same rule (a visible
# control has a visible label, no id twice) is checked on the inlines this page adds.
_INLINE_PROBLEMS_JS = """
() => {
  const visible = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const problems = [];
  const groups = document.querySelectorAll('#conditions-group, #actions-group');
  for (const group of groups) {
    for (const el of group.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || !visible(el)) continue;
      const labels = Array.from(el.labels || []).filter(l => visible(l) && l.innerText.trim());
      if (!labels.length) problems.push(`${el.name} has no visible label`);
    }
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) {
    if (n > 1) problems.push(`id ${id} is used ${n} times`);
  }
  return [groups.length, problems];
}
"""


def inline_controls_are_labelled(page: Page) -> None:
    groups, problems = page.evaluate(_INLINE_PROBLEMS_JS)
    assert groups == 2 and not problems, problems


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky sidebar lands mid-page
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_each_action_kind_shows_exactly_its_control(jane: Page) -> None:
    check_every_kind(jane, 0)
    # A row added with "Add another action" behaves the same, and leaves row 0 alone.
    jane.locator("#id_actions-0-kind").select_option(label="Set SLA plan")
    jane.get_by_role("button", name="Add another action").click()
    check_every_kind(jane, 1)
    expect_only_target(jane, 0, Kind.SET_SLA)


def test_the_topic_field_key_shows_only_for_a_help_topic_field(jane: Page) -> None:
    key = jane.locator("#id_conditions-0-extra_key")
    expect(jane.locator("#id_conditions-0-field")).to_be_visible()
    expect(key).to_be_hidden()
    jane.locator("#id_conditions-0-field").select_option(label="Help topic field")
    expect(key).to_be_visible()
    expect(jane.locator("label[for=id_conditions-0-extra_key]")).to_have_text("Topic field key:")
    jane.locator("#id_conditions-0-field").select_option(label="Subject")
    expect(key).to_be_hidden()
    jane.get_by_role("button", name="Add another condition").click()
    expect(jane.locator("#id_conditions-1-operator")).to_be_visible()
    expect(jane.locator("#id_conditions-1-extra_key")).to_be_hidden()
    jane.locator("#id_conditions-1-field").select_option(label="Help topic field")
    expect(jane.locator("#id_conditions-1-extra_key")).to_be_visible()
    expect(key).to_be_hidden()


def test_a_missing_target_is_shown_on_its_row_next_to_its_control(jane: Page) -> None:
    jane.locator("#id_name").fill("Outages to IT")
    jane.locator("#id_conditions-0-field").select_option(label="Subject")
    jane.locator("#id_conditions-0-value").fill("outage")
    jane.locator("#id_actions-0-kind").select_option(label="Set department")
    jane.locator("#id_actions-0-department").select_option(label="IT Operations")
    jane.get_by_role("button", name="Add another action").click()
    jane.locator("#id_actions-1-kind").select_option(label="Assign to team")
    jane.locator("input[name=_save]").click()

    expect(jane.locator(".errornote")).to_be_visible()
    assert not Rule.objects.exists()
    # The message sits in row 1, by the team select, which is visible; row 0 is intact.
    team_box = jane.locator("#actions-1 .fieldBox.field-team")
    expect(team_box).to_be_visible()
    expect(team_box.locator(".errorlist")).to_have_text("Choose the team.")
    expect_only_target(jane, 1, Kind.ASSIGN_TEAM)
    expect_only_target(jane, 0, Kind.SET_DEPARTMENT)
    expect(jane.locator("#id_actions-0-department option:checked")).to_have_text("IT Operations")
    expect(jane.locator("#actions-0 .errorlist")).to_have_count(0)
    no_horizontal_overflow(jane)
    inline_controls_are_labelled(jane)
    shot(jane, "rule-admin-error")

    # Fixed, it saves.
    jane.locator("#id_actions-1-team").select_option(label="Level II Support")
    jane.locator("input[name=_save]").click()
    expect(jane.locator("ul.messagelist li.success")).to_be_visible()
    rule = Rule.objects.get()
    assert [(a.kind, a.target_label()) for a in rule.actions.all()] == [
        (Kind.SET_DEPARTMENT, "IT Operations"),
        (Kind.ASSIGN_TEAM, "Level II Support"),
    ]


def test_a_target_hidden_by_a_change_of_kind_is_not_saved(jane: Page) -> None:
    jane.locator("#id_name").fill("Changed my mind")
    jane.locator("#id_conditions-0-field").select_option(label="Subject")
    jane.locator("#id_conditions-0-value").fill("x")
    jane.locator("#id_conditions-0-field").select_option(label="Help topic field")
    jane.locator("#id_conditions-0-extra_key").fill("asset_tag")
    jane.locator("#id_conditions-0-field").select_option(label="Subject")
    jane.locator("#id_actions-0-kind").select_option(label="Set department")
    jane.locator("#id_actions-0-department").select_option(label="Support")
    jane.locator("#id_actions-0-kind").select_option(label="Stop processing further rules")
    jane.locator("input[name=_save]").click()
    expect(jane.locator("ul.messagelist li.success")).to_be_visible()
    rule = Rule.objects.get()
    action = rule.actions.get()
    assert (action.kind, action.department_id) == (Kind.STOP, None)
    assert rule.conditions.get().extra_key == ""


def test_the_page_fits_the_screen_and_every_control_is_labelled(jane: Page) -> None:
    # A realistic rule: a condition on a topic field, three kinds of action.
    jane.locator("#id_name").fill("Outages are critical")
    jane.locator("#id_conditions-0-field").select_option(label="Help topic field")
    jane.locator("#id_conditions-0-extra_key").fill("asset_tag")
    jane.locator("#id_conditions-0-operator").select_option(
        label="is one of (comma or line separated)"
    )
    jane.locator("#id_conditions-0-value").fill("SRV-1, SRV-2")
    jane.get_by_role("button", name="Add another condition").click()
    jane.locator("#id_conditions-1-field").select_option(label="Subject")
    jane.locator("#id_conditions-1-value").fill("outage")
    jane.locator("#id_actions-0-kind").select_option(label="Set SLA plan")
    jane.locator("#id_actions-0-sla").select_option(label="Critical 24/7 (1 h)")
    for row, kind in (
        (1, "Add collaborator"),
        (2, "Reject the ticket"),
        (3, "Stop processing further rules"),
    ):
        jane.get_by_role("button", name="Add another action").click()
        jane.locator(f"#id_actions-{row}-kind").select_option(label=kind)
    jane.locator("#id_actions-1-value").fill("oncall@example.com")
    no_horizontal_overflow(jane)
    inline_controls_are_labelled(jane)
    shot(jane, "rule-admin")

    jane.set_viewport_size({"width": 390, "height": 844})
    no_horizontal_overflow(jane)
    shot(jane, "rule-admin-mobile")


def test_without_javascript_every_control_is_there_and_the_form_saves(
    live_server, browser: Browser
) -> None:
    load_demo(with_tickets=False)
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    # The admin's sign-in is the desk's (a plain form), which comes back here.
    page.goto(f"{live_server.url}/admin/login/?next={ADD_PATH}")
    page.locator("#id_username").fill("jane.doe")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form:not(.language-choice) button[type=submit]").click()
    expect(page.locator("#id_name")).to_be_visible()
    for column in TARGET_COLUMNS:
        expect(page.locator(f"#id_actions-0-{column}")).to_be_visible()
    expect(page.locator("#id_conditions-0-extra_key")).to_be_visible()
    page.locator("#id_name").fill("No script")
    page.locator("#id_conditions-0-field").select_option(label="Subject")
    page.locator("#id_conditions-0-value").fill("x")
    page.locator("#id_actions-0-kind").select_option(label="Add collaborator")
    page.locator("#id_actions-0-value").fill("boss@example.com")
    page.locator("input[name=_save]").click()
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    assert Rule.objects.get().actions.get().value == "boss@example.com"
    context.close()
