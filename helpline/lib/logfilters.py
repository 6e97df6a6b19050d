"""Logging filters (settings.LOGGING).

`QuietDisallowedHost`: a request whose Host header is not in ALLOWED_HOSTS is a
400, and Django logs it on `django.security.DisallowedHost` at ERROR with the
exception's full traceback. Scanners send such requests all day: every one was
a traceback in the log (and a mail to the admins where `mail_admins` is on),
drowning the errors that matter. The host is the visitor's mistake or probe,
not ours: one WARNING line that names it, without the traceback, is enough.
The 400 itself stays Django's plain page (no template: the host is untrusted).
"""

from __future__ import annotations

import logging


class QuietDisallowedHost(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True
