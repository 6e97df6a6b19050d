"""`{{ entry.body|message_body }}`: a thread entry's stored (sanitized) HTML as the
desk, the portal and the rating page show it, remote images as links
(helpline.lib.remote_images)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from helpline.lib.remote_images import block_remote_images
from helpline.tickets import downloads
from helpline.tickets.models import Attachment

register = template.Library()


@register.filter
def message_body(body: str) -> SafeString:
    return block_remote_images(body or "")


@register.filter
def has_preview(attachment: Attachment) -> bool:
    """Whether the ticket pages show the attachment as a picture
    (tickets.downloads: served inline only if its bytes are a picture's)."""
    return downloads.has_preview(attachment)
