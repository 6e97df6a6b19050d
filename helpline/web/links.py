"""Where a form sends the person back to: a path of this site's desk, never a URL
given by somebody else (an open redirect)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def desk_back(request: HttpRequest, raw: str, default: str = "/desk/") -> str:
    """`raw` if it is a path under /desk/ on this host (cut at 2,000 characters),
    else `default`."""
    ok = raw.startswith("/desk/") and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return raw[:2000] if ok else default
