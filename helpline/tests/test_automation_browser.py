"""Automation end to end in a real Chromium: Jane Doe (administrator) sets up an
escalation policy and a routing rule in the admin; Ken reports an outage on the
portal; the rule routes it to John Doe on the Critical 24/7 plan; the clock passes
the resolution target; the SLA sweep, run by the worker, marks it overdue and
escalates it to the Level II team, whose round robin hands it to Mia Chen. The
timeline shows each step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect

from helpline.automation.tasks import sweep_sla
from helpline.sla.models import EscalationPolicy
from helpline.tests.a11y import assert_accessible_controls
from helpline.tickets.demo import DEMO_PASSWORD, load_demo
from helpline.tickets.models import EventKind, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "automation"


@pytest.fixture
def people(browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    contexts = {who: browser.new_context() for who in ("ken", "jane")}
    for context in contexts.values():
        context.set_default_timeout(10_000)
    yield contexts
    for context in contexts.values():
        context.close()


def shot(page: Page, name: str, *, check: bool = True) -> None:
    if check:
        assert_accessible_controls(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def admin_saved(page: Page) -> None:
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.locator("ul.messagelist li.success")).to_be_visible()


def test_a_rule_routes_a_ticket_that_goes_overdue_and_escalates_to_level_ii(
    live_server, people: dict[str, BrowserContext]
) -> None:
    base = live_server.url
    load_demo(with_tickets=False)
    ken, jane = people["ken"].new_page(), people["jane"].new_page()

    # Jane signs in to the desk, then configures automation in the admin.
    jane.goto(f"{base}/desk/login/")
    jane.get_by_label("Username").fill("jane.doe")
    jane.get_by_label("Password").fill(DEMO_PASSWORD)
    jane.get_by_role("button", name="Sign in").click()
    expect(jane.get_by_role("heading", name="Open", exact=True)).to_be_visible()

    # 1. An escalation policy: when the resolution target passes, Level II takes over.
    jane.goto(f"{base}/admin/sla/escalationpolicy/add/")
    jane.locator("#id_name").fill("Outage escalation")
    jane.locator("#id_levels-0-order").fill("1")
    jane.locator("#id_levels-0-name").fill("Level II")
    jane.locator("#id_levels-0-target").select_option(label="Resolution")
    jane.locator("#id_levels-0-trigger").select_option(label="Minutes after the target passed")
    jane.locator("#id_levels-0-minutes").fill("0")
    jane.locator("#id_levels-0-assign_team").select_option(label="Level II Support")
    jane.locator("#id_levels-0-raise_priority_to").select_option(label="Emergency")
    shot(jane, "01-admin-escalation-policy", check=False)
    jane.locator("input[name=_save]").click()
    admin_saved(jane)
    policy = EscalationPolicy.objects.get(name="Outage escalation")

    # The Critical 24/7 plan escalates by it.
    jane.goto(f"{base}/admin/sla/slaplan/")
    jane.get_by_role("link", name="Critical 24/7").click()
    jane.locator("#id_escalation_policy").select_option(label="Outage escalation")
    jane.locator("input[name=_save]").click()
    admin_saved(jane)

    # 2. A routing rule: portal tickets about an outage go to John Doe on that plan.
    jane.goto(f"{base}/admin/automation/rule/add/")
    jane.locator("#id_name").fill("Outages are critical")
    jane.locator("#id_conditions-0-field").select_option(label="Subject")
    jane.locator("#id_conditions-0-operator").select_option(label="contains")
    jane.locator("#id_conditions-0-value").fill("outage")
    jane.locator("#id_actions-0-kind").select_option(label="Set SLA plan")
    jane.locator("#id_actions-0-sla").select_option(label="Critical 24/7 (1 h)")
    # Save and keep editing: the page comes back with an empty row for the next action.
    jane.locator("input[name=_continue]").click()
    admin_saved(jane)
    jane.locator("#id_actions-1-kind").select_option(label="Assign to agent")
    jane.locator("#id_actions-1-agent").select_option(label="John Doe")
    shot(jane, "02-admin-routing-rule", check=False)
    jane.locator("input[name=_save]").click()
    admin_saved(jane)

    # 3. Ken reports the outage on the portal, under a general topic.
    ken.goto(base + "/")
    ken.get_by_role("link", name="Open a New Ticket").first.click()
    ken.get_by_label("Full name").fill("Ken Adams")
    ken.get_by_label("Email address").fill("ken@example.com")
    ken.get_by_label("Help topic").select_option(label="General Inquiry")
    ken.get_by_label("Subject").fill("Outage: the order system is down")
    ken.get_by_label("Describe the problem").fill("No store can enter orders.")
    ken.get_by_role("button", name="Open ticket").click()
    number = ken.locator(".ticket-number").inner_text().strip()
    ticket = Ticket.objects.get(number=number)
    assert ticket.sla is not None and ticket.sla.escalation_policy == policy

    # Routed: John Doe has it, on Critical 24/7, due in an hour.
    jane.goto(f"{base}/desk/tickets/{number}/")
    timeline = jane.get_by_test_id("timeline")
    expect(timeline).to_contain_text("applied the routing rule Outages are critical")
    expect(jane.get_by_test_id("assignee")).to_have_text("John Doe")
    sla = jane.get_by_test_id("sla")
    expect(sla).to_contain_text("Critical 24/7")
    expect(jane.get_by_test_id("sla-resolution")).to_contain_text("left")
    shot(jane, "03-desk-routed")

    # 4. The clock passes the resolution target; the worker runs the SLA sweep.
    assert ticket.due_at is not None
    with time_machine.travel(ticket.due_at + timedelta(minutes=2), tick=True):
        sweep_sla.enqueue()
        call_command("db_worker", batch=True, startup_delay=False)

        jane.reload()
        expect(timeline).to_contain_text("System marked the ticket overdue")
        expect(timeline).to_contain_text("escalated the ticket to Level II")
        expect(timeline).to_contain_text("assigned the team Level II Support")
        expect(timeline).to_contain_text("released John Doe")
        expect(jane.get_by_test_id("assignee")).to_have_text("Mia Chen")
        expect(jane.get_by_test_id("sla-resolution")).to_contain_text("Overdue by")
        expect(sla).to_contain_text("Level 1")
        expect(jane.locator(".badge-overdue").first).to_be_visible()
        shot(jane, "04-desk-overdue-escalated")

        # The dashboard's Overdue queue lists it.
        jane.goto(f"{base}/desk/")
        expect(jane.locator("a[data-queue=overdue] .count")).to_have_text("1")

    kinds = list(
        ticket.events.order_by("id").values_list(
            "kind", "field", "new_value", "agent__user__username"
        )
    )
    assert (EventKind.ROUTED, "rule", "Outages are critical", None) in kinds
    assert (EventKind.OVERDUE, "overdue", "True", None) in kinds
    assert (EventKind.ESCALATED, "escalation", "Level II", None) in kinds
    assert (EventKind.ASSIGNED, "agent", "Mia Chen", None) in kinds
    ticket.refresh_from_db()
    assert ticket.priority.name == "Emergency" and ticket.escalation_level == 1
