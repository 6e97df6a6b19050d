"""The REST API (django-ninja) and the osTicket-compatible endpoints, under /api/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
