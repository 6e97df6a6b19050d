from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "helpline.reports"
    label = "reports"
    verbose_name = "Reports"
