"""Serving attachments: always as a download, never rendered by the browser."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from helpline.tickets.models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        # Never the stored type: a file claiming text/html must not run as a page.
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
