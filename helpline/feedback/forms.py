from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from helpline.tickets.models import RATING_COMMENT_MAX_LENGTH, Score


class RatingForm(forms.Form):
    score = forms.ChoiceField(
        choices=Score.choices,
        error_messages={"required": gettext_lazy("Choose Good, Okay or Bad.")},
    )
    comment = forms.CharField(
        required=False,
        max_length=RATING_COMMENT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea,
    )
