"""HTML that people send us, made safe on the way in (nh3, the Ammonia sanitizer).

Bodies are stored sanitized and rendered with `|safe` only after passing here;
everything else is rendered escaped by Django's templates.
"""

from __future__ import annotations

import html
import re

import nh3

# What a help-desk message needs: text formatting, lists, quotes, code, tables,
# links and inline images. No scripts, styles, forms or event handlers.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid"}


def sanitize(body: str) -> str:
    """Sanitize untrusted HTML; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


_BLANK_LINES = re.compile(r"\n\s*\n+")


def text_to_html(text: str) -> str:
    """Plain text (what a textarea sends) as escaped paragraphs and line breaks."""
    text = text.replace("\r\n", "\n").strip()
    paragraphs = _BLANK_LINES.split(text)
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p.strip()
    )


def is_blank(body_html: str) -> bool:
    """True when the sanitized body has no visible text and no image."""
    if "<img" in body_html:
        return False
    return not nh3.clean(body_html, tags=set()).strip()


_BLANK_RUN = re.compile(r"\n{3,}")
_SPACE = re.compile(r"\s+")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LI = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_BLOCK_END = re.compile(
    r"</(?:p|div|h[1-6]|tr|blockquote|pre|table|ul|ol)\s*>|<hr\b[^>]*>", re.IGNORECASE
)
_LINK = re.compile(r"<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)


def _link_text(match: re.Match[str]) -> str:
    href, label = match.group(1), match.group(2)
    return label if href in label or not href else f"{label} ({href})"


def html_to_text(body: str) -> str:
    """Readable plain text of a sanitized HTML body, for the text part of a mail:
    paragraphs and line breaks kept, list items dashed, links spelled out."""
    text = _SPACE.sub(" ", body)
    text = _LINK.sub(_link_text, text)
    text = _BR.sub("\n", text)
    text = _LI.sub("\n- ", text)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()
