"""`{{ entry.body|message_body:files }}`: a thread entry's stored (sanitized) HTML
as the desk, the portal and the rating page show it, remote images as links, and
its own inline pictures (`cid:`) shown from its files (helpline.lib.remote_images).
`files` are the entry's (attachment, URL) pairs; `desk_files` makes them for the
desk. `listed_files` leaves out of the list under a message the pictures its text
shows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from helpline.lib.remote_images import block_remote_images, content_key
from helpline.tickets import downloads
from helpline.tickets.models import Attachment

register = template.Library()

# The ids of a sanitized body's cid: images (attribute values are quoted by nh3).
_CID = re.compile(r'src="cid:([^"]*)"', re.IGNORECASE)


@register.filter
def message_body(body: str, files: Iterable[tuple[Attachment, str]] | None = None) -> SafeString:
    """`files` None: leave cid: images as they are (mail); empty ("" in a
    template): a page without the message's files, where each says it is missing."""
    if files is None:
        return block_remote_images(body or "")
    # Only pictures: the preview URL serves nothing else inline (tickets.downloads).
    inline = {
        content_key(a.content_id): f"{url}?view=1"
        for a, url in files
        if a.content_id and downloads.has_preview(a)
    }
    return block_remote_images(body or "", inline)


@register.filter
def in_text(attachment: Attachment, body: str) -> bool:
    """Whether the entry's text shows the picture in place (`cid:`), so its list of
    files need not show it a second time."""
    if not attachment.content_id:
        return False
    wanted = content_key(attachment.content_id)
    return any(content_key(unquote(found)) == wanted for found in _CID.findall(body))


@register.filter
def listed_files(files: Iterable[Any], body: str) -> list[Any]:
    """The files listed under an entry (attachments, or the portal's (attachment,
    URL) pairs): all but the pictures its text shows in place (`message_body`
    shows a `cid:` picture from its file when it is one). A picture pasted into a
    reply, listed again below it, read as a second file."""
    return [f for f in files if not _shown_in_text(f[0] if isinstance(f, tuple) else f, body)]


def _shown_in_text(attachment: Attachment, body: str) -> bool:
    return downloads.has_preview(attachment) and in_text(attachment, body)


@register.filter
def desk_files(attachments: Iterable[Attachment], number: int) -> list[tuple[Attachment, str]]:
    """The desk's (attachment, URL) pairs of one entry's files."""
    return [(a, reverse("desk:attachment", args=[number, a.pk])) for a in attachments]


@register.filter
def has_preview(attachment: Attachment) -> bool:
    """Whether the ticket pages show the attachment as a picture
    (tickets.downloads: served inline only if its bytes are a picture's)."""
    return downloads.has_preview(attachment)
