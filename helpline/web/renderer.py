"""The form renderer: Django's own widget and form templates in their Jinja2
versions (Django ships them for this), which render about twice as fast as the
same templates in Django's template language. A desk ticket page draws some
thirty widgets (its action forms), and drawing them was a third of its time.

What changes: the bytes, not the page. Options and choice labels lose the blank
lines between them, and quotes in values are written `&#34;` and `&#39;` instead
of `&quot;` and `&#x27;`; the escaping is Jinja2's autoescape, as strict as
Django's.

Limits to know before adding a widget:
- The fallback to Django's template language is for the outermost template only:
  templates that exist only there (the admin's widgets) render as before, but a
  Jinja2 template cannot include one (a MultiWidget of admin widgets would fail).
- A widget template of our own under `templates/django/forms/` would need its
  Jinja2 twin (`jinja2/django/forms/` in the app), or it is not used. There is
  none today.
- Jinja2 does not localize a choice label that is a number or a date (Django's
  templates would write 1,5 in German); every choice label of Helpline is text.
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
