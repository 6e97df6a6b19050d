"""Content-IDs: the ids that name a message's inline parts (`<img src="cid:...">`).

One comes from a stranger's mail and goes out again in a header of ours (a reply
that carries the picture), so only what a header may carry is kept: printable
ASCII without spaces or angle brackets (RFC 5322's msg-id, without its brackets),
at most 200 characters. Anything else is no id, and its part a plain attachment."""

from __future__ import annotations

import re

CONTENT_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]{1,200}")


def clean_content_id(raw: str) -> str:
    """The id without its brackets, or "" when it is not one we keep."""
    found = raw.strip().strip("<>").strip()
    return found if CONTENT_ID.fullmatch(found) else ""
