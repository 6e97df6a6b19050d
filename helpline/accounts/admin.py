"""Admin pages for people, departments and teams (the configuration UI for now)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import (
    Agent,
    AgentShift,
    Customer,
    Department,
    DepartmentAccess,
    Organization,
    Team,
    User,
)
from helpline.sla.admin import NoOverlapFormSet

admin.site.register(User, UserAdmin)


class DepartmentAccessInline(admin.TabularInline):
    model = DepartmentAccess
    extra = 1


class AgentShiftInline(admin.TabularInline):
    model = AgentShift
    formset = NoOverlapFormSet
    extra = 1
    verbose_name = _("working hours")
    verbose_name_plural = _(
        "working hours (in the agent's time zone; none at all means always available)"
    )


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role", "is_on_vacation", "max_open_tickets", "is_active"]
    list_filter = ["role", "is_on_vacation", "user__is_active"]
    list_editable = ["is_on_vacation"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    inlines = [DepartmentAccessInline, AgentShiftInline]
    list_select_related = ["user"]

    @admin.display(boolean=True, description=_("Active"))
    def is_active(self, obj: Agent) -> bool:
        return obj.user.is_active


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "sla", "assignment_mode", "is_public"]
    list_filter = ["assignment_mode"]
    inlines = [DepartmentAccessInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "assignment_mode", "is_active"]
    list_filter = ["assignment_mode", "is_active"]
    filter_horizontal = ["members"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "organization"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


admin.site.register(Organization)
