"""The page shown when django-ratelimit refuses a request."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def too_many_requests(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "429.html", status=429)
