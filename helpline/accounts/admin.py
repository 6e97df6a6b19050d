from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from helpline.accounts.models import (
    Agent,
    Customer,
    Department,
    DepartmentAccess,
    Organization,
    Team,
    User,
)

admin.site.register(User, UserAdmin)


class DepartmentAccessInline(admin.TabularInline):
    model = DepartmentAccess
    extra = 1


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role", "is_on_vacation", "is_active"]
    list_filter = ["role", "is_on_vacation", "user__is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    inlines = [DepartmentAccessInline]
    list_select_related = ["user"]

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj: Agent) -> bool:
        return obj.user.is_active


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "sla", "is_public"]
    inlines = [DepartmentAccessInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "is_active"]
    filter_horizontal = ["members"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "organization"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


admin.site.register(Organization)
