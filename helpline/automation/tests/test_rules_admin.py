"""Routing rules in the admin: what administrators may save, and how a bad rule is
refused with its message on the right row and field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.automation.models import Action, CannedReply, Condition, Kind, Rule
from helpline.automation.tests.test_rules import make_rule
from helpline.conftest import World
from helpline.intake.models import Mailbox
from helpline.tickets.models import Status, TopicField

ADD_URL = reverse("admin:automation_rule_add")


@pytest.fixture
def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin.user)
    return client


def form_data(
    conditions: Sequence[dict[str, Any]] = (),
    actions: Sequence[dict[str, Any]] = (),
    **rule: Any,
) -> dict[str, Any]:
    """The POST of the rule page: the rule's fields and both inline formsets."""
    data: dict[str, Any] = {
        "name": "A rule",
        "order": "100",
        "is_active": "on",
        "match": "all",
        "notes": "",
        "on_web": "on",
        "on_email": "on",
        "on_api": "on",
        "on_phone": "on",
        "on_walk_in": "on",
        "on_other": "on",
        "mailbox": "",
    }
    data.update(rule)
    data = {k: v for k, v in data.items() if v is not None}  # None: an unticked box
    for prefix, rows in (("conditions", conditions), ("actions", actions)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for n, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{n}-{key}"] = "" if value is None else str(value)
    return data


def errors_of(response: Any) -> dict[str, Any]:
    """The errors a refused page shows: the rule's, each condition row's and each
    action row's (as {field: [messages]}), and the action formset's own."""
    assert response.status_code == 200, "expected the form back with errors"
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    return {
        "rule": response.context["adminform"].form.errors,
        "conditions": [dict(e) for e in formsets["conditions"].errors],
        "actions": [dict(e) for e in formsets["actions"].errors],
        "actions_formset": list(formsets["actions"].non_form_errors()),
    }


def test_an_administrator_creates_a_rule_through_the_admin(
    admin_client: Client, world: World
) -> None:
    data = form_data(
        [{"field": "subject", "operator": "contains", "value": "invoice"}],
        [{"kind": "set_department", "department": world.sales.pk}],
        name="Invoices to sales",
        on_web=None,
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302, errors_of(response)
    rule = Rule.objects.get()
    assert rule.name == "Invoices to sales"
    assert rule.channels == ["email", "api", "phone", "walk_in", "other"]
    condition = rule.conditions.get()
    assert (condition.field, condition.operator, condition.value) == (
        "subject",
        "contains",
        "invoice",
    )
    assert rule.actions.get().department == world.sales


def test_the_page_has_human_labels(admin_client: Client) -> None:
    page = admin_client.get(ADD_URL).content.decode()
    for label in ("Field", "Operator", "Value", "Action", "Topic field key", "Reason or email"):
        assert f">{label}" in page, label
    assert "Customer email domain" in page
    assert "matches regular expression" in page
    listing = admin_client.get(reverse("admin:automation_rule_changelist")).content.decode()
    assert "Routing rules" in listing


def test_a_bad_regex_is_refused_on_its_row(admin_client: Client, world: World) -> None:
    data = form_data(
        [
            {"field": "subject", "operator": "contains", "value": "ok"},
            {"field": "subject", "operator": "regex", "value": "(unclosed"},
        ],
        [{"kind": "set_department", "department": world.sales.pk}],
    )
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["conditions"][0] == {}
    assert "This is not a valid regular expression" in errors["conditions"][1]["value"][0]
    assert not Rule.objects.exists()


def test_an_unknown_field_is_refused(admin_client: Client, world: World) -> None:
    data = form_data(
        [{"field": "shoe_size", "operator": "equals", "value": "42"}],
        [{"kind": "set_department", "department": world.sales.pk}],
    )
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert "Select a valid choice" in errors["conditions"][0]["field"][0]
    assert not Rule.objects.exists()


def test_an_unknown_topic_field_key_is_refused_with_the_known_ones(
    admin_client: Client, world: World
) -> None:
    TopicField.objects.create(topic=world.topic, key="asset_tag", label="Asset tag")
    actions = [{"kind": "set_department", "department": world.sales.pk}]
    bad = form_data(
        [{"field": "topic_field", "extra_key": "asset", "operator": "equals", "value": "1"}],
        actions,
    )
    errors = errors_of(admin_client.post(ADD_URL, bad))
    assert errors["conditions"][0]["extra_key"] == [
        "No help topic has a field with the key “asset” (known: asset_tag)."
    ]
    missing = form_data([{"field": "topic_field", "operator": "equals", "value": "1"}], actions)
    errors = errors_of(admin_client.post(ADD_URL, missing))
    assert "Name the help topic field" in errors["conditions"][0]["extra_key"][0]
    good = form_data(
        [{"field": "topic_field", "extra_key": "asset_tag", "operator": "equals", "value": "1"}],
        actions,
    )
    assert admin_client.post(ADD_URL, good).status_code == 302
    assert Rule.objects.get().conditions.get().extra_key == "asset_tag"


def test_an_empty_value_is_refused_except_for_equality(admin_client: Client, world: World) -> None:
    actions = [{"kind": "set_department", "department": world.sales.pk}]
    errors = errors_of(
        admin_client.post(
            ADD_URL,
            form_data([{"field": "subject", "operator": "contains", "value": " "}], actions),
        )
    )
    assert errors["conditions"][0]["value"] == ["Give a value to compare with."]
    ok = form_data([{"field": "topic", "operator": "equals", "value": ""}], actions)
    assert admin_client.post(ADD_URL, ok).status_code == 302


def test_two_different_set_department_actions_are_refused(
    admin_client: Client, world: World
) -> None:
    data = form_data(
        actions=[
            {"kind": "set_department", "department": world.sales.pk},
            {"kind": "set_department", "department": world.support.pk},
        ]
    )
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["actions"][0] == {}
    assert errors["actions"][1]["department"] == [
        "Two different “Set department” actions in one rule (“Sales” and “Support”); keep one."
    ]
    assert not Rule.objects.exists()


def test_reject_with_another_action_is_refused_but_not_with_stop(
    admin_client: Client, world: World
) -> None:
    data = form_data(
        actions=[
            {"kind": "reject", "value": "Spam"},
            {"kind": "stop"},
            {"kind": "assign_team", "team": world.team.pk},
        ]
    )
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["actions"][:2] == [{}, {}]
    assert errors["actions"][2]["kind"] == [
        "A rule that rejects the ticket cannot also “Assign to team”: a rejected ticket is "
        "never created."
    ]
    data = form_data(actions=[{"kind": "reject", "value": "Spam"}, {"kind": "stop"}])
    assert admin_client.post(ADD_URL, data).status_code == 302


def test_an_agent_without_access_to_the_department_the_rule_sets_is_refused(
    admin_client: Client, world: World
) -> None:
    data = form_data(
        actions=[
            {"kind": "set_department", "department": world.sales.pk},
            {"kind": "assign_agent", "agent": world.agent.pk},  # Alice works in Support
        ]
    )
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["actions"][1]["agent"] == [
        "Alice Agent has no access to the Sales department this rule sets; give them "
        "access or choose another agent."
    ]
    # The department of the help topic the rule sets counts too.
    via_topic = form_data(
        actions=[
            {"kind": "set_topic", "topic": world.sales_topic.pk},
            {"kind": "assign_agent", "agent": world.agent.pk},
        ]
    )
    assert (
        "has no access"
        in errors_of(admin_client.post(ADD_URL, via_topic))["actions"][1]["agent"][0]
    )
    fine = form_data(
        actions=[
            {"kind": "set_department", "department": world.sales.pk},
            {"kind": "assign_agent", "agent": world.other_agent.pk},
        ]
    )
    assert admin_client.post(ADD_URL, fine).status_code == 302


def test_a_closed_status_is_refused(admin_client: Client, world: World) -> None:
    resolved = Status.objects.get(name="Resolved")
    data = form_data(actions=[{"kind": "set_status", "status": resolved.pk}])
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["actions"][0]["status"]  # not even offered in the admin
    rule = Rule.objects.create(name="Direct")
    action = Action(rule=rule, kind=Kind.SET_STATUS, status=resolved)
    with pytest.raises(ValidationError) as refused:
        action.full_clean()
    assert refused.value.message_dict["status"] == [
        "“Resolved” is not an open status; a new ticket can only get an open status."
    ]


def test_an_action_needs_its_target_and_only_its_target(admin_client: Client, world: World) -> None:
    data = form_data(
        actions=[
            {"kind": "set_department"},
            {"kind": "assign_team", "team": world.team.pk, "department": world.sales.pk},
            {"kind": "add_collaborator", "value": "not an address"},
            {"kind": "reject"},
        ]
    )
    errors = errors_of(admin_client.post(ADD_URL, data))["actions"]
    assert errors[0]["department"] == ["Choose the department."]
    assert errors[1]["department"] == ["Not used by “Assign to team”; leave it empty."]
    assert errors[2]["value"] == ["Enter the collaborator's email address."]
    assert errors[3]["value"] == ["Give the reason for the rejection (the sender may see it)."]


def test_a_rule_without_actions_is_refused(admin_client: Client) -> None:
    data = form_data([{"field": "subject", "operator": "contains", "value": "x"}])
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["actions_formset"] == [
        "Add at least one action: a rule without one does nothing."
    ]


def test_a_rule_needs_a_channel_and_a_mailbox_needs_email(
    admin_client: Client, world: World
) -> None:
    actions = [{"kind": "set_department", "department": world.sales.pk}]
    none = form_data(actions=actions, on_web=None, on_email=None, on_api=None, on_phone=None)
    del none["on_walk_in"], none["on_other"]
    errors = errors_of(admin_client.post(ADD_URL, none))
    assert errors["rule"]["__all__"] == ["Tick at least one channel the rule runs for."]
    box = Mailbox.objects.create(department=world.sales, address="s@helpline.test", protocol="pipe")
    data = form_data(actions=actions, mailbox=box.pk, on_email=None)
    errors = errors_of(admin_client.post(ADD_URL, data))
    assert errors["rule"]["mailbox"] == ["Mail to a mailbox comes in by email: tick Email too."]


def test_editing_keeps_saved_actions_in_the_cross_checks(
    admin_client: Client, world: World
) -> None:
    rule = make_rule("Existing", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})])
    saved = rule.actions.get()
    data = form_data(name="Existing")
    data.update(
        {
            "actions-TOTAL_FORMS": "2",
            "actions-INITIAL_FORMS": "1",
            "actions-0-id": str(saved.pk),
            "actions-0-rule": str(rule.pk),
            "actions-0-kind": "set_department",
            "actions-0-department": str(world.sales.pk),
            "actions-1-kind": "set_department",
            "actions-1-department": str(world.support.pk),
        }
    )
    url = reverse("admin:automation_rule_change", args=[rule.pk])
    errors = errors_of(admin_client.post(url, data))
    assert "Two different" in errors["actions"][1]["department"][0]


# --- errors in the list ----------------------------------------------------------------


def test_the_list_shows_errors_and_filters_on_them(admin_client: Client, world: World) -> None:
    make_rule("Healthy rule", actions=[(Kind.STOP, {})])
    broken = make_rule("Broken rule", actions=[(Kind.STOP, {})])
    Rule.objects.filter(pk=broken.pk).update(
        last_error="The regular expression “(a+)+$” took longer", last_error_at=timezone.now(),
        error_count=3,
    )  # fmt: skip
    url = reverse("admin:automation_rule_changelist")
    page = admin_client.get(url).content.decode()
    assert "took longer" in page
    assert "has errors" in page
    only_broken = admin_client.get(url, {"has_errors": "yes"}).content.decode()
    assert "Broken rule" in only_broken
    assert "Healthy rule" not in only_broken
    only_healthy = admin_client.get(url, {"has_errors": "no"}).content.decode()
    assert "Broken rule" not in only_healthy
    assert "Healthy rule" in only_healthy


def test_saving_a_rule_on_its_page_clears_its_errors(admin_client: Client, world: World) -> None:
    rule = make_rule("Fixed", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})])
    Rule.objects.filter(pk=rule.pk).update(
        last_error="boom", last_error_at=timezone.now(), error_count=2
    )
    saved = rule.actions.get()
    data = form_data(name="Fixed")
    data.update(
        {
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "1",
            "actions-0-id": str(saved.pk),
            "actions-0-rule": str(rule.pk),
            "actions-0-kind": "set_department",
            "actions-0-department": str(world.sales.pk),
        }
    )
    response = admin_client.post(reverse("admin:automation_rule_change", args=[rule.pk]), data)
    assert response.status_code == 302, errors_of(response)
    rule.refresh_from_db()
    assert (rule.last_error, rule.last_error_at, rule.error_count) == ("", None, 0)


def test_the_clear_errors_action(admin_client: Client, world: World) -> None:
    rule = make_rule("R", actions=[(Kind.STOP, {})])
    Rule.objects.filter(pk=rule.pk).update(last_error="boom", error_count=1)
    response = admin_client.post(
        reverse("admin:automation_rule_changelist"),
        {"action": "clear_errors", "_selected_action": [rule.pk]},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.last_error, rule.error_count) == ("", 0)


# --- canned replies --------------------------------------------------------------------


def test_canned_replies_are_sanitized_on_save(world: World) -> None:
    reply = CannedReply.objects.create(
        title="Hello", body_html='<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>'
    )
    reply.refresh_from_db()
    assert reply.body_html == "<p>Hi <b>there</b></p>"


def test_canned_replies_are_in_the_admin(admin_client: Client) -> None:
    CannedReply.objects.create(title="Thanks for waiting", body_html="<p>Thanks</p>")
    page = admin_client.get(reverse("admin:automation_cannedreply_changelist")).content.decode()
    assert "Thanks for waiting" in page


def test_condition_clean_strips_and_checks_without_the_admin(world: World) -> None:
    rule = Rule.objects.create(name="R")
    condition = Condition(rule=rule, field="subject", operator="regex", value="  (a|b  ")
    with pytest.raises(ValidationError) as refused:
        condition.full_clean()
    assert "not a valid regular expression" in refused.value.message_dict["value"][0]
