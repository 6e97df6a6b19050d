from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "helpline.worker"
    label = "worker"
