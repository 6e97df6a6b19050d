from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "helpline.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from helpline.api.security import check_declared_access
        from helpline.api.throttles import check_rates
        from helpline.lib.clientip import check_trusted_proxies

        checks.register(check_declared_access, checks.Tags.security)
        checks.register(check_rates, checks.Tags.security)
        checks.register(check_trusted_proxies, checks.Tags.security)
