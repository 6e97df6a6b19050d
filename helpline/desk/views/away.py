"""The agent's "I'm away" (helpline.accounts.models.available): away now, until a
time or until they say they are back (an administrator's "on vacation" is
another flag, which this leaves alone). Automatic assignment passes them over and
they get no alerts meanwhile; colleagues see it beside their name. Not a change
to any ticket, so it is written here, not through the lifecycle.

POST `away=1` (with an optional `until`, the agent's local time) or `away=0`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from helpline.web.auth import agent_required, current_agent
from helpline.web.links import desk_back

PICKER = "%Y-%m-%dT%H:%M"
LONGEST = timedelta(days=366)


class AwayForm(forms.Form):
    away = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
    until = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Back at (optional, your time zone)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=PICKER),
        input_formats=[PICKER, "%Y-%m-%d %H:%M"],
    )

    def clean_until(self) -> datetime | None:
        until: datetime | None = self.cleaned_data.get("until")
        if until is None:
            return None
        now = timezone.now()
        if until <= now:
            raise forms.ValidationError(gettext("Choose a time still to come."))
        if until > now + LONGEST:
            raise forms.ValidationError(gettext("Choose a time within a year."))
        return until


@agent_required
@require_POST
def away(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    form = AwayForm(request.POST)
    if not form.is_valid():
        from helpline.desk.views.profile import profile_page  # it imports this module

        return profile_page(request, away_form=form, status=400)
    if form.cleaned_data["away"]:
        agent.away = True
        agent.away_until = form.cleaned_data["until"]
        until = agent.away_until
        messages.success(
            request,
            gettext("You are away until %(time)s: no new tickets come to you meanwhile.")
            % {"time": date_format(timezone.localtime(until), "DATETIME_FORMAT")}
            if until
            else gettext("You are away until you say you are back."),
        )
    else:
        agent.away = False
        agent.away_until = None
        messages.success(request, gettext("Welcome back: new tickets can come to you again."))
    agent.save(update_fields=["away", "away_until"])
    return redirect(desk_back(request, request.POST.get("next", ""), "/desk/profile/"))
