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
`data:` images are left as they are. `cid:` images name a part of the same
message: given the message's pictures (`inline`, content ID to URL, from the
ticket pages), each is pointed at its file, and one the message lacks becomes a
line that says so; without it (alert mail), they are left as they are.

A link cannot hold another link: an image inside `<a>` (a clickable banner, a
logo linking home) would become an `<a>` inside an `<a>`, which a browser splits,
taking part of the sender's link away from its text or giving ours its target. So
inside a link the placeholder is plain text, and the link to the image follows the
outermost enclosing link, after it closes.

A newsletter can carry hundreds of images, a hostile message thousands: at most
MAX_PLACEHOLDERS images per message become a placeholder; the others are dropped,
and one line at the end says how many were not shown.

The stored body does not change: the rewrite happens on the way out, so a later
"show images" choice needs no migration. The input must already be sanitized
(helpline.lib.html.sanitize): this module rewrites `<img>` tags and passes
everything else through as it is; it is not a sanitizer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_IMG = re.compile(r"<img\b", re.IGNORECASE)
# Browsers strip leading and trailing C0 controls and spaces from a URL, and drop
# tabs and newlines anywhere in it.
_EDGES = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_ALT_MAX = 80
# Placeholders per message; more would bury the message under lines of links.
MAX_PLACEHOLDERS = 50


class _ImageTags(HTMLParser):
    """Finds each <img> start tag (where it is in the source, and its attributes)
    and each <a> start and end tag, in the order they come."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0]
        for match in re.finditer("\n", source):
            self._line_starts.append(match.end())
        # ("img", start, end, attributes), ("a", ...) or ("/a", ...)
        self.found: list[tuple[str, int, int, dict[str, str]]] = []

    def _start(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"img", "a"}:
            return
        start = self._start()
        text = self.get_starttag_text() or ""
        values = {name: value or "" for name, value in attrs}
        self.found.append((tag, start, start + len(text), values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":  # "<a/>" opens nothing in HTML either: only images count
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            start = self._start()
            end = self._source.find(">", start) + 1 or len(self._source)
            self.found.append(("/a", start, end, {}))


def _normalized(src: str) -> str:
    return _TAB_NEWLINE.sub("", src.strip(_EDGES)).replace("\\", "/")


def _display_host(host: str) -> str:
    """The host as ASCII (punycode), so a look-alike name cannot pass for another."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _label(alt: str, host: str, *, linked: bool) -> str:
    if linked:
        text = (
            _("Remote image “%(alt)s” from %(host)s blocked — open")
            if alt
            else _("Remote image from %(host)s blocked — open")
        )
    else:
        text = (
            _("Remote image “%(alt)s” from %(host)s blocked (link follows)")
            if alt
            else _("Remote image from %(host)s blocked (link follows)")
        )
    return text % {"alt": alt, "host": _display_host(host)}


def content_key(content_id: str) -> str:
    """A Content-ID as `inline` maps it: without angle brackets, lower case."""
    return content_id.strip().strip("<>").strip().lower()


def _inline_image(url: str, alt: str, inline: Mapping[str, str]) -> str:
    """A `cid:` image pointed at its file, or a line saying the message lacks it."""
    alt = " ".join(alt.split())[:_ALT_MAX]
    found = inline.get(content_key(unquote(url[4:])))
    if found:
        return format_html(
            '<img class="inline-image" src="{}" alt="{}" loading="lazy">', found, alt
        )
    label = (
        _("Picture “%(alt)s”: not in the message") % {"alt": alt}
        if alt
        else _("A picture that is not in the message")
    )
    return format_html('<span class="remote-image">{}</span>', label)


def _placeholder(
    src: str, alt: str, *, in_link: bool, inline: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """The markup that replaces one image, and the link to the image to put after
    the enclosing link ("" if none); None to keep the image as it is."""
    url = _normalized(src)
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # e.g. a malformed IPv6 literal
        parts, host = None, ""
    scheme = parts.scheme.lower() if parts else ""
    if scheme == "cid" and inline is not None:
        return _inline_image(url, alt, inline), ""
    if scheme in {"cid", "data"}:
        return None
    alt = " ".join(alt.split())[:_ALT_MAX]
    if host and scheme in {"http", "https", ""}:
        href = url if scheme else "https:" + url
        link = format_html(
            '<a class="remote-image" href="{}" target="_blank" '
            'rel="noopener noreferrer nofollow" title="{}">{}</a>',
            href,
            href,
            _label(alt, host, linked=True),
        )
        if not in_link:
            return link, ""
        text = format_html(
            '<span class="remote-image" title="{}">{}</span>',
            href,
            _label(alt, host, linked=False),
        )
        return text, link
    label = (
        _("Image “%(alt)s” blocked: its address is not a web address") % {"alt": alt}
        if alt
        else _("Image blocked: its address is not a web address")
    )
    return format_html('<span class="remote-image">{}</span>', label), ""


def _not_shown(count: int) -> str:
    return format_html(
        '<p class="remote-image-more">{}</p>',
        ngettext(
            "… and %(count)d more remote image, not shown.",
            "… and %(count)d more remote images, not shown.",
            count,
        )
        % {"count": count},
    )


def block_remote_images(body: str, inline: Mapping[str, str] | None = None) -> SafeString:
    """Sanitized HTML with each remote image replaced by a link to it, and each
    `cid:` image pointed at its file in `inline` (content key to URL), if given."""
    if not _IMG.search(body):
        return mark_safe(body)  # noqa: S308 - sanitized on the way in
    parser = _ImageTags(body)
    parser.feed(body)
    parser.close()
    pieces: list[str] = []
    done = 0
    depth = 0  # of <a> elements around this point
    after_link: list[str] = []  # links to images inside the current outermost <a>
    shown = hidden = 0
    for kind, start, end, attrs in parser.found:
        if kind == "a":
            depth += 1
            continue
        if kind == "/a":
            depth = max(depth - 1, 0)
            if depth == 0 and after_link:
                pieces += [body[done:end], *after_link]
                done = end
                after_link = []
            continue
        if "src" not in attrs:
            continue
        replacement = _placeholder(
            attrs["src"], attrs.get("alt", ""), in_link=depth > 0, inline=inline
        )
        if replacement is None:
            continue
        if replacement[0].startswith("<img"):  # a picture of the message's own
            pieces += [body[done:start], replacement[0]]
        elif shown < MAX_PLACEHOLDERS:
            shown += 1
            pieces += [body[done:start], replacement[0]]
            if replacement[1]:
                after_link.append(replacement[1])
        else:
            hidden += 1
            pieces.append(body[done:start])
        done = end
    pieces.append(body[done:])
    pieces += after_link  # an <a> left open (not in sanitized markup): after all
    if hidden:
        pieces.append(_not_shown(hidden))
    return mark_safe("".join(pieces))  # noqa: S308 - sanitized on the way in, images replaced
