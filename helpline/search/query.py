"""Reading what was typed into a search box: words, phrases, exclusions, qualifiers.

    vpn "cannot connect" -printer status:open assignee:me created:>2026-01-01

- a word, or a "quoted phrase", must be in the ticket (stemmed: "connecting"
  finds "connected");
- `-word` or `-"a phrase"` must not be;
- `key:value` (or `key:"a value"`) is a qualifier (helpline.search.filters), and
  `-key:value` its opposite;
- a search that is only a ticket number, whole or its first digits (`#` allowed),
  finds tickets by number.

Nothing typed reaches a database's query language as syntax: the words go as
parameters, quoted (backends). Bounds: `MAX_CHARS` characters, `MAX_TERMS`
words, phrases and exclusions, `MAX_QUALIFIERS` qualifiers; more is a
`BadSearch`, whose message is shown as is. A `key:` that is not a qualifier is
refused with the list of those that are, never searched as words or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

MAX_CHARS = 500
MAX_TERMS = 16
MAX_QUALIFIERS = 12
# The longest number a search by number looks at (ticket numbers are at most 20).
MAX_NUMBER = 20
QUALIFIERS = (
    "status",
    "state",
    "assignee",
    "team",
    "department",
    "topic",
    "priority",
    "from",
    "customer",
    "org",
    "created",
    "updated",
    "is",
    "has",
)
# Said when somebody types one we do not have (yet).
NOT_YET = {"tag": gettext_lazy("Tickets have no tags in Helpline.")}

# -? (key:)? ("quoted" | bare)
_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):(?!//))?(?:"([^"]*)"?|(\S+))')
_BARE_KEY = re.compile(r"[A-Za-z]+:")
# What mail programs put before a subject ("Re:", "Fwd:", German "AW:", "WG:",
# Nordic "SV:", "VS:", French "TR:", Italian "RIF:"): pasted with a subject, they
# are no word of it, and as one they would find nothing.
REPLY_PREFIXES = frozenset({"re", "fw", "fwd", "aw", "wg", "sv", "vs", "tr", "rif", "antw"})
_NUMBER = re.compile(rf"#?(\d{{1,{MAX_NUMBER}}})")


class BadSearch(ValueError):
    """A search that cannot run as typed; `message` says why, for the person, and
    `field` which input it is about ("q", "order" or "cursor")."""

    def __init__(self, message: str, field: str = "q") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Parsed:
    text: str  # as typed (stripped)
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # words and phrases
    qualifiers: list[tuple[str, str, bool]] = field(default_factory=list)  # key, value, excluded
    number: str | None = None  # the search is this (partial) ticket number

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.excluded or self.qualifiers or self.number)


def clean(typed: str) -> str:
    """The typed text with its runs of spaces made one, and control characters
    made spaces: they are no words, PostgreSQL refuses a NUL in a query and FTS5
    ends a string at one."""
    return " ".join("".join(c if c.isprintable() else " " for c in typed).split())


def parse(typed: str, known: Sequence[str] = QUALIFIERS) -> Parsed:
    """The search `typed`; BadSearch (a sentence) if it cannot run. `known` are
    the filters the searcher may use, named when an unknown one is typed."""
    text = clean(typed)
    if len(text) > MAX_CHARS:
        raise BadSearch(
            _("A search can be at most %(limit)d characters long; this one has %(count)d.")
            % {"limit": MAX_CHARS, "count": len(text)}
        )
    parsed = Parsed(text=text)
    if (lone := _NUMBER.fullmatch(text)) is not None:
        parsed.number = lone.group(1)
        return parsed
    unknown: list[str] = []
    typed_unknown: list[str] = []
    for match in _TOKEN.finditer(text):
        minus, key, quoted, bare = match.groups()
        if key is None and bare is not None and _BARE_KEY.fullmatch(bare):
            if bare[:-1].lower() not in QUALIFIERS:
                # "Re: invoice", "Error: disk full": pasted text, not a filter.
                if bare[:-1].lower() not in REPLY_PREFIXES:
                    parsed.words.append(bare[:-1])
                continue
            key, bare = bare[:-1], ""  # "status:" with nothing after it
        value = (quoted if quoted is not None else bare or "").strip()
        if key is not None:
            key = key.lower()
            if key not in QUALIFIERS:
                unknown.append(key)
                typed_unknown.append(match.group().lstrip("-"))
                continue
            if not value:
                raise BadSearch(
                    _("“%(key)s:” needs a value, such as %(example)s.")
                    % {"key": key, "example": EXAMPLES[key]}
                )
            parsed.qualifiers.append((key, value, bool(minus)))
            continue
        if not value or value == "-":
            continue
        if minus:
            parsed.excluded.append(value)
        elif quoted is not None and " " in value:
            parsed.phrases.append(value)
        else:
            parsed.words.append(value)
    if unknown:
        raise BadSearch(unknown_message(unknown, typed_unknown[0], known))
    terms = len(parsed.words) + len(parsed.phrases) + len(parsed.excluded)
    if terms > MAX_TERMS:
        raise BadSearch(
            _("A search can have at most %(limit)d words and phrases; this one has %(count)d.")
            % {"limit": MAX_TERMS, "count": terms}
        )
    if len(parsed.qualifiers) > MAX_QUALIFIERS:
        raise BadSearch(
            _("A search can have at most %(limit)d filters; this one has %(count)d.")
            % {"limit": MAX_QUALIFIERS, "count": len(parsed.qualifiers)}
        )
    return parsed


def unknown_message(keys: list[str], typed: str, known: Sequence[str]) -> str:
    """Why a search with unknown filters cannot run: the filters the searcher
    has, and how to search for text with a colon in it (`typed`, the first)."""
    reasons = [str(NOT_YET[k]) for k in keys if k in NOT_YET]
    names = ", ".join(
        pgettext("a filter named in a message", "“%(key)s:”") % {"key": k}
        for k in dict.fromkeys(keys)
    )
    count = len(dict.fromkeys(keys))
    message = ngettext(
        "Unknown filter %(names)s. The filters are: %(known)s.",
        "Unknown filters %(names)s. The filters are: %(known)s.",
        count,
    ) % {"names": names, "known": ", ".join(f"{k}:" for k in known)}
    quoted = '"' + typed.replace('"', "") + '"'
    hint = _("To search for text with a colon in it, put it in quotes: %(quoted)s.") % {
        "quoted": quoted
    }
    return " ".join([*reasons, message, hint])


# One example value per qualifier, for messages and the help beside the box.
EXAMPLES = {
    "status": "status:open",
    "state": "state:closed",
    "assignee": "assignee:me",
    "team": 'team:"Level II"',
    "department": "department:support",
    "topic": "topic:general",
    "priority": "priority:high",
    "from": "from:example.com",
    "customer": "customer:ken",
    "org": "org:acme",
    "created": "created:>2026-01-01",
    "updated": "updated:<7d",
    "is": "is:overdue",
    "has": "has:attachment",
}
HELP = gettext_lazy("Words, “quoted phrases”, -excluded words, a ticket number, or filters:")
