"""Remote images in the HTML people send us, shown as links instead of loaded.

A remote image in a mail is as often a tracking pixel as a picture: fetching it
tells the sender that, when and from which address an agent read the message. Our
Content-Security-Policy (`img-src 'self' data:`) already stops browsers from
fetching it; this module turns the broken image that leaves into a feature: at
render time each remote `<img>` becomes a small placeholder that names the image's
host and links to it, so an agent who wants the picture opens it deliberately, in
a new tab ("Remote image from example.com blocked — open").

Why not a proxy that fetches the image for the reader (as webmail does): it still
tells the sender when the message was read, and it makes our server fetch any URL a
stranger names (server-side request forgery into the internal network).

What counts as remote is what a browser would fetch from elsewhere: `http:` and
`https:` URLs, and scheme-relative ones (`//host/x`, also spelled with backslashes,
which browsers read as slashes). A relative path would be fetched from our own
site as the agent, so it is blocked too, without a link (it has no host to name).
`cid:` images (parts of the same mail) and `data:` images are left as they are.

The stored body does not change: the rewrite happens on the way out, so a later
"show images" choice needs no migration. The input must already be sanitized
(helpline.lib.html.sanitize): this module rewrites `<img>` tags and passes
everything else through as it is; it is not a sanitizer.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_IMG = re.compile(r"<img\b", re.IGNORECASE)
# Browsers strip leading and trailing C0 controls and spaces from a URL, and drop
# tabs and newlines anywhere in it.
_EDGES = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_ALT_MAX = 80


class _ImageTags(HTMLParser):
    """Finds each <img> start tag: where it is in the source, and its attributes."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._line_starts = [0]
        for match in re.finditer("\n", source):
            self._line_starts.append(match.end())
        self.found: list[tuple[int, int, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        text = self.get_starttag_text() or ""
        values = {name: value or "" for name, value in attrs}
        self.found.append((start, start + len(text), values))

    handle_startendtag = handle_starttag


def _normalized(src: str) -> str:
    return _TAB_NEWLINE.sub("", src.strip(_EDGES)).replace("\\", "/")


def _display_host(host: str) -> str:
    """The host as ASCII (punycode), so a look-alike name cannot pass for another."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _placeholder(src: str, alt: str) -> str | None:
    """The markup that replaces one image, or None to keep the image as it is."""
    url = _normalized(src)
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # e.g. a malformed IPv6 literal
        parts, host = None, ""
    scheme = parts.scheme.lower() if parts else ""
    if scheme in {"cid", "data"}:
        return None
    alt = " ".join(alt.split())[:_ALT_MAX]
    if host and scheme in {"http", "https", ""}:
        href = url if scheme else "https:" + url
        label = (
            _("Remote image “%(alt)s” from %(host)s blocked — open")
            if alt
            else _("Remote image from %(host)s blocked — open")
        ) % {"alt": alt, "host": _display_host(host)}
        return format_html(
            '<a class="remote-image" href="{}" target="_blank" '
            'rel="noopener noreferrer nofollow" title="{}">{}</a>',
            href,
            href,
            label,
        )
    label = (
        _("Image “%(alt)s” blocked: its address is not a web address") % {"alt": alt}
        if alt
        else _("Image blocked: its address is not a web address")
    )
    return format_html('<span class="remote-image">{}</span>', label)


def block_remote_images(body: str) -> SafeString:
    """Sanitized HTML with each remote image replaced by a link to it."""
    if not _IMG.search(body):
        return mark_safe(body)  # noqa: S308 - sanitized on the way in
    parser = _ImageTags(body)
    parser.feed(body)
    parser.close()
    pieces: list[str] = []
    done = 0
    for start, end, attrs in parser.found:
        replacement = _placeholder(attrs.get("src", ""), attrs.get("alt", ""))
        if replacement is None or "src" not in attrs:
            continue
        pieces += [body[done:start], replacement]
        done = end
    pieces.append(body[done:])
    return mark_safe("".join(pieces))  # noqa: S308 - sanitized on the way in, images replaced
