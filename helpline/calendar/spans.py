"""Weekly spans of hours: the opening hours of a business schedule, an agent's shifts.

`WeeklySpan` is an abstract model: each owner (helpline.sla's ScheduleSpan,
helpline.accounts' AgentShift) adds its foreign key and says which rows are its
siblings. Spans of one owner on one weekday must not overlap; `clean()` compares a
span with those already saved, `NoOverlapFormSet` with the rows saved together.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.calendar.schedule import find_overlap, seconds_of

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def check_times(start: time, end: time) -> None:
    """Refuse a span that ends before it starts (an end of 00:00 is midnight)."""
    if (seconds_of(end, end=True) or 0) <= (seconds_of(start) or 0):
        raise ValidationError(
            {"end_time": _("The end must be after the start (00:00 means midnight).")}
        )


class WeeklySpan(models.Model):
    """A span of hours on one weekday: a schedule's opening hours, an agent's
    shift. Several per day are allowed (a lunch break); they must not overlap."""

    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, verbose_name=_("weekday"))
    start_time = models.TimeField(verbose_name=_("start time"))
    end_time = models.TimeField(
        help_text=_("00:00 means midnight at the end of the day."), verbose_name=_("end time")
    )

    # What the overlap messages say, whole sentences so each owner's can be
    # translated (an agent's shifts say "shift").
    overlaps_saved = _("%(span)s overlaps %(other)s; spans on the same day must not overlap.")
    overlaps_another = _("%(span)s overlaps another span on the same day; spans must not overlap.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        day = dict(WEEKDAYS).get(self.weekday, self.weekday)
        return f"{day} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def key(self) -> tuple[int, int, int]:
        """(weekday, start, end) in seconds, end 00:00 read as 86400: what find_overlap takes."""
        return (
            self.weekday,
            seconds_of(self.start_time) or 0,
            seconds_of(self.end_time, end=True) or 0,
        )

    def siblings(self) -> models.QuerySet[Any] | None:
        """The saved spans of the same owner and weekday (None before an owner is set)."""
        raise NotImplementedError

    def clean(self) -> None:
        if self.start_time is None or self.end_time is None or self.weekday is None:
            return  # the field errors say what is missing
        check_times(self.start_time, self.end_time)
        others = self.siblings()
        if others is None:
            return
        for other in others.exclude(pk=self.pk):
            if find_overlap([self.key(), other.key()]):
                raise ValidationError(
                    self.overlaps_saved,
                    params={"span": self, "other": other},
                )


class NoOverlapFormSet(forms.BaseInlineFormSet):
    """Refuses overlapping weekly spans among the rows being saved together (a
    model's own clean() compares only with spans already saved). For any
    `WeeklySpan` inline: a schedule's opening hours, an agent's shifts."""

    def clean(self) -> None:
        super().clean()
        keys: dict[tuple[int, int, int], Any] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors:
                continue
            span = self.model(  # type: ignore[misc]  # set by the inline formset factory
                weekday=data["weekday"], start_time=data["start_time"], end_time=data["end_time"]
            )
            keys[span.key()] = span
        overlap = find_overlap(keys)
        if overlap:
            raise ValidationError(
                keys[overlap].overlaps_another,
                params={"span": keys[overlap]},
            )
