"""The form renderer: Django's own widget and form templates in their Jinja2
versions, which render several times faster than the same templates in Django's
template language. A ticket page draws some thirty widgets (the action forms), and
rendering them was a third of its time.

Templates that exist only for Django's template language (the admin's widgets)
are rendered by Django's renderer, as before. Helpline overrides no widget
template; one added under `templates/django/forms/` would need its Jinja2
version too (`jinja2/django/forms/` in the app), or it is not used.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(BaseRenderer):
    @cached_property
    def _jinja2(self) -> Jinja2:
        return Jinja2()

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
