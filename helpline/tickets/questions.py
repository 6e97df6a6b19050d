"""A help topic's own questions (`TopicField`) as form fields: the portal's
open-ticket form, the agent's new-ticket form and the ticket page's answers.

Every topic's questions are in the form, each an optional field, and a small
script shows only the chosen topic's (helpline/static/helpline/topic-fields.js);
whether one is required and whether its value is a number or a date is checked
for the chosen topic only (`TopicQuestions.answers`), so the questions of topics
not chosen never block the form. The answers are stored in `Ticket.extra`, by
the question's key."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from helpline.tickets.models import HelpTopic, TopicField


def extra_field_name(field: TopicField) -> str:
    return f"topic_{field.topic_id}_{field.key}"


def form_field_for(field: TopicField) -> forms.Field:
    """A form field for one topic question: optional here (see the module)."""
    common: dict[str, Any] = {"label": field.label, "required": False, "help_text": field.help_text}
    # No `required` attribute: the browser would refuse to send the form over a
    # question of a topic that is hidden. Assistive technology still hears it.
    attrs: dict[str, str] = {"aria-required": "true"} if field.required else {}
    match field.kind:
        case TopicField.Kind.TEXTAREA:
            return forms.CharField(
                max_length=5_000, widget=forms.Textarea(attrs={"rows": 4, **attrs}), **common
            )
        case TopicField.Kind.CHOICE:
            options = [("", gettext("Choose…")), *((c, c) for c in field.choice_list)]
            # The options are the admin's words, as typed: no browser translation.
            select = forms.Select(attrs={"translate": "no", **attrs}, choices=options)
            return forms.CharField(widget=select, **common)
        case TopicField.Kind.NUMBER:
            number = forms.NumberInput(attrs={"step": "any", **attrs})
            return forms.CharField(max_length=50, widget=number, **common)
        case TopicField.Kind.DATE:
            date = forms.DateInput(attrs={"type": "date", **attrs})
            return forms.CharField(max_length=20, widget=date, **common)
        case _:
            return forms.CharField(max_length=500, widget=forms.TextInput(attrs=attrs), **common)


def check_answer(field: TopicField, value: str) -> str:
    """The answer as stored in `Ticket.extra`; raises ValidationError when wrong."""
    match field.kind:
        case TopicField.Kind.CHOICE:
            if value not in field.choice_list:
                raise ValidationError(gettext("Choose one of the options."))
        case TopicField.Kind.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise ValidationError(gettext("Enter a number.")) from None
            if not number.is_finite():
                raise ValidationError(gettext("Enter a number."))
        case TopicField.Kind.DATE:
            try:
                value = datetime.date.fromisoformat(value).isoformat()
            except ValueError:
                raise ValidationError(gettext("Enter a date as YYYY-MM-DD.")) from None
    return value


@dataclass
class TopicGroup:
    """The questions of one help topic, rendered as one fieldset."""

    topic: HelpTopic
    fields: list[tuple[forms.BoundField, TopicField]]


class TopicQuestions:
    """A form mixin: the questions of `topics` as fields, and their answers for the
    chosen topic. `add_questions` in __init__, `answers` in clean."""

    fields: dict[str, forms.Field]

    def add_questions(self, topics: list[HelpTopic], select: forms.Field) -> None:
        """`topics` with their `fields` prefetched; `select` the topic's field (it
        carries the hook the topic-fields script looks for)."""
        select.widget.attrs["data-topic-select"] = ""
        self.topics = topics
        self.questions: dict[str, TopicField] = {}
        for topic in topics:
            for question in topic.fields.all():
                name = extra_field_name(question)
                self.fields[name] = form_field_for(question)
                self.questions[name] = question

    def question_names(self) -> str:
        """The questions' field names, space-separated (desk/_action.html's list)."""
        return " ".join(self.questions)

    def topic_groups(self) -> list[TopicGroup]:
        form = self._form()
        groups = []
        for topic in self.topics:
            fields = [(form[n], q) for n, q in self.questions.items() if q.topic_id == topic.pk]
            if fields:
                groups.append(TopicGroup(topic=topic, fields=fields))
        return groups

    def answers(self, cleaned: dict[str, Any], topic_key: str = "topic") -> dict[str, str]:
        """The chosen topic's answers, by question key; errors added to the form."""
        form = self._form()
        topic = cleaned.get(topic_key)
        extra: dict[str, str] = {}
        if not isinstance(topic, HelpTopic):
            return extra
        for name, question in self.questions.items():
            if question.topic_id != topic.pk:
                continue
            value = (cleaned.get(name) or "").strip()
            if not value:
                if question.required:
                    form.add_error(name, gettext("This question is required for this help topic."))
                continue
            try:
                extra[question.key] = check_answer(question, value)
            except ValidationError as error:
                form.add_error(name, error)
        return extra

    def _form(self) -> forms.Form:
        assert isinstance(self, forms.Form)
        return self
