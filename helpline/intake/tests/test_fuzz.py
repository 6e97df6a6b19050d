"""Property tests: the parser never raises, whatever the bytes, and what it returns
can always be stored (no NUL, no lone surrogates); intake never crashes either."""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.conftest import World
from helpline.intake.ingest import ingest_message
from helpline.intake.models import LedgerOutcome, Mailbox
from helpline.intake.parse import ParsedMessage, parse_message
from helpline.intake.tests.corpus import corpus_files

FUZZ = settings(max_examples=300, deadline=None)


@cache
def corpus() -> list[bytes]:
    return [path.read_bytes() for path in corpus_files()]


def assert_storable(message: ParsedMessage) -> None:
    """Every text the parser returns can go into PostgreSQL and SQLite as is."""

    def check(value: object) -> None:
        if isinstance(value, str):
            value.encode("utf-8")
            assert "\x00" not in value
        elif isinstance(value, list | tuple):
            for item in value:
                check(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                check(getattr(value, f.name))

    check(message)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A corpus message with random damage: bytes flipped, cut, inserted, repeated."""
    data = bytearray(draw(st.sampled_from(corpus())))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=64))
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 400))] * draw(st.integers(1, 5))
        else:
            del data[at:]
    return bytes(data)


HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Date",
     "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted",
     "Precedence", "MIME-Version", "Reply-To"]
)  # fmt: skip
HEADER_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "multipart/mixed; boundary=x",
            "multipart/report; report-type=delivery-status",
            'text/plain; charset="x-unknown"',
            "text/html; charset=utf-7",
            "message/rfc822",
            "base64",
            "quoted-printable",
            "x-uuencode",
            "attachment; filename*=bad''%ZZ",
            "=?utf-8?B?####?=",
            "=?unknown?Q?=FF=FE?=",
            "<a@b> <c@d",
            "a@b, , @, <>",
        ]
    ),
)


@st.composite
def structured(draw: st.DrawFn) -> bytes:
    """Headers a parser must read, with hostile values, then a body."""
    headers = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=12))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    body = draw(st.binary(max_size=300))
    return head.encode("utf-8", "surrogatepass") + b"\r\n" + body


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_never_break_the_parser(data: bytes) -> None:
    assert_storable(parse_message(data))


@FUZZ
@given(mutated())
def test_damaged_corpus_messages_never_break_the_parser(data: bytes) -> None:
    assert_storable(parse_message(data))


@FUZZ
@given(structured())
def test_hostile_headers_never_break_the_parser(data: bytes) -> None:
    assert_storable(parse_message(data))


@pytest.mark.parametrize("index", range(len(corpus_files())))
def test_every_corpus_message_parses_into_storable_text(index: int) -> None:
    assert_storable(parse_message(corpus()[index]))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(mutated(), structured()))
def test_damaged_mail_never_crashes_intake(
    world: World, support_mailbox: Mailbox, data: bytes
) -> None:
    result = ingest_message(data, mailbox=support_mailbox)

    assert result.outcome in set(LedgerOutcome)
    if result.outcome == LedgerOutcome.QUARANTINED:
        assert result.reason


def test_authentication_results_are_storable_text_too() -> None:
    """Found by the corpus fuzzing in CI: NUL and raw 8-bit bytes in an
    Authentication-Results header came through as they were."""
    data = (
        b"From: a@example.com\r\nSubject: x\r\n"
        b"Authentication-Results: \x00 gmx.net; dkim=pass\r\n"
        b"Authentication-Results: \x80\xff mx.example; spf=pass\r\n\r\nbody"
    )
    assert_storable(parse_message(data))
