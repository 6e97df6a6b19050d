"""`{% if attachment|has_pdf_preview %}`: whether the ticket pages show an
attachment as the first page of a PDF (helpline.tickets.previews draws it, if
its bytes are a PDF's)."""

from __future__ import annotations

from django import template

from helpline.tickets import previews
from helpline.tickets.models import Attachment

register = template.Library()


@register.filter
def has_pdf_preview(attachment: Attachment) -> bool:
    return previews.offered(attachment)
