"""Cutting the quoted conversation off a reply, so the thread shows only what is new.

Mail clients quote the whole earlier message below (or above) the answer. We cut at,
whichever comes first:

- our own marker line, `-- Reply above this line to add to ticket #NNNNNN --` (in
  the customer's language), which outbound mail carries at its top (quoted or not,
  the reply is what is above it);
- an attribution line such as "On Mon, 3 Jun 2024, Ken <ken@example.com> wrote:"
  in the languages our customers write most (Gmail wraps it over two or three lines);
- Outlook's "-----Original Message-----" line or its "From: / Sent: / Subject:"
  header block (with the line of underscores Outlook on the web puts above it);

then drop a trailing block of "> " lines. A small function rather than the
`mail-parser-reply` library: these rules are all our users' mail needs, they run on
text we already decoded, and a dependency would bring its own language tables to
keep in step with ours (docs/decisions.md).

Only replies into an existing ticket are cut: a new ticket keeps a forwarded
conversation whole, since there it is the context the agent needs.
"""

from __future__ import annotations

import re
from functools import cache

from helpline.notify.rendering import marker_starts


def _markers() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Our marker line's start in every language the site speaks (a customer may
    answer mail sent in a language they have since left): at the start of a text
    line (after quoting and dashes), and anywhere in HTML. Compiled once per set of
    starts, read anew each time: compiled once on first use, the translations of
    that moment stayed for the life of the process, and in one test order on CI
    (PostgreSQL, 5a87725; not reproduced alone) our marker was not cut."""
    return _compiled(tuple(marker_starts()))


@cache
def _compiled(found: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    starts = "|".join(re.escape(start) for start in found)
    return (
        re.compile(rf"^[>\s]*-*\s*(?:{starts})", re.IGNORECASE),
        re.compile(starts, re.IGNORECASE),
    )


# "On <date>, <name> wrote:" and its translations: (start of the line, the verb).
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\s.+\swrote"  # English
    r"|Am\s.+\sschrieb.*"  # German
    r"|Le\s.+\sa\s+écrit"  # French
    r"|El\s.+\sescribió"  # Spanish
    r"|Il\s.+\sha\s+scritto"  # Italian
    r"|Op\s.+\sschreef.*"  # Dutch
    r"|Em\s.+\sescreveu"  # Portuguese
    r"|W\s+dniu\s.+\spisze"  # Polish
    r"|(?:Den|På)\s.+\sskrev\b.*|.+\sskrev(?:\sfølgende)?"  # Danish, Norwegian, Swedish
    r"|.+\s(?:kirjoitti|написал|написала|napsal)"  # Finnish, Russian, Czech
    r"|.+写道"  # Chinese
    r")\s*[:\uff1a]\s*$",  # a colon, or the full-width one of CJK text
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Van|Da|Från|Od)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha|Inviato|Verzonden|Skickat|"
    r"Wysłano|Data)\s*\*?\s*:",
    re.IGNORECASE,
)
_HEADER_SUBJECT = re.compile(
    r"^\s*\*?(?:Subject|Betreff|Objet|Asunto|Oggetto|Onderwerp|Ämne|Temat|Assunto)\s*\*?\s*:",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")


def _is_attribution(lines: list[str], i: int) -> bool:
    """An attribution starting at line i, possibly wrapped over up to three lines."""
    if not lines[i].strip() or lines[i].lstrip().startswith(">"):
        return False
    joined = lines[i]
    for k in range(3):
        if len(joined) <= 400 and _ATTRIBUTION.match(joined):
            return True
        if i + k + 1 >= len(lines) or not lines[i + k + 1].strip():
            return False
        joined = f"{joined} {lines[i + k + 1].strip()}"
    return False


def _is_outlook_header(lines: list[str], i: int) -> bool:
    """A "From:" line followed within a few lines by "Sent:"/"Date:" and "Subject:"."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    window = lines[i + 1 : i + 7]
    return any(_HEADER_SENT.match(line) for line in window) and any(
        _HEADER_SUBJECT.match(line) for line in window
    )


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything above the quoted earlier message."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if _markers()[0].match(line):
            lines = lines[:i]
            break
    for i in range(len(lines)):
        if _ORIGINAL.match(lines[i]) or _is_outlook_header(lines, i) or _is_attribution(lines, i):
            # Outlook on the web draws a line of underscores above its header block.
            while i > 0 and (_UNDERSCORES.match(lines[i - 1]) or not lines[i - 1].strip()):
                i -= 1
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines).strip()


# Where HTML mail clients start the quoted message: Gmail, Apple Mail/Thunderbird
# (blockquote type=cite, moz-cite-prefix), Outlook (appendonsend, divRplyFwdMsg, the
# top border of its header block), Outlook.com (stopSpelling). A tag never crosses a
# "<" here, so that a long run of unclosed "<div " costs linear time, not quadratic.
_HTML_QUOTE_STARTS = re.compile(
    r"<div[^<>]*class=[\"']?[^\"'<>]*\bgmail_quote"
    r"|<blockquote[^<>]*type=[\"']?cite"
    r"|<div[^<>]*class=[\"']?[^\"'<>]*\bmoz-cite-prefix"
    r"|<div[^<>]*id=[\"']?(?:appendonsend|divRplyFwdMsg)"
    r"|<hr[^<>]*id=[\"']?stopSpelling"
    r"|<div[^<>]*border-top:\s*solid\s*#(?:E1E1E1|B5C4DF)",
    re.IGNORECASE,
)
_OPENING_TAG = re.compile(r"<[a-z][a-z0-9]*\b[^<>]*>", re.IGNORECASE)


def _block_start(prefix: str) -> int:
    """Where the block holding the marker starts: back over the opening tags, spaces
    and dashes that stand just before its text (a loop, not a `$`-anchored regex,
    whose search would be quadratic on long runs of spaces)."""
    end = len(prefix)
    while True:
        stripped = prefix[:end].rstrip(" \t\r\n-")
        if stripped.endswith("&nbsp;"):
            end = len(stripped) - len("&nbsp;")
            continue
        lt = stripped.rfind("<")
        if stripped.endswith(">") and lt >= 0 and _OPENING_TAG.fullmatch(stripped[lt:]):
            end = lt
            continue
        return len(stripped)


def strip_quoted_html(html: str) -> str:
    """The new part of an HTML reply (raw HTML in, raw HTML out: sanitize after).

    Cut at our marker (with the tags that open its block) or at the first quote
    container a known mail client writes. Cutting leaves tags open; the sanitizer
    closes them.
    """
    cut = len(html)
    marker = _markers()[1].search(html)
    if marker:
        cut = _block_start(html[: marker.start()])
    quote = _HTML_QUOTE_STARTS.search(html, 0, cut)
    if quote:
        cut = quote.start()
    return html[:cut]
