from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "helpline.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Signals that keep User.otp_enrolled in step with the two-factor devices.
        from helpline.accounts import twofactor  # noqa: F401
