"""Turning a kind of mail and its variables into a subject, a text and an HTML body.

Templates are administrators' `MailTemplate` rows, rendered with Django's template
language from the stored text; a missing row falls back to the built-in default in
`templates/notify/<kind>/` (subject.txt, body.txt, body.html), which also seeds the
rows. The subject and the text body are rendered without HTML escaping (they are
not HTML); the HTML body escapes every variable except bodies marked safe, which
are thread entries sanitized with nh3 on the way in.

A template an administrator broke never stops a ticket change: it is logged and
the built-in default is sent instead. The admin form refuses broken templates in
the first place (`check_template`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import engines
from django.template.backends.django import Template
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

from helpline.notify.models import MailKind, MailTemplate

log = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "templates" / "notify"

# The first line of mail a customer may answer, in the customer's language. Intake
# cuts a reply at this line, so the quoted mail below it does not pile up in the
# thread: it knows the line by its first words (MARKER_START), in every language of
# settings.LANGUAGES, since a customer may answer mail sent before they changed
# theirs. Each translation of REPLY_MARKER starts with "-- " and the translation
# of MARKER_START (helpline/notify/tests/test_reply_marker.py).
REPLY_MARKER = gettext_noop("-- Reply above this line to add to ticket #%(number)s --")
MARKER_START = gettext_noop("Reply above this line")


def reply_marker(number: str) -> str:
    """The marker line in the active language."""
    return gettext(REPLY_MARKER) % {"number": number}


# For a mail's context: rendered later, in the recipient's language (compose).
lazy_reply_marker = lazy(reply_marker, str)


def marker_starts() -> list[str]:
    """MARKER_START in every language the site speaks (English first)."""
    starts: list[str] = []
    for code in ["en", *(code for code, _name in settings.LANGUAGES)]:
        with translation.override(code):
            start = gettext(MARKER_START)
        if start not in starts:
            starts.append(start)
    return starts


@dataclass(frozen=True)
class MailText:
    """The template text of one kind of mail."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def default_source(kind: str) -> MailText:
    """The built-in template of `kind`, read from the package's files."""
    folder = DEFAULTS_DIR / MailKind(kind).value
    return MailText(
        subject=(folder / "subject.txt").read_text().strip(),
        text=(folder / "body.txt").read_text(),
        html=(folder / "body.html").read_text(),
    )


def _compile(source: str, *, escape: bool) -> Template:
    # Subjects and text bodies are not HTML: "Q&A" must stay "Q&A" there.
    if not escape:
        source = "{% autoescape off %}" + source + "{% endautoescape %}"
    return engines["django"].from_string(source)  # type: ignore[return-value]


class _Compiled:
    def __init__(self, source: MailText) -> None:
        self.subject = _compile(source.subject, escape=False)
        self.text = _compile(source.text, escape=False)
        self.html = _compile(source.html, escape=True) if source.html.strip() else None

    def render(self, context: dict[str, Any]) -> Rendered:
        return Rendered(
            subject=" ".join(self.subject.render(context).split()),
            text=_tidy_text(self.text.render(context)),
            html=self.html.render(context).strip() if self.html else "",
        )


@lru_cache(maxsize=64)
def _compiled(source: MailText) -> _Compiled:
    """Compiled once per process for each template text: the worker renders every
    change's mail (helpline.notify.fanout), and compiling a template costs more than
    rendering it. Keyed by the text itself, so an edited template is compiled anew."""
    return _Compiled(source)


_BLANK_RUN = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Template tags leave blank lines and trailing spaces; mail reads better without."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip() + "\n"


class Renderer:
    """Renders mail for one batch of events: reads the template rows once; each
    template text is compiled once per process (`_compiled`)."""

    def __init__(self) -> None:
        self._rows = {row.key: row for row in MailTemplate.objects.all()}

    def is_enabled(self, kind: MailKind) -> bool:
        row = self._rows.get(kind.value)
        return row is None or row.is_active

    def render(self, kind: MailKind, context: dict[str, Any]) -> Rendered | None:
        """The mail, or None when an administrator switched this kind off."""
        row = self._rows.get(kind.value)
        if row is not None and not row.is_active:
            return None
        if row is not None:
            try:
                source = MailText(row.subject, row.text_body, row.html_body)
                return _compiled(source).render(context)
            except Exception:
                log.exception("The %s mail template is broken; sending the default", kind.value)
        return _compiled(default_source(kind.value)).render(context)


def check_template(source: str, *, escape: bool, context: dict[str, Any]) -> None:
    """Compile and render `source` with sample variables; raises what Django raises
    (TemplateSyntaxError and friends), for the admin form to show."""
    _compile(source, escape=escape).render(context)
