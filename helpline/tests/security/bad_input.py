"""What the bad-input sweep sends: hypothesis strategies for query strings, form
fields, path arguments, JSON and XML bodies, cookies and headers, and the request
that carries one example to a route of the catalog (routes.py).

The values mix three kinds, so that an example gets past the first check often
enough to reach the code behind it:

- edges that broke this code or code like it: integers past 64 bits, dates at
  year 1 and 9999, time zones at ±14 h, NUL bytes (PostgreSQL refuses them in
  text), numbers that are not (`NaN`, `1e309`), very long text, markup, paths;
- any text and any integer;
- a valid value for a field the site knows (a real ticket version, topic, status,
  agent ...), so a form with one bad field still validates the others.

Each parameter and each field also goes, alone, through `TROUBLE` (query
parameters) or `FORM_TROUBLE` (form fields: one value of each class, as a refused
form renders its whole page again), and every answer is checked for more than
"no 5xx": a refusal says why, and no due date out of range is ever stored.
"""

from __future__ import annotations

import base64
import json
import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape

from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from helpline.lib import bounds
from helpline.tests.security.routes import Case, Scene
from helpline.tickets.models import Ticket


def sweep_settings(max_examples: int) -> settings:
    """Derandomized (a failure reproduces on every run and on CI) unless
    HELPLINE_SWEEP_RANDOM=1; no shrinking, which would resend hundreds of requests
    (the failing example is reported as generated, with the view's traceback)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=os.environ.get("HELPLINE_SWEEP_RANDOM") != "1",
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# How many random requests each route gets: HELPLINE_SWEEP_SCALE=4 sends four
# times as many.
SCALE = int(os.environ.get("HELPLINE_SWEEP_SCALE", "1"))

EDGES = [
    "", " ", "0", "-1", "1.5", "1e309", "-1e309", "NaN", "Infinity", "0x1f", "1_000",
    "9" * 25, "922337203685477580", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999999", "2147483648", "4294967296",
    "9999-12-31", "0001-01-01", "2024-02-30", "2024-13-01", "10000-01-01", "-0001-01-01",
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "9999-12-31 23:59",
    "2024-01-01T00:00:00-99:00", "2024-01-01T25:61", "1970-01-01T00:00:00Z",
    "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12", "America/Adak", "posixrules",
    "zone.tab", "Asia", "../../etc/passwd", "C:\\boot.ini",
    "\x00", "a\x00b", "%00", "\ufeff", "\u202e", "🙂", "Ω" * 300, "\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>", "' OR '1'='1", '"; --', "{}", "[]", "null", "true",
    "{{ 7*7 }}", "${7*7}", "%s%s%s", "none", "open", "closed", "mine", "all", "daily",
    "custom", "7d", "30d", "day", "week", "month", "agent", "department", "team", "topic",
    "good", "okay", "bad", "x" * 5_000, "y" * 200_000,
    "1\x00", "-inf", "\uff11\uff12", "\u0661\u0662", "9" * 5_000, "x" * 10_000,
    "18446744073709551616", "2026-02-30", "9999-12-31T23:59", "0001-01-01T00:00",
    "\r\nX-Injected: 1",
]  # fmt: skip

# Each query parameter, alone, goes through these besides its own values: the
# integers past 64 bits, NUL bytes, huge text and dates at Python's edges that
# broke pages of this kind.
TROUBLE = [
    "", "0", "-1", "1", str(2**63 - 1), str(2**63), str(2**64), "-" + str(2**63 + 1),
    "922337203685477580", "9" * 30, "9" * 5_000, "\x00", "1\x00", "a\x00b", "x" * 10_000,
    "none", "null", "1e309", "NaN", "-inf", "\uff11\uff12", "\u0661\u0662", "9999-12-31",
    "0001-01-01", "2026-02-30", "9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59:59Z",
    "Asia/Tokyo", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%00",
    "\r\nX-Injected: 1",
]  # fmt: skip
# Each form field, alone, goes through one value of each class of trouble: a
# refused form renders its whole page again (a ticket page, for the desk's actions).
FORM_TROUBLE = [
    "", "-1", str(2**63), "9" * 5_000, "\x00", "a\x00b", "x" * 10_000, "NaN", "\uff11\uff12",
    "9999-12-31T23:59", "0001-01-01T00:00", "<script>alert(1)</script>",
]  # fmt: skip
TIME_ZONES = ["Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12", "America/Adak", "UTC", "bogus"]


INTS = [
    "0", "-1", "1e3", "9" * 25, "922337203685477580", "9223372036854775808",
    "99999999999999999999999", "0x10", "1.0", " 1", "\u0661\u0662",
]  # fmt: skip
DATES = [
    "9999-12-31", "0001-01-01", "2024-02-30", "10000-01-01", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00", "9999-12-31 23:59", "2024-01-01T00:00:00-99:00", "2024-06-01",
]  # fmt: skip


def _b64(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# The REST API's list cursors are base64url JSON [time, id]: ones with times at the
# edges, odd ids and other shapes.
CURSORS = [
    _b64(["0001-01-01T00:00:00+14:00", 1]),
    _b64(["9999-12-31T23:59:59-12:00", 1]),
    _b64(["2024-01-01T00:00:00+00:00", 2**63]),
    _b64(["2024-01-01T00:00:00", 1]),
    _b64(["2024-01-01T00:00:00+00:00", True]),
    _b64([[], {}]),
    _b64({"a": 1}),
    _b64([[[[[]]]]] * 3),
]

# Fields read as numbers or dates, by name, anywhere in the site or the API.
NUMBER_FIELDS = (
    "topic", "status", "priority", "department", "agent", "assignee", "team", "plan",
    "customer", "version", "page", "limit", "number", "topic_id", "status_id",
    "priority_id", "department_id", "agent_id", "team_id", "plan_id", "p",
)  # fmt: skip
DATE_FIELDS = ("start", "end", "due_at", "since", "until", "after", "before", "date")


def field_values(scene: Scene) -> dict[str, list[str]]:
    """For each field the site's forms, filters and API know: valid values, and the
    edges of its type (numbers past 64 bits, dates at year 1 and 9999, zones at
    ±14 h)."""
    from helpline.accounts.models import Agent, Department, Team
    from helpline.sla.models import SLAPlan
    from helpline.tickets.models import HelpTopic, Priority, Status

    scene.support.refresh_from_db()
    scene.sales.refresh_from_db()

    def pks(model: Any) -> list[str]:
        return [str(pk) for pk in model.objects.values_list("pk", flat=True)[:3]]

    agents = pks(Agent)
    found = {
        "version": [CURRENT_VERSION, str(scene.support.version), str(scene.sales.version)],
        "number": [scene.support.number, scene.sales.number],
        "topic": pks(HelpTopic),
        "status": pks(Status),
        "priority": pks(Priority),
        "department": pks(Department),
        "agent": agents,
        "assignee": [*agents, "none"],
        "team": [*pks(Team), "none"],
        "plan": pks(SLAPlan),
        "customer": [str(scene.world.customer.pk)],
        "email": ["ken@example.com", "new@example.net", "a@b", "x" * 300 + "@example.com"],
        "name": ["Ken Adams"],
        "subject": ["Printer on fire"],
        "body": ["It is on fire."],
        "message": ["It is on fire.", "<div>" * 2000],
        "description": ["It is on fire."],
        "explanation": ["Unplugged it."],
        "reason": ["Because."],
        "score": ["good", "okay", "bad"],
        "source": ["phone", "email", "web", "other"],
        "sort": ["updated", "created", "oldest", "due", "priority", "number", "-id"],
        "preset": ["today", "7d", "30d", "this_month", "last_month", "custom"],
        "group": ["none", "agent", "department", "team", "topic", "day", "week", "month"],
        "tz": TIME_ZONES,
        "table": ["daily"],
        "password": ["correct horse battery staple"],
        "password1": ["a long enough passphrase"],
        "password2": ["a long enough passphrase"],
        "username": ["alice.agent", "ken@example.com"],
        "next": [
            "/desk/",
            "//evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "x",
            "admin:index",
        ],
        "format": ["text", "html"],
        "cursor": [*CURSORS, '["0001-01-01T00:00:00+14:00",1]', "bm90IGpzb24", "x" * 500],
    }
    for name in NUMBER_FIELDS:
        base = name.removesuffix("_id")
        found[name] = [*found.get(name, found.get(base, [])), *INTS]
    for name in DATE_FIELDS:
        found[name] = [*found.get(name, []), *DATES]
    return found


# A version that stands for the current version of the ticket the request is
# about, read as the request is sent: a successful action moves a ticket's version
# on, and a stale one would stop every later request at the conflict check.
CURRENT_VERSION = "(the current version)"


def current_versions(example: Example) -> Example:
    """`example` with CURRENT_VERSION replaced by the version of its path's ticket."""
    if not any(v == CURRENT_VERSION for _, v in example.form) and (
        CURRENT_VERSION not in example.payload
    ):
        return example
    try:
        number = resolve(unquote(urlsplit(example.path).path)).kwargs.get("number")
    except Resolver404:
        number = None
    found = Ticket.objects.filter(number=str(number)).values_list("version", flat=True).first()
    version = str(found if found is not None else 0)
    form = [(n, version if v == CURRENT_VERSION else v) for n, v in example.form]
    payload = example.payload.replace(json.dumps(CURRENT_VERSION), version).replace(
        CURRENT_VERSION, version
    )
    return Example(**{**example.__dict__, "form": form, "payload": payload})


def due_dates_in_range() -> None:
    """No due date outside helpline.lib.bounds got stored (a 9999 due date made
    the ticket page fail for every agent east of UTC)."""
    stored = Ticket.objects.exclude(due_at=None).values_list("number", "due_at")
    wrong = [(n, due) for n, due in stored if due is not None and not bounds.date_in_range(due)]
    assert wrong == [], f"due dates out of range were stored: {wrong}"


def says_why(response: Any, example: Example) -> None:
    """A refusal (a 4xx other than 405) has a body: a message, not an empty page."""
    status = response.status_code
    if 400 <= status < 500 and status != 405:
        body = response.streamed if response.streaming else response.content
        assert body.strip(), f"an empty {status} for {example}"


DATE_LIKE = r"-?\d{1,5}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?)?"


def values(good: list[str]) -> st.SearchStrategy[str]:
    """A value for a field: half the time one of its own (valid or at its type's
    edges), else a general edge, any text, any integer or anything like a date."""
    general = st.one_of(
        st.sampled_from(EDGES),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.from_regex(DATE_LIKE, fullmatch=True),
    )
    if not good:
        return general
    return st.one_of(st.sampled_from(good), general)


def names(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    options: list[st.SearchStrategy[str]] = [st.text(min_size=1, max_size=12)]
    if known:
        options.insert(0, st.sampled_from(known))
    return st.one_of(*options)


@st.composite
def pairs(
    draw: st.DrawFn, known: tuple[str, ...], good: dict[str, list[str]], max_size: int = 6
) -> list[tuple[str, str]]:
    """Name/value pairs: each name the route reads, half of the time, and a few
    others; a name may repeat."""
    found: list[tuple[str, str]] = []
    for name in known:
        for _ in range(draw(st.sampled_from([0, 0, 1, 1, 1, 2]))):
            found.append((name, draw(values(good.get(name, [])))))
    for _ in range(draw(st.integers(0, max_size))):
        name = draw(names(known))
        found.append((name, draw(values(good.get(name, [])))))
    return found


# --- JSON and XML ------------------------------------------------------------------------

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(EDGES),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def json_bodies(draw: st.DrawFn, known: tuple[str, ...], good: dict[str, list[str]]) -> str:
    """A JSON object over the route's fields, any JSON, or almost-JSON."""
    kind = draw(st.sampled_from(["object", "any", "deep", "broken"]))
    if kind == "object":
        body: dict[str, Any] = {}
        for _ in range(draw(st.integers(0, 8))):
            name = draw(names(known))
            body[name] = draw(st.one_of(values(good.get(name, [])), JSON_VALUES))
        return json.dumps(body)
    if kind == "any":
        return json.dumps(draw(JSON_VALUES))
    if kind == "deep":
        depth = draw(st.sampled_from([50, 1_000, 100_000]))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        comma = draw(st.sampled_from(["", ","]))
        return opener * depth + "1" + comma + closer * depth
    text = json.dumps({name: "x" for name in known[:4]})
    return draw(
        st.sampled_from(
            [
                text[:-1] + ",}",
                text[:-1],
                "{'single': 'quotes'}",
                '{"a": NaN}',
                '{"a": 1e99999}',
                '{"a": "\\ud800"}',
                "\ufeff" + text,
                text.encode("utf-16").decode("latin-1"),
                "",
            ]
        )
    )


@st.composite
def xml_bodies(draw: st.DrawFn, known: tuple[str, ...], good: dict[str, list[str]]) -> str:
    """osTicket-shaped XML with hostile parts: encodings, entities, depth, text."""
    encoding = draw(st.sampled_from(["UTF-8", "utf-16", "latin-1", "x-bogus", "", "ascii"]))
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    kind = draw(st.sampled_from(["fields", "deep", "entities", "text"]))
    if kind == "fields":
        inner = ""
        for _ in range(draw(st.integers(0, 6))):
            name = draw(st.sampled_from([*known, "x-y", "a b", "1"])) if known else "name"
            value = draw(values(good.get(name, [])))
            escaped = escape(value)
            attr = draw(st.sampled_from(["", ' type="text/html"', ' encoding="base64"']))
            inner += f"<{name}{attr}>{escaped}</{name}>"
        return f"{declaration}<ticket>{inner}</ticket>"
    if kind == "deep":
        depth = draw(st.sampled_from([100, 10_000]))
        return f"{declaration}<ticket>{'<a>' * depth}x{'</a>' * depth}</ticket>"
    if kind == "entities":
        return (
            f'{declaration}<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c SYSTEM "file:///etc/passwd">]>'
            "<ticket><subject>&b;</subject><message>&c;</message></ticket>"
        )
    return declaration + draw(st.text(max_size=200))


@st.composite
def emails(draw: st.DrawFn) -> str:
    """A raw mail as osTicket's `tickets.email` takes it: headers and parts, some
    missing, malformed or nested deep."""
    headers = {
        "From": draw(st.sampled_from(["Ken <ken@example.com>", "", "<>", "x" * 500, "a@b, c@d"])),
        "Subject": draw(values(["Printer on fire", "=?utf-8?q?=E2=82=AC?=", "=?x-bogus?b?AAA?="])),
        "Message-ID": draw(st.sampled_from(["<a@b>", "", "<" + "a" * 1000 + ">"])),
        "Content-Type": draw(
            st.sampled_from(
                [
                    "text/plain; charset=utf-8",
                    "text/html; charset=x-bogus",
                    "multipart/mixed; boundary=b",
                    "multipart/alternative",
                    "message/rfc822",
                ]
            )
        ),
    }
    kind = draw(st.sampled_from(["plain", "deep", "parts"]))
    if kind == "plain":
        body = draw(st.text(max_size=200))
    elif kind == "deep":
        depth = draw(st.sampled_from([10, 500, 5_000]))
        body = "".join(
            f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n"
            for i in range(depth)
        )
        headers["Content-Type"] = "multipart/mixed; boundary=b0"
    else:
        html = draw(st.sampled_from(["<div>" * 3000, "<p>hi"]))
        filename = draw(st.sampled_from(FILENAMES))
        data = draw(st.sampled_from(["AAAA", "!!!", ""]))
        body = (
            f"--b\r\nContent-Type: text/html\r\n\r\n{html}\r\n"
            "--b\r\nContent-Type: application/pdf\r\n"
            f'Content-Disposition: attachment; filename="{filename}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{data}\r\n--b--\r\n"
        )
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if v)
    return head + "\r\n" + body


# --- one request -------------------------------------------------------------------------


@dataclass
class Example:
    """One generated request, as the failure report shows it."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    raw_query: str = ""
    body: str = "none"  # none, form, multipart, json, xml, text
    form: list[tuple[str, str]] = field(default_factory=list)
    payload: str = ""
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    tz: str | None = None

    def url(self) -> str:
        query = urlencode(self.query)
        if self.raw_query:
            query = f"{query}&{self.raw_query}" if query else self.raw_query
        return f"{self.path}?{query}" if query else self.path


FILENAMES = [
    "a.txt", "a.exe", "", "../../x.png", "x" * 300, "\x00.pdf", "a.png.php", "a\x00b.txt",
    "../../../etc/passwd", "x" * 1000 + ".txt", "\u202etxt.exe", ".txt", "nul\x00",
]  # fmt: skip
RAW_QUERIES = ["", "%ff%fe=%c0%af", "a=%", "&&&=&", "a;b=c", "=x", "x" * 5000 + "=1", "a[]=1&a[]=2"]
CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def header_text(max_size: int) -> st.SearchStrategy[str]:
    """Text as a WSGI server hands header bytes over: UTF-8 read as ISO-8859-1."""
    return st.text(max_size=max_size).map(lambda t: t.encode("utf-8").decode("latin-1"))


def path_value(converter: str) -> st.SearchStrategy[str]:
    """A value the URL converter accepts, most of them not a valid one."""
    if converter == "int":
        return st.one_of(
            st.sampled_from(["0", "9" * 20, "9223372036854775808", "99999999999999999999999"]),
            st.integers(0, 2**70).map(str),
        )
    if converter == "slug":
        return st.one_of(
            st.sampled_from(["x", "-", "_", "a" * 300]),
            st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True),
        )
    if converter == "path":
        return st.text(min_size=1, max_size=40).filter(lambda v: v.strip("/"))
    # str: anything without a slash, NUL and the unicode tricks included
    return st.one_of(
        st.sampled_from([e for e in EDGES if e and "/" not in e and len(e) < 1000]),
        st.text(min_size=1, max_size=60).filter(lambda v: "/" not in v),
    )


@st.composite
def paths(draw: st.DrawFn, case: Case, route: str, scene: Scene) -> str:
    """The case's path, with each argument either its real value or a hostile one."""
    if case.url is not None or not CONVERTER.search(route) or "(?P<" in route:
        return case.path(scene)
    valid = case.kwargs(scene)

    def fill(match: re.Match[str]) -> str:
        name, converter = match["name"], match["converter"] or "str"
        keep = name in valid and draw(st.booleans())
        value = str(valid[name]) if keep else draw(path_value(converter))
        return quote(value, safe="")

    return "/" + CONVERTER.sub(fill, route)


WEB_BODIES = ("form", "form", "multipart", "json", "xml", "text")


@st.composite
def examples(
    draw: st.DrawFn,
    case: Case,
    route: str,
    scene: Scene,
    good: dict[str, list[str]],
    bodies: tuple[str, ...] = WEB_BODIES,
) -> Example:
    method = draw(st.sampled_from(case.methods or ("GET",)))
    example = Example(method=method, path=draw(paths(case, route, scene)))
    example.query = draw(pairs(case.params, good, max_size=2))
    example.raw_query = draw(st.sampled_from(RAW_QUERIES))
    if draw(st.booleans()):
        example.headers["HX-Request"] = "true"
    example.tz = draw(st.one_of(st.none(), st.sampled_from(TIME_ZONES), header_text(20)))
    if method == "POST":
        example.body = draw(st.sampled_from(bodies))
        if example.body in ("form", "multipart"):
            example.form = draw(pairs(case.fields, good, max_size=3))
        if example.body == "multipart" and draw(st.booleans()):
            example.files = [
                (
                    draw(st.sampled_from(["attachments", "file", *case.fields[:2]])),
                    draw(st.sampled_from(FILENAMES)),
                    draw(st.binary(max_size=64)),
                )
                for _ in range(draw(st.integers(1, 3)))
            ]
        if example.body == "json":
            example.payload = draw(json_bodies(case.fields, good))
        if example.body == "xml":
            example.payload = draw(xml_bodies(case.fields, good))
        if example.body == "text":
            example.payload = draw(st.text(max_size=300))
        if example.body == "email":
            example.payload = draw(emails())
    return example


TYPED = (*NUMBER_FIELDS, *DATE_FIELDS, "tz")


PATH_EDGES = {
    "str": ["\x00", "a\x00b", "9" * 30, "-1", "%", "..", " ", "\u202e1", "x" * 2000, "1.0"],
    "ticket": ["\x00", "a\x00b", "1\x00", "9" * 30, "1" * 21, "-1", "1.0", "\u0661\u0662"],
    "int": ["0", "9" * 25, "9223372036854775808", "2147483648", str(10**40)],
    "slug": ["-", "_", "x" * 300],
    "path": ["\x00", "..%2F..", "x" * 2000],
}


def edge_examples(
    case: Case,
    scene: Scene,
    good: dict[str, list[str]],
    body: str = "form",
    route: str = "",
    path_edges: bool = True,
    together: bool = True,
) -> list[Example]:
    """Fixed passes before the random one, over each field's own list of values
    (`field_values`: valid ones and its type's edges), and `TROUBLE`:

    1. with `together`, request i sets every parameter and field to the i-th
       value of its list (`page` past 64 bits with `department` past 64 bits, ...);
    2. the same with the numbers, dates and time zones only, so that no choice
       field (a report's preset) hides them (a custom period at year 9999 in Tokyo);
    3. one at a time: each parameter alone through its whole list and `TROUBLE`,
       and each field, the others at their first (valid) value, through its list
       and `FORM_TROUBLE` (a hostile list cursor with an otherwise valid query; a
       due date at year 9999 in a valid form);
    4. with `path_edges`, each path argument through the edges of its converter,
       the others valid (a NUL byte in a ticket number: PostgreSQL refuses it in
       a query).
    """

    def value(name: str, i: int) -> str:
        own = good.get(name) or EDGES
        return own[i % len(own)]

    path = case.path(scene)
    found: dict[str, Example] = {}

    def add(method: str, query: list[tuple[str, str]], form: list[tuple[str, str]]) -> None:
        example = Example(method=method, path=path, query=query)
        if method == "POST":
            example.body, example.form = body, form
            example.payload = _encode(body, form)
        found.setdefault(f"{method} {example.url()} {form}", example)

    for method in case.methods or ("GET",):
        fields = case.fields if method == "POST" else ()

        every = (case.params, fields)
        typed = tuple(tuple(n for n in names if n in TYPED) for names in every)
        for some_params, some_fields in (every, typed) if together else ():
            names = some_params + some_fields
            for i in range(max((len(good.get(name) or ()) for name in names), default=0)):
                add(
                    method,
                    [(n, value(n, i)) for n in some_params],
                    [(n, value(n, i)) for n in some_fields],
                )
        usual = [(name, (good.get(name) or [""])[0]) for name in fields]
        for name in case.params:
            for one in [*good.get(name, ()), *TROUBLE]:
                add(method, [(name, one)], usual)
        for at, name in enumerate(fields):
            for one in [*good.get(name, ()), *FORM_TROUBLE]:
                add(method, [], [*usual[:at], (name, one), *usual[at + 1 :]])
    if path_edges and case.url is None and "(?P<" not in route:
        valid = {k: str(v) for k, v in case.kwargs(scene).items()}
        method = (case.methods or ("GET",))[0]
        for match in CONVERTER.finditer(route):
            for edge in PATH_EDGES.get(match["converter"] or "str", []):
                hostile = _fill(route, {**valid, match["name"]: edge})
                example = Example(method=method, path=hostile, body=body)
                found.setdefault(f"{method} {hostile}", example)
    return list(found.values())


def baseline_example(case: Case, scene: Scene, good: dict[str, list[str]], k: int) -> Example:
    """One request to `case` with every parameter and field at the k-th value of
    its own list (or of the general edges), its path as it is."""

    def value(name: str) -> str:
        own = good.get(name) or EDGES
        return own[k % len(own)]

    method = (case.methods or ("GET",))[-1]
    example = Example(method=method, path=case.path(scene))
    example.query = [(name, value(name)) for name in case.params]
    if method == "POST":
        example.body = "form"
        example.form = [(name, value(name)) for name in case.fields]
    return example


def _fill(route: str, values: dict[str, str]) -> str:
    """The path of `route` with its arguments set to `values` (URL-quoted)."""
    return "/" + CONVERTER.sub(lambda m: quote(values[m["name"]], safe=""), route)


def _encode(body: str, form: list[tuple[str, str]]) -> str:
    if body == "json":
        return json.dumps(dict(form))
    if body == "xml":
        inner = "".join(f"<{n}>{escape(v)}</{n}>" for n, v in form)
        return f'<?xml version="1.0" encoding="UTF-8"?><ticket>{inner}</ticket>'
    return ""


def where(error: BaseException) -> str:
    """The innermost line of Helpline's own code an exception passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/helpline/" in f.filename and "/tests/" not in f.filename]
    frame = (ours or frames)[-1]
    return f"{frame.filename.split('/helpline/', 1)[-1]}:{frame.lineno} in {frame.name}"


def send(client: Client, example: Example, headers: dict[str, str] | None = None) -> Any:
    """Send one example; a view's exception propagates (the test client re-raises
    it), with the database rolled back to before the request."""
    caches["limits"].clear()  # rate limits would answer 429 before the code under test runs
    caches["limits_strangers"].clear()
    example = current_versions(example)
    if example.tz is not None:
        client.cookies["tz"] = example.tz
    elif "tz" in client.cookies:
        del client.cookies["tz"]
    extra = {**example.headers, **(headers or {})}
    url = example.url()
    with transaction.atomic():  # a database error must not poison the test's transaction
        response = _post_or_get(client, example, url, extra)
        if response.streaming:  # a CSV export fails while it streams, not before
            response.streamed = b"".join(response.streaming_content)
    return response


def _post_or_get(client: Client, example: Example, url: str, extra: dict[str, str]) -> Any:
    if example.method == "GET":
        return client.get(url, headers=extra)
    if example.body == "form":
        return client.post(
            url,
            urlencode(example.form),
            content_type="application/x-www-form-urlencoded",
            headers=extra,
        )
    if example.body == "multipart":
        data: dict[str, Any] = {}
        for name, value in example.form:
            data.setdefault(name, []).append(value)
        for name, filename, content in example.files:
            data.setdefault(name, []).append(SimpleUploadedFile(filename or "f", content))
        return client.post(url, data, headers=extra)
    content_type = {
        "json": "application/json",
        "xml": "application/xml",
        "text": "text/plain",
        "none": "application/octet-stream",
        "email": "message/rfc822",
    }[example.body]
    return client.post(
        url, example.payload.encode("utf-8", "surrogatepass"), content_type, headers=extra
    )


class _Undo(Exception):
    """Raised to roll back what a fixed request wrote, once it is checked."""


def fixed_pass(
    client: Callable[[], Client],
    examples: list[Example],
    check: Callable[[Any, Example], None],
    headers: dict[str, str] | None = None,
) -> list[str]:
    """Send each example and check its answer; every failure, described.

    What a request writes is rolled back after its check, so that each fixed
    request finds the scene as it was (a ticket that grew by hundreds of replies
    would make every later page slower); the random requests that follow keep
    what they write, and so meet tickets in many states."""
    failures = []
    for example in examples:
        sender = client()  # signed in outside the rollback
        try:
            with transaction.atomic():
                check(send(sender, example, headers), example)
                raise _Undo
        except _Undo:
            pass
        except Exception as error:
            failures.append(
                f"{example.method} {example.url()[:300]} {example.form or example.payload[:300]}: "
                f"{type(error).__name__}: {str(error)[:300]} (helpline/{where(error)})"
            )
    return failures


def report(request: Any, line: str) -> None:
    """A line in pytest's output, past its capturing (the sweep's figures)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"bad-input sweep, {line}")
