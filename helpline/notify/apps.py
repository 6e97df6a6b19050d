from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "helpline.notify"
    label = "notify"
