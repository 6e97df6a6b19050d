"""The form renderer (helpline.web.renderer): Django's widget, label and error
templates drawn from their Jinja2 versions give the same HTML, once parsed, as
from Django's template language, for the desk's ticket actions and new-ticket
form, the portal's forms and an admin change form, bound with errors (hostile
values among them) and unbound; what a visitor typed comes back escaped; the
admin's own widget templates, which exist only for Django's template language,
still render."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates
from django.template.backends.jinja2 import Template as JinjaTemplate
from django.test import RequestFactory
from django.test.html import parse_html

from helpline.accounts.models import Department
from helpline.conftest import World
from helpline.desk import forms as desk_forms
from helpline.desk.views.ticket import ACTIONS, _make_form
from helpline.portal import forms as portal_forms
from helpline.tickets.models import HelpTopic
from helpline.web.renderer import FormRenderer

HOSTILE = "O'Neil \"<script>alert(1)</script>"
# Every field any of the forms has, with a hostile or a wrong value: forms that
# keep what was typed draw it back.
BAD = {
    name: HOSTILE
    for name in (
        "subject", "name", "phone", "email", "number", "body", "message", "explanation",
        "reason", "due_at", "version", "agent", "status", "topic", "password",
    )
}  # fmt: skip


def drawn(form: forms.BaseForm, renderer: Any) -> list[object]:
    """Each field's widget, label and errors, and the form's own errors, as the
    renderer draws them, parsed (whitespace and quoting style aside)."""
    form.renderer = renderer
    parts: list[object] = [parse_html(str(form.non_field_errors()))]
    for name in form.fields:
        field = form[name]
        parts += [
            parse_html(str(field)),
            parse_html(field.label_tag()),
            parse_html(str(field.errors)),
        ]
    return parts


def forms_of_the_site(world: World) -> list[tuple[str, forms.Form]]:
    ticket = world.open()
    found: list[tuple[str, forms.Form]] = []
    for name in ACTIONS:
        found.append((f"desk {name}", _make_form(name, ticket)))
        found.append((f"desk {name}, refused", _make_form(name, ticket, BAD, {})))
    found.append(("desk new ticket", desk_forms.NewTicketForm()))
    found.append(("desk new ticket, refused", desk_forms.NewTicketForm(BAD)))
    found.append(("desk sign-in, refused", desk_forms.LoginForm(BAD)))
    opening = portal_forms.OpenTicketForm(data=BAD)
    opening.fields["topic"].queryset = HelpTopic.objects.all()  # type: ignore[attr-defined]
    found.append(("portal open, refused", opening))
    for form_class in (
        portal_forms.ReplyForm,
        portal_forms.StatusForm,
        portal_forms.RegisterForm,
        portal_forms.LoginForm,
    ):
        found.append((f"portal {form_class.__name__}", form_class()))
        found.append((f"portal {form_class.__name__}, refused", form_class(data=BAD)))
    return found


@pytest.mark.django_db
def test_the_sites_forms_draw_as_with_djangos_templates(world: World) -> None:
    fast, plain = FormRenderer(), DjangoTemplates()
    for label, form in forms_of_the_site(world):
        if form.is_bound:
            form.is_valid()  # errors drawn too (aria-invalid, described by)
        assert drawn(form, fast) == drawn(form, plain), label


@pytest.mark.django_db
def test_what_was_typed_comes_back_escaped(world: World) -> None:
    form = desk_forms.NewTicketForm(BAD)
    form.renderer = FormRenderer()
    html = str(form["subject"]) + str(form["body"])

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="O&#39;Neil &#34;&lt;script&gt;' in html


@pytest.mark.django_db
def test_an_admin_change_form_draws_as_with_djangos_templates(world: World) -> None:
    """The admin's forms: Jinja2 widgets inside the admin's own wrappers."""
    request = RequestFactory().get("/")
    request.user = world.admin.user
    model_admin = admin.site._registry[Department]
    form_class = model_admin.get_form(request, world.support)
    form = form_class(data={"name": HOSTILE}, instance=world.support)
    form.is_valid()

    fast, plain = FormRenderer(), DjangoTemplates()
    assert drawn(form, fast) == drawn(form, plain)
    form.renderer = fast
    whole = form.as_div()
    form.renderer = plain
    assert parse_html(whole) == parse_html(form.as_div())


def test_widgets_come_from_jinja2_and_the_admins_from_djangos_templates() -> None:
    renderer = FormRenderer()

    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), JinjaTemplate)
    html = AdminDateWidget().render("day", "2026-12-06", renderer=renderer)
    assert 'class="vDateField"' in html and 'value="2026-12-06"' in html
