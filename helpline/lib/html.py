"""HTML that people send us, made safe on the way in (nh3, the Ammonia sanitizer).

Bodies are stored sanitized and rendered with `|safe` only after passing here;
everything else is rendered escaped by Django's templates.

Bounds before parsing. An HTML5 parser (html5ever, inside nh3) does work per tag in
proportion to how deep the tag sits, and re-opens every formatting tag (`<b>`,
`<i>`, `<a>`, ...) that a block closed behind its back before each new piece of
text. So 40,000 nested `<div>`s (440 KB) cost 40,000 x 40,000 steps, and 200
distinct unclosed `<b>`s followed by 20,000 paragraphs (160 KB) come out as 74 MB
of HTML; measured on our machines: 0.5 s for 20,000 nested divs (four times that
per doubling), 1.2 s for the `<b>` case. Held inside a write transaction, either
took the whole site down. `check_html` is a linear scan, done before any parser sees
the text, that estimates what the parser would build:

- size: at most MAX_HTML_CHARS characters;
- elements: at most MAX_ELEMENTS start tags (every `<` followed by a letter
  counts, inside comments and attribute values too: an over-count);
- depth: at most MAX_DEPTH open elements, following the HTML5 tree builder's
  stack (end tags close only where the parser would close them, rawtext elements
  such as `<style>` and `<script>` are skipped as the tokenizer skips them;
  anything it does not model, such as SVG, MathML or templates, makes it assume
  that every later tag stays open);
- re-opened formatting tags: at most MAX_REBUILT in all.

Every estimate errs on the side of too much, never too little: a document the scan
accepts is parsed in milliseconds (tested against the known quadratic shapes and
random tag soup in lib/tests/test_html_bounds.py). What fails the check is never
handed to the parser: `sanitize` falls back to the text with the tags stripped
(linear regular expressions), and the callers keep the original as an attachment.

`SafeHTML` marks a string that is already safe (sanitized here, or built escaped by
`text_to_html`), so that work done once before a transaction is not repeated
inside it.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import nh3
from django.utils.translation import gettext as _

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

# The bounds (see the module docstring). Real mail stays far below them: a long
# Outlook thread of 300 KB has about 5,000 tags nested 30 deep.
MAX_HTML_CHARS = 1_000_000
MAX_ELEMENTS = 20_000
MAX_DEPTH = 200
MAX_REBUILT = 20_000
# The largest body stored: bigger ones are shortened (with a note) and the whole
# original is kept as an attachment. Every alert mail repeats the body.
MAX_BODY_CHARS = 256 * 1024


class SafeHTML(str):
    """HTML that is safe to store and show: the output of `sanitize` or
    `text_to_html`. Joining two SafeHTML strings gives SafeHTML; joining one with
    a plain string gives a plain string, which `sanitize` will clean again."""

    def __add__(self, other: str) -> str:
        joined = str.__add__(self, other)
        return SafeHTML(joined) if isinstance(other, SafeHTML) else joined


def sanitize(body: str, *, checked: bool = False) -> SafeHTML:
    """Sanitize untrusted HTML; links get rel="noopener noreferrer nofollow".

    HTML beyond the bounds is not parsed: its text, tags stripped, is returned as
    escaped paragraphs instead (callers that must say so use `check_html` first,
    and pass `checked=True` so that the scan is not run twice)."""
    if isinstance(body, SafeHTML):
        return body
    if not checked and check_html(body):
        return text_to_html(strip_tags(body))
    return SafeHTML(
        nh3.clean(
            body,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        ).strip()
    )


_BLANK_LINES = re.compile(r"\n\s*\n+")


def text_to_html(text: str) -> SafeHTML:
    """Plain text (what a textarea sends) as escaped paragraphs and line breaks."""
    text = text.replace("\r\n", "\n").strip()
    paragraphs = _BLANK_LINES.split(text)
    # Escaped as nh3 writes text, so that the result needs no second pass.
    return SafeHTML(
        "".join(
            "<p>" + _escape_text(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p.strip()
        )
    )


def fit_text(text: str, limit: int) -> str:
    """The longest beginning of `text` (marked " [...]" when cut) whose
    `text_to_html` is at most `limit` characters long."""
    size = len(text_to_html(text))
    kept = len(text)
    while size > limit:  # escaping makes the HTML up to six times the text
        kept = max(0, kept * limit // size - 8)
        size = len(text_to_html(text[:kept] + " [...]"))
    return text if kept == len(text) else text[:kept] + " [...]"


def _escape_text(text: str) -> str:
    return html.escape(text, quote=False).replace("\xa0", "&nbsp;")


# A tag of sanitized HTML: nh3 writes every attribute value in double quotes, and a
# `>` may stand inside one.
_SAFE_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')


def is_blank(body_html: str) -> bool:
    """True when the (sanitized) body has no visible text and no image."""
    body = sanitize(body_html)
    if "<img" in body:
        return False
    # Sanitized HTML has no comments, scripts or styles: its text is what is left
    # between the tags (entities such as &nbsp; count as text, as nh3 counts them).
    return not _SAFE_TAG.sub("", body).strip()


_BLANK_RUN = re.compile(r"\n{3,}")
_SPACE = re.compile(r"\s+")
# html_to_text reads sanitized HTML with these patterns alone, never with a parser:
# every tag pattern stops at the next "<" (a quoted attribute value may hold "<"
# and ">", as nh3 writes them), and is possessive, so that each "<" costs what
# lies up to the next one and the whole is linear whatever the input.
_ATTRS = r'(?:[^<>"]|"[^"]*+")*+'
_BR = re.compile(r"<br\b" + _ATTRS + ">", re.IGNORECASE)
_LI = re.compile(r"<li\b" + _ATTRS + ">", re.IGNORECASE)
# Lists and their items, to number an ordered list's items; quotes, to mark their
# lines; pictures, to say where one was (by its alternative text).
_LIST_TAG = re.compile(r"<(/?)(ol|ul|li)\b" + _ATTRS + ">", re.IGNORECASE)
_QUOTE_TAG = re.compile(r"<(/?)blockquote\b" + _ATTRS + ">", re.IGNORECASE)
_IMG = re.compile(r"<img\b(" + _ATTRS + ")>", re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*+)"', re.IGNORECASE)
_QUOTE_IN, _QUOTE_OUT = "\x01", "\x02"  # a quote's edges, on lines of their own
QUOTE_MARKS = 8
_BLOCK_END = re.compile(
    r"</(?:p|div|h[1-6]|tr|blockquote|pre|table|ul|ol)\s*+>|<hr\b" + _ATTRS + ">",
    re.IGNORECASE,
)
# A link and its label, up to its own end tag; the label never runs past another
# link's start or end tag, so an unclosed <a> costs only the text up to the next.
_LINK = re.compile(r"<a\b(" + _ATTRS + r")>((?:[^<]++|<(?!/?a\b))*+)</a\s*+>", re.IGNORECASE)
_HREF = re.compile(r'\bhref="([^"]*+)"', re.IGNORECASE)
_ANY_SAFE_TAG = re.compile(r"<[A-Za-z/!?]" + _ATTRS + ">")


def _link_text(match: re.Match[str]) -> str:
    href_match = _HREF.search(match.group(1))
    href, label = (href_match.group(1) if href_match else ""), match.group(2)
    # Line breaks at the end of the label (an editor puts them inside the link)
    # go after the address, which belongs with the words.
    # One pass back from the end (each character looked at once: linear).
    end = len(label)
    while True:
        while end and label[end - 1].isspace():
            end -= 1
        start = label.rfind("<", 0, end)
        if start == -1 or not _BR.fullmatch(label, start, end):
            break
        end = start
    words, breaks = label[:end], label[end:]
    return words + breaks if href in words or not href else f"{words} ({href}){breaks}"


def _list_items(body: str) -> str:
    """Each list item on a line of its own: "1. " in an ordered list, "- " else.
    The end of a whole list ends a block, as a paragraph's does: the text after
    it (the editor's next <div>, or none at all) starts a paragraph of its own,
    never the last item's line. A list inside an item ends with no more than its
    line: the outer list's next item follows on the next line."""
    counters: list[int | None] = []  # per open list: the next number, or None

    def item(match: re.Match[str]) -> str:
        closing, name = match.group(1), match.group(2).lower()
        if name != "li":
            if closing:
                if counters:
                    counters.pop()
                return "" if counters else "\n\n"
            counters.append(1 if name == "ol" else None)
            return ""
        if closing:
            return ""
        number = counters[-1] if counters else None
        if number is None:
            return "\n- "
        counters[-1] = number + 1
        return f"\n{number}. "

    return _LIST_TAG.sub(item, body)


def _picture_text(match: re.Match[str]) -> str:
    alt = _ALT.search(match.group(1))
    return f"\n[{alt.group(1)}]\n" if alt and alt.group(1).strip() else ""


def _quoted_lines(lines: list[str]) -> list[str]:
    """Lines within quotes marked "> " (once per quote they are in)."""
    depth, kept, opening = 0, [], False
    for line in lines:
        if line == _QUOTE_IN:
            if depth == 0:
                kept.append("")  # a blank line before a quote
            depth += 1
            opening = True
        elif line == _QUOTE_OUT:
            while kept and kept[-1].startswith(">") and not kept[-1].strip("> "):
                kept.pop()  # the quote's own empty last lines
            depth = max(depth - 1, 0)
            if depth == 0:
                kept.append("")  # and after it
        elif opening and not line:
            continue  # no empty lines where a quote starts
        else:
            opening = False
            # Marks for at most QUOTE_MARKS levels: a thousand nested quotes (what
            # a hostile body may hold) must not make each line a thousand long.
            kept.append(("> " * min(depth, QUOTE_MARKS) + line).rstrip() if depth else line)
    return kept


def html_to_text(body: str) -> str:
    """Readable plain text of a sanitized HTML body, for the text part of a mail:
    paragraphs and line breaks kept, list items dashed, links spelled out. Only
    for sanitized HTML (stored bodies, `sanitize`'s output), which it reads with
    linear patterns: no parser.

    It used to strip the tags with nh3 after turning block end tags into line
    breaks, and html5ever then nested every later block in the one whose end tag
    had gone: 19,000 sibling <div>s (228 KB, within the bounds and the stored size)
    took 0.5 s, four times that per doubling, inside the transaction that queues
    the mail. Remembered for the last few bodies: the lifecycle renders a body's
    text before its transaction opens (lifecycle.core.Body.text), and the outbox
    asks for the same body's text again inside it."""
    return _remembered_text(str(body))  # one key for SafeHTML and the row's str


@lru_cache(maxsize=8)
def _remembered_text(body: str) -> str:
    return _to_text(body)


def _to_text(body: str) -> str:
    text = _SPACE.sub(" ", body).replace(_QUOTE_IN, "").replace(_QUOTE_OUT, "")
    text = _LINK.sub(_link_text, text)
    text = _IMG.sub(_picture_text, text)
    text = _BR.sub("\n", text)
    text = _list_items(text)
    text = _QUOTE_TAG.sub(lambda m: f"\n{_QUOTE_OUT if m.group(1) else _QUOTE_IN}\n", text)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(_ANY_SAFE_TAG.sub("", text))
    lines = _quoted_lines([line.strip() for line in text.split("\n")])
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


# --- the fallback: text without parsing ---------------------------------------------

# Each pattern consumes what it scans, so stripping is linear whatever the input:
# an unclosed comment or script runs to the end, a tag never crosses a `<`.
_SKIPPED = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|title|textarea|noscript|xmp)\b[^<>]*+>?.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_LINE_TAG = re.compile(
    r"</?(?:br|p|div|li|tr|h[1-6]|blockquote|table|hr|pre|ul|ol|dd|dt)(?![^\t\n\f\r />])[^<>]*+>?",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*+>?|<[!?/][^<>]*+>?")


def strip_tags(body: str) -> str:
    """The text of HTML without an HTML parser, in linear time: for HTML beyond the
    bounds. Comments, scripts and styles go; block tags become line breaks. Reads
    the first MAX_HTML_CHARS characters only (more text than a body keeps)."""
    text = _SKIPPED.sub("", body[:MAX_HTML_CHARS])
    text = _ANY_TAG.sub("", _LINE_TAG.sub("\n", text))
    text = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_EDGE.sub("\n", _INLINE_SPACE.sub(" ", text))
    return _BLANK_RUN.sub("\n\n", text).strip()


_INLINE_SPACE = re.compile(r"[^\S\n]+")
_LINE_EDGE = re.compile(r" ?\n ?")


# --- bounds: a linear look at HTML before any parser sees it --------------------------


@dataclass(frozen=True)
class Shape:
    """What the HTML5 tree builder would build from a text, estimated from above."""

    chars: int
    elements: int
    depth: int
    rebuilt: int


def check_html(body: str) -> str:
    """ "" when the HTML is within the bounds; else why it is not, in a sentence."""
    if len(body) > MAX_HTML_CHARS:
        return _("The HTML is {size:,} characters long; Helpline reads at most {limit:,}.").format(
            size=len(body), limit=MAX_HTML_CHARS
        )
    shape = measure(body)
    if shape.elements > MAX_ELEMENTS:
        return _("The HTML has {count:,} tags; Helpline reads at most {limit:,}.").format(
            count=shape.elements, limit=MAX_ELEMENTS
        )
    if shape.depth > MAX_DEPTH:
        return _("The HTML nests tags {depth:,} deep; Helpline reads at most {limit:,}.").format(
            depth=shape.depth, limit=MAX_DEPTH
        )
    if shape.rebuilt > MAX_REBUILT:
        return _(
            "The HTML leaves formatting tags open so that they would repeat {count:,} times; "
            "Helpline reads at most {limit:,}."
        ).format(count=shape.rebuilt, limit=MAX_REBUILT)
    return ""


_STARTS = re.compile(r"<[A-Za-z]")
# A start or end tag with its attributes, as the HTML5 tokenizer reads it: quoted
# values may hold `>` and `<`; an unterminated tag runs to the end. Possessive, so
# that it never backtracks.
_TAG = re.compile(
    r"<(/?)([A-Za-z][^\t\n\f\r />]*+)"
    r"((?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"
    r"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+\"?|'[^']*+'?|[^\t\n\f\r >]*+))?+)*+)>?"
)
_COMMENT_END = re.compile(r"--!?>")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VOID = _words(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta "
    "param source track wbr"
)
# Start tags the tree builder never puts on the stack in a body.
_IGNORED = _words("html head body frameset")
_FORMATTING = _words("a b big code em font i nobr s small strike strong tt u")
_SPECIAL = _words(
    "address applet area article aside base basefont bgsound blockquote body br button "
    "caption center col colgroup dd details dir div dl dt embed fieldset figcaption figure "
    "footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img "
    "input keygen li link listing main marquee menu meta nav noembed noframes noscript "
    "object ol p param plaintext pre script search section select source style summary "
    "table tbody td template textarea tfoot th thead title tr track ul wbr xmp"
)
# Elements that end the "in scope" search (all of them special).
_SCOPE = _words("applet caption html table td th marquee object template")
_BUTTON_SCOPE = _SCOPE | {"button"}
_LIST_SCOPE = _SCOPE | {"ol", "ul"}
_TABLE_SCOPE = _words("html table template")
# Start tags that close an open <p> first.
_CLOSES_P = _words(
    "address article aside blockquote center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup main menu nav ol p search section summary ul "
    "h1 h2 h3 h4 h5 h6 pre listing form hr xmp"
)
_HEADINGS = _words("h1 h2 h3 h4 h5 h6")
# Start tags before which the parser does not re-open formatting elements.
_NO_RECONSTRUCT = (_CLOSES_P - {"xmp"}) | _words(
    "li dd dt table caption colgroup col tbody thead tfoot tr td th style script title "
    "noscript noframes iframe noembed textarea base link meta"
)
# Elements whose content the tokenizer reads as text up to their own end tag.
_RAWTEXT = _words("style xmp iframe noembed noframes noscript textarea title")
# What the scan does not model: from here on every start tag is assumed to stay open.
_UNMODELLED = _words("svg math template plaintext")


class _Open:
    """An element on the simulated stack; a formatting one is also in `active`."""

    __slots__ = ("attrs", "index", "live", "name", "open")

    def __init__(self, name: str, attrs: str = "") -> None:
        self.name = name
        self.attrs = attrs
        self.index = -1  # where it stands on the stack
        self.open = True  # on the stack of open elements
        self.live = True  # in the list of active formatting elements


_NOT_ITEM_LIMIT = frozenset({"address", "div", "p"})


class _Builder:
    """The parts of the HTML5 tree builder that decide how deep the tree grows and
    how many formatting elements it re-opens. Where the real one might keep more
    open, this one keeps more open too; it never closes what the real one keeps.

    Each element's position is indexed by name, so that "is there a <p> in button
    scope" costs a few list looks, not a walk down the stack."""

    def __init__(self) -> None:
        self.stack: list[_Open] = []
        self.at: dict[str, list[int]] = defaultdict(list)  # name -> positions on the stack
        self.special: list[int] = []  # positions of special elements
        self.item_limits: list[int] = []  # ... of those that stop the <li>/<dd> search
        self.active: list[_Open] = []  # formatting elements, live or not
        self.by_name: dict[str, list[_Open]] = defaultdict(list)
        self.by_key: dict[tuple[str, str], list[_Open]] = defaultdict(list)
        self.depth = 0
        self.rebuilt = 0

    # -- the stack

    def push(self, element: _Open) -> None:
        element.index = len(self.stack)
        self.stack.append(element)
        self.at[element.name].append(element.index)
        if element.name in _SPECIAL:
            self.special.append(element.index)
            if element.name not in _NOT_ITEM_LIMIT:
                self.item_limits.append(element.index)
        self.depth = max(self.depth, len(self.stack))

    def pop_to(self, index: int) -> None:
        """Pop the element at `index` and everything above it."""
        while len(self.stack) > index:
            element = self.stack.pop()
            element.open = False
            self.at[element.name].pop()
            if element.name in _SPECIAL:
                self.special.pop()
                if element.name not in _NOT_ITEM_LIMIT:
                    self.item_limits.pop()

    def top(self, names: frozenset[str] | set[str]) -> int:
        """Position of the topmost element named in `names`; -1 if none."""
        return max((self.at[name][-1] for name in names if self.at.get(name)), default=-1)

    def find(self, names: frozenset[str] | set[str], scope: frozenset[str]) -> int:
        """Position of the topmost element named in `names`, if it is in scope; else -1."""
        found = self.top(names)
        return found if found > self.top(scope - names) else -1

    def close_any(self, name: str) -> None:
        """`</name>` of an ordinary element: closes it unless a special element stands
        in between (the parser then ignores the end tag)."""
        found = self.top({name})
        if found >= 0 and (not self.special or self.special[-1] <= found):
            self.pop_to(found)

    # -- the list of active formatting elements

    def add_formatting(self, element: _Open) -> None:
        # Noah's Ark: at most three entries with the same tag and attributes.
        same = self.by_key[(element.name, element.attrs)]
        same[:] = [e for e in same if e.live]
        if len(same) >= 3:
            same.pop(0).live = False
        same.append(element)
        self.by_name[element.name].append(element)
        self.active.append(element)

    def last_active(self, name: str) -> _Open | None:
        entries = self.by_name.get(name)
        while entries:
            if entries[-1].live:
                return entries[-1]
            entries.pop()
        return None

    def reconstruct(self) -> None:
        """Re-open the formatting elements a block closed behind their back."""
        active = self.active
        while active and not active[-1].live:
            active.pop()
        i = len(active)
        while i and not (active[i - 1].live and active[i - 1].open):
            i -= 1
        if i == len(active):
            return
        reopened = []
        for old in active[i:]:
            if old.live:
                old.live = False
                new = _Open(old.name, old.attrs)
                self.by_name[new.name].append(new)
                self.by_key[(new.name, new.attrs)].append(new)
                self.push(new)
                reopened.append(new)
        active[i:] = reopened  # the dead entries go for good
        self.rebuilt += len(reopened)

    # -- tokens

    def start(self, name: str, attrs: str) -> None:
        if name in _IGNORED:
            return
        if name == "image":
            name = "img"
        if name in _CLOSES_P or name in ("li", "dd", "dt"):
            if name in ("li", "dd", "dt"):
                found = self.top({"li"} if name == "li" else {"dd", "dt"})
                if found >= 0 and (not self.item_limits or self.item_limits[-1] <= found):
                    self.pop_to(found)
            found = self.find({"p"}, _BUTTON_SCOPE)
            if found >= 0:
                self.pop_to(found)
            if name in _HEADINGS and self.stack and self.stack[-1].name in _HEADINGS:
                self.pop_to(len(self.stack) - 1)
        elif name in ("td", "th", "tr"):
            row = name == "tr"
            found = self.find(
                {"tr"} if row else {"td", "th"},
                _TABLE_SCOPE | {"tbody", "thead", "tfoot"} if row else _TABLE_SCOPE,
            )
            if found >= 0:
                self.pop_to(found)
            # A cell or row straight in a table gets the row group (and row) the
            # parser inserts for it.
            if self.stack and self.stack[-1].name == "table":
                self.push(_Open("tbody"))
            if not row and self.stack and self.stack[-1].name in ("tbody", "thead", "tfoot"):
                self.push(_Open("tr"))
        elif name in ("tbody", "thead", "tfoot"):
            found = self.find({"tbody", "thead", "tfoot"}, _TABLE_SCOPE)
            if found >= 0:
                self.pop_to(found)
        elif name == "a" and self.last_active("a") is not None:
            self.end("a")  # a link inside a link closes the first one
        if name not in _NO_RECONSTRUCT:
            self.reconstruct()
        if name in _VOID:
            return
        element = _Open(name, attrs)
        self.push(element)
        if name in _FORMATTING:
            self.add_formatting(element)

    def end(self, name: str) -> None:
        if name in _FORMATTING:
            entry = self.last_active(name)
            if entry is None:
                self.close_any(name)
            elif not entry.open:  # closed already: the parser only forgets it
                entry.live = False
            elif not self.special or self.special[-1] < entry.index:
                entry.live = False
                self.pop_to(entry.index)
            # else the adoption agency moves the formatting element below the block
            # in between: the tree stays as deep as it was. Keep both open.
        elif name == "form":
            # The parser takes the form out of the stack, leaving what it holds
            # open; the estimate keeps the form too (one more, never one less).
            return
        elif name in _SPECIAL:
            if name in ("table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"):
                scope = _TABLE_SCOPE if name == "table" else _TABLE_SCOPE | {"table"}
            else:
                scope = {"p": _BUTTON_SCOPE, "li": _LIST_SCOPE}.get(name, _SCOPE)
            found = self.find({name}, scope)
            if found >= 0:
                self.pop_to(found)
        else:
            self.close_any(name)

    def text(self) -> None:
        self.reconstruct()


# Matched on the body itself, ASCII letters only folded (as the tokenizer does):
# str.lower() changes lengths ("İ" becomes two characters), so positions in a
# lowered copy would not be positions in the body.
_RAWTEXT_ENDS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE | re.ASCII)
    for name in (*_RAWTEXT, "script")
}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_FORMATTING_STARTS = re.compile(
    r"<(?:a|b|big|code|em|font|i|nobr|s|small|strike|strong|tt|u)[\t\n\f\r />]", re.IGNORECASE
)


def _assume_open(builder: _Builder, body: str, pos: int) -> None:
    """From `pos` on, assume that every start tag stays open and that every
    formatting element is re-opened before every later tag."""
    rest = len(_STARTS.findall(body, pos))
    formatting = len([e for e in builder.active if e.live]) + len(
        _FORMATTING_STARTS.findall(body, pos)
    )
    builder.depth = max(builder.depth, len(builder.stack) + rest)
    builder.rebuilt += formatting * rest


def measure(body: str) -> Shape:
    """Estimate (from above) what an HTML5 parser would build from `body`; linear."""
    elements = len(_STARTS.findall(body))
    if elements > MAX_ELEMENTS:
        return Shape(len(body), elements, 0, 0)
    builder = _Builder()
    pos, size = 0, len(body)
    while pos < size:
        if builder.depth > MAX_DEPTH or builder.rebuilt > MAX_REBUILT:
            break
        lt = body.find("<", pos)
        if lt < 0:
            builder.text()
            break
        if lt > pos:
            builder.text()
        following = body[lt + 1 : lt + 2]
        tag = _TAG.match(body, lt)
        if tag is not None:
            pos = tag.end()
            name = tag.group(2).translate(_ASCII_LOWER)
            if tag.group(1):
                builder.end(name)
                continue
            if name in _UNMODELLED:
                _assume_open(builder, body, lt)
                break
            builder.start(name, tag.group(3).strip())
            if name in _RAWTEXT_ENDS:
                closing = _RAWTEXT_ENDS[name].search(body, pos)
                end = closing.start() if closing else size
                if name == "script" and "<!--" in body[pos:end]:
                    # Script text with "<!--" may run past its first end tag
                    # (double escaping), which this scan does not follow.
                    _assume_open(builder, body, pos)
                    break
                pos = end
        elif body.startswith("<!--", lt):
            if body.startswith(">", lt + 4):  # "<!-->"
                pos = lt + 5
            elif body.startswith("->", lt + 4):  # "<!--->"
                pos = lt + 6
            else:
                closing = _COMMENT_END.search(body, lt + 4)
                pos = closing.end() if closing else size
        elif following in ("!", "?", "/"):
            if body.startswith("</>", lt):
                pos = lt + 3
            else:  # a bogus comment, up to the next ">"
                closing_at = body.find(">", lt + 2)
                pos = closing_at + 1 if closing_at >= 0 else size
        else:  # a "<" that starts nothing: text
            builder.text()
            pos = lt + 1
    return Shape(size, elements, builder.depth, builder.rebuilt)
