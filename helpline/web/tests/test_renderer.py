"""The form renderer (helpline.web.renderer): Django's widget templates drawn from
their Jinja2 versions give the same HTML as from Django's template language, for
every form the desk and the portal draw, bound with errors and unbound; the
admin's own widget templates, which exist only for Django's template language,
still render."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates
from django.template.backends.jinja2 import Template as JinjaTemplate
from django.test.html import parse_html

from helpline.conftest import World
from helpline.desk.views.ticket import ACTIONS, _make_form
from helpline.portal import forms as portal_forms
from helpline.tickets.models import HelpTopic
from helpline.web.renderer import FormRenderer

BAD = {"version": "x", "subject": "", "due_at": "9999-99-99", "agent": "0", "status": "0"}


def drawn(form: forms.Form, renderer: object) -> list[object]:
    form.renderer = renderer  # type: ignore[assignment]
    return [parse_html(str(form[name])) for name in form.fields]


def forms_of_the_site(world: World) -> list[tuple[str, forms.Form]]:
    ticket = world.open()
    found: list[tuple[str, forms.Form]] = []
    for name in ACTIONS:
        found.append((f"desk {name}", _make_form(name, ticket)))
        found.append((f"desk {name}, refused", _make_form(name, ticket, BAD, {})))
    topics = HelpTopic.objects.all()
    opening = portal_forms.OpenTicketForm(data={"email": "not an address"})
    opening.fields["topic"].queryset = topics  # type: ignore[attr-defined]
    found.append(("portal open, refused", opening))
    found.append(("portal reply", portal_forms.ReplyForm()))
    return found


@pytest.mark.django_db
def test_every_desk_and_portal_form_draws_as_with_djangos_templates(world: World) -> None:
    fast, plain = FormRenderer(), DjangoTemplates()
    cases = forms_of_the_site(world)
    for label, form in cases:
        if form.is_bound:
            form.is_valid()  # errors drawn too (aria-invalid, described by)
        assert drawn(form, fast) == drawn(form, plain), label
    assert len(cases) == 2 * len(ACTIONS) + 2


def test_widgets_come_from_jinja2_and_the_admins_from_djangos_templates() -> None:
    renderer = FormRenderer()

    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), JinjaTemplate)
    html = AdminDateWidget().render("day", "2026-12-06", renderer=renderer)
    assert 'class="vDateField"' in html and 'value="2026-12-06"' in html
