from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "helpline.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Signals that keep User.otp_enrolled in step with the two-factor devices.
        from helpline.accounts import twofactor  # noqa: F401
