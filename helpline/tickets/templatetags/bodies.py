"""`{{ entry.body|message_body }}`: a thread entry's stored (sanitized) HTML as the
desk, the portal and the rating page show it, remote images as links
(helpline.lib.remote_images)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from helpline.lib.remote_images import block_remote_images

register = template.Library()


@register.filter
def message_body(body: str) -> SafeString:
    return block_remote_images(body or "")
