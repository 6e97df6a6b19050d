"""Routing rules and canned replies in the admin.

A rule is edited on one page: its own fields, then its conditions and its actions,
one compact line each (stacked inlines whose fields sit on one wrapping line, every
control with its own label). `static/automation/rule_admin.js` then shows on each
line only what it needs: an action's target for its kind, a condition's topic field
key for "Help topic field". Without JavaScript every field is there and the form
works the same. Row checks live in the models' `clean`; checks across action rows
live in `ActionFormSet.clean` (a row cannot see its siblings), and each message is
put on the row and field it is about. Run-time errors show in the list ("Last
error", filter "has errors") and are cleared when the rule is saved again.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy, ngettext

from helpline.automation.models import (
    TARGET_COLUMNS,
    TARGET_OF,
    Action,
    CannedAttachment,
    CannedReply,
    Condition,
    Field,
    Kind,
    Rule,
    action_problems,
)
from helpline.tickets.models import Source, State


class ConditionForm(forms.ModelForm):
    class Meta:
        model = Condition
        fields = ["field", "extra_key", "operator", "value"]
        widgets = {
            # The script shows the key only for this field.
            "field": forms.Select(attrs={"data-key-for": Field.TOPIC_FIELD}),
            # A short box that still takes one item per line for "is one of".
            "value": forms.Textarea(attrs={"rows": 1, "cols": 30}),
        }


# What the shared "reason or email" box is called for each kind that uses it.
VALUE_LABELS = {
    Kind.REJECT: {"label": gettext_lazy("Reason")},
    Kind.ADD_COLLABORATOR: {"label": gettext_lazy("Collaborator email"), "type": "email"},
}


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["kind", *TARGET_COLUMNS]
        widgets = {
            # The script reads which target each kind uses from the models, not a copy.
            "kind": forms.Select(
                attrs={
                    "data-targets": json.dumps(TARGET_OF),
                }
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form, not at import, so the labels are in the viewer's language.
        self.fields["kind"].widget.attrs["data-value-labels"] = json.dumps(
            VALUE_LABELS, default=str
        )


class RuleInlineMedia:
    """The script and styles that make the rule's inlines compact (both inlines ask;
    Django includes them once)."""

    css = {"all": ["automation/rule_admin.css"]}
    # After the admin's inlines.js (the inline's own media), whose `formset:added`
    # event the script listens for.
    js = ["automation/rule_admin.js"]


class ConditionInline(admin.StackedInline):
    model = Condition
    form = ConditionForm
    extra = 1
    verbose_name = gettext_lazy("condition")
    verbose_name_plural = gettext_lazy("conditions")
    # One line per condition; the script shows the key only for "Help topic field".
    fields = [("field", "extra_key", "operator", "value")]
    classes = ["rule-lines", "rule-conditions"]
    Media = RuleInlineMedia


class ActionFormSet(BaseInlineFormSet):
    """Checks the actions of a rule together (see `action_problems`)."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            # Unchanged saved rows count; untouched blank rows do not.
            if (form.instance.pk is not None or form.has_changed())
            and getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE", False)
        ]
        if not any(form.errors for form in self.forms) and not kept:
            raise ValidationError(
                gettext("Add at least one action: a rule without one does nothing.")
            )
        # Rows with errors of their own have no trustworthy instance to compare.
        valid = [form for form in kept if not form.errors]
        by_action = {id(form.instance): form for form in valid}
        for action, field, message in action_problems([form.instance for form in valid]):
            by_action[id(action)].add_error(field, message)


class ActionInline(admin.StackedInline):
    model = Action
    form = ActionForm
    formset = ActionFormSet
    extra = 1
    verbose_name = gettext_lazy("action")
    verbose_name_plural = gettext_lazy("actions")
    # One line per action: its kind, then the one target the script leaves visible.
    fields = [("kind", *TARGET_COLUMNS)]
    classes = ["rule-lines", "rule-actions"]
    Media = RuleInlineMedia

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        # Only what a new ticket can get is offered; the model refuses the rest too.
        if db_field.name == "status":
            kwargs["queryset"] = db_field.related_model.objects.filter(state=State.OPEN)
        elif db_field.name == "agent":
            kwargs["queryset"] = db_field.related_model.objects.select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HasErrorsFilter(admin.SimpleListFilter):
    title = gettext_lazy("has errors")
    parameter_name = "has_errors"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", gettext("Yes")), ("no", gettext("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    inlines = [ConditionInline, ActionInline]
    list_display = [
        "order",
        "name",
        "is_active",
        "match",
        "channel_list",
        "mailbox",
        "short_error",
        "error_count",
        "last_error_at",
    ]
    list_display_links = ["name"]
    list_editable = ["order"]
    list_filter = ["is_active", HasErrorsFilter]
    list_select_related = ["mailbox"]
    search_fields = ["name", "notes"]
    readonly_fields = ["last_error", "last_error_at", "error_count"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active", "match", "notes"]}),
        (
            gettext_lazy("Runs for new tickets from"),
            {
                "fields": [
                    "on_web",
                    "on_email",
                    "on_api",
                    "on_phone",
                    "on_walk_in",
                    "on_other",
                    "mailbox",
                ]
            },
        ),
        (gettext_lazy("Last error"), {"fields": ["last_error", "last_error_at", "error_count"]}),
    ]
    actions = ["clear_errors"]

    @admin.display(description=gettext_lazy("Channels"))
    def channel_list(self, obj: Rule) -> str:
        return ", ".join(str(Source(channel).label) for channel in obj.channels)

    @admin.display(description=gettext_lazy("Last error"), ordering="last_error")
    def short_error(self, obj: Rule) -> str:
        if not obj.last_error:
            return "—"
        return obj.last_error if len(obj.last_error) <= 100 else obj.last_error[:99] + "…"

    def save_related(
        self, request: HttpRequest, form: ModelForm[Rule], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # Saved from its page (the changelist's order edits pass no formsets): the
        # administrator has looked at the rule, so old errors no longer apply.
        if change and formsets:
            Rule.objects.filter(pk=form.instance.pk).update(
                last_error="", last_error_at=None, error_count=0
            )

    @admin.action(description=gettext_lazy("Clear the recorded errors of the selected rules"))
    def clear_errors(self, request: HttpRequest, queryset: QuerySet[Rule]) -> None:
        count = queryset.update(last_error="", last_error_at=None, error_count=0)
        text = ngettext(
            "Cleared the errors of %(count)d rule.", "Cleared the errors of %(count)d rules.", count
        ) % {"count": count}
        self.message_user(request, text, messages.SUCCESS)


class CannedAttachmentInline(admin.TabularInline):
    model = CannedAttachment
    extra = 0
    fields = ["filename", "content_type", "size"]
    readonly_fields = ["filename", "content_type", "size"]
    can_delete = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Added on the desk's page, which checks the files against the limits.
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "department", "owner", "is_active", "updated_at"]
    list_filter = ["is_active", "department"]
    search_fields = ["title", "body_html"]
    autocomplete_fields = ["owner"]
    inlines = [CannedAttachmentInline]
