"""Checking uploaded files against the configured limits, for every channel."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpline.tickets.lifecycle import Upload


def allowed_extensions() -> list[str]:
    return [e.strip().lower() for e in settings.HELPLINE_ATTACHMENT_EXTENSIONS if e.strip()]


def limits_text() -> str:
    """A sentence for the form's help text."""
    count = settings.HELPLINE_MAX_ATTACHMENTS
    return ngettext(
        "Up to %(count)d file, %(size)s each: %(types)s",
        "Up to %(count)d files, %(size)s each: %(types)s",
        count,
    ) % {
        "count": count,
        "size": filesizeformat(settings.HELPLINE_MAX_ATTACHMENT_BYTES),
        "types": ", ".join(allowed_extensions()),
    }


def clean_filename(name: str) -> str:
    """The file's own name without any path a browser or client sent along."""
    name = PurePath(name.replace("\\", "/")).name.strip().replace("\x00", "")
    return name[:200] or "attachment"


def check_uploads(files: Iterable[UploadedFile]) -> list[Upload]:
    """Read and check uploaded files; raise ValidationError with every problem."""
    files = list(files)
    errors: list[str] = []
    if len(files) > settings.HELPLINE_MAX_ATTACHMENTS:
        most = settings.HELPLINE_MAX_ATTACHMENTS
        errors.append(
            ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", most)
            % {"count": most}
        )
    uploads: list[Upload] = []
    extensions = allowed_extensions()
    for f in files:
        name = clean_filename(f.name or "")
        ext = PurePath(name).suffix.lower()
        if ext not in extensions:
            errors.append(
                _("“%(name)s”: files of type %(type)s are not accepted.")
                % {"name": name, "type": ext or _("(none)")}
            )
            continue
        if f.size is not None and f.size > settings.HELPLINE_MAX_ATTACHMENT_BYTES:
            errors.append(
                _("“%(name)s” is %(size)s; the limit is %(limit)s.")
                % {
                    "name": name,
                    "size": filesizeformat(f.size),
                    "limit": filesizeformat(settings.HELPLINE_MAX_ATTACHMENT_BYTES),
                }
            )
            continue
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        uploads.append(Upload(filename=name, content_type=content_type, content=f.read()))
    if errors:
        raise ValidationError(errors)
    return uploads
