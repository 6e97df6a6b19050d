"""The agent's profile page in the desk: the language the desk and their mail
are in (blank: the browser's)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from helpline.accounts.models import Agent
from helpline.desk.views.away import AwayForm
from helpline.web.auth import agent_required, current_agent


class ProfileForm(forms.ModelForm[Agent]):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        help_text=gettext_lazy("The desk and the mail Helpline sends you are in this language."),
    )

    class Meta:
        model = Agent
        fields = ["language", "signature"]
        widgets = {"signature": forms.Textarea(attrs={"rows": 4, "maxlength": 2000})}
        help_texts = {
            "signature": gettext_lazy("Offered below your replies; you can change it there.")
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Each language in its own name, so a person who cannot read the current
        # one still finds theirs.
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("The browser's language")), *settings.LANGUAGES]


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def profile(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=agent)
    if request.method == "POST":
        if not form.is_valid():
            return profile_page(request, form=form, status=400)
        form.save()
        # The confirmation in the language just chosen (this request began in the old).
        language = agent.language or translation.get_language_from_request(request)
        with translation.override(language):
            messages.success(request, _("Your profile is saved."))
        return redirect("desk:profile")
    return profile_page(request, form=form)


def profile_page(
    request: HttpRequest,
    *,
    form: ProfileForm | None = None,
    away_form: AwayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The profile page: the agent's language and signature, and whether they are away."""
    agent = current_agent(request)
    context = {
        "nav": "profile",
        "form": form or ProfileForm(instance=agent),
        "away_form": away_form or AwayForm(initial={"until": None}),
        "agent": agent,
    }
    return render(request, "desk/profile.html", context, status=status)
