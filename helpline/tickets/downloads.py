"""Serving attachments: as a download, never rendered by the browser, except a
picture asked for inline (`?view=1`: the ticket pages' previews), which is shown
only when its first bytes say it is a PNG, JPEG, GIF or WebP picture.

Why by the bytes: the stored type is what the sender claimed, and a file that
claims to be a picture may be an HTML page. SVG is never shown: it can hold
script. A picture is served with `nosniff` and a sandboxing CSP like a download,
so even a browser that guessed otherwise would run nothing.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from helpline.tickets.models import Attachment

# The first bytes of each picture type shown inline.
PICTURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def picture_type(head: bytes) -> str | None:
    """The picture type of a file that starts with `head` (12 bytes), or None."""
    for magic, kind in PICTURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def has_preview(attachment: Attachment) -> bool:
    """Whether the pages offer a preview: by the claimed type, so a page reads no
    file; the preview itself is served only if the bytes agree."""
    return attachment.content_type.lower() in PREVIEW_TYPES


def attachment_response(attachment: Attachment, *, inline: bool = False) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    shown = None
    if inline:
        shown = picture_type(handle.read(12))
        handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=shown is None,
        filename=attachment.filename,
        # Never the stored type: a file claiming text/html must not run as a page.
        content_type=shown or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
