"""Django's admin app with Helpline's admin site (`helpline.accounts.adminsite`).

A module of its own: INSTALLED_APPS imports it before any model is loaded.
"""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "helpline.accounts.adminsite.HelplineAdminSite"
