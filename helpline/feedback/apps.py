from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "helpline.feedback"
    label = "feedback"
    verbose_name = "Customer satisfaction"
