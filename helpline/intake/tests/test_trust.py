"""Reading Authentication-Results as real receiving servers write them, and as
attackers might: only our servers' headers count, a pass only from the topmost,
nothing a sender writes makes the reader raise or run long."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.intake.parse import parse_message
from helpline.intake.tests.helpers import mail
from helpline.intake.trust import authentication, parse_header
from helpline.notify.addresses import MAX_LOCAL_PART, base_address, is_own_address, reply_address

GMAIL = """mx.google.com;
       dkim=pass header.i=@example.com header.s=s1 header.b=AbC+dEf=;
       spf=pass (google.com: domain of ken@example.com designates 192.0.2.1 as permitted
 sender) smtp.mailfrom=ken@example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"""
OPENDMARC = "mx.helpline.test; dmarc=fail (p=reject dis=none) header.from=example.com"
# Microsoft 365 writes no authserv-id at all: such a header vouches for nothing.
MICROSOFT = (
    "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dkim=pass (signature"
    " was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;"
)
QUOTED = 'mx.helpline.test 1; dkim=pass reason="good; (really)" header.d=example.com'


# The servers a mailbox names (Mailbox.authserv_ids).
OURS = ["mx.google.com", "mx.helpline.test"]


def verdict(*headers: str, sender: str = "ken@example.com") -> Any:
    added = "".join(f"Authentication-Results: {h}\r\n" for h in headers).encode()
    return authentication(parse_message(added + mail(sender=sender)), OURS)


def test_gmails_header_is_read_with_its_comments_and_folding() -> None:
    header = parse_header(GMAIL)
    assert header is not None and header.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in header.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    assert header.results[0].props["header.i"] == "@example.com"
    assert header.results[2].props["header.from"] == "example.com"


def test_quoted_values_may_hold_semicolons_and_parentheses() -> None:
    header = parse_header(QUOTED)
    assert header is not None and header.authserv_id == "mx.helpline.test"
    assert len(header.results) == 1 and header.results[0].props["header.d"] == "example.com"


def test_a_header_without_an_authserv_id_vouches_for_nothing() -> None:
    assert parse_header(MICROSOFT) is None
    assert verdict(MICROSOFT).checked_by == ""


def test_a_pass_from_our_server_authenticates_the_sender() -> None:
    result = verdict(GMAIL)
    assert (result.checked_by, result.failure, result.authenticated) == ("mx.google.com", "", True)


def test_a_pass_for_another_domain_authenticates_nobody() -> None:
    result = verdict(GMAIL, sender="ken@example.net")
    assert not result.authenticated


def test_a_failure_is_described_for_the_agent() -> None:
    result = verdict(OPENDMARC)
    assert result.failure == "dmarc=fail (header.from=example.com)" and not result.authenticated


def test_only_the_run_of_our_headers_at_the_top_counts() -> None:
    # A foreign header on top: nothing below it is ours to believe.
    assert verdict("mx.evil.example; dmarc=pass", OPENDMARC).checked_by == ""
    # A failure in the second of our headers counts; a pass there does not.
    assert verdict("mx.helpline.test; spf=none", OPENDMARC).failure
    below = verdict("mx.helpline.test; dmarc=none", GMAIL)
    assert not below.authenticated and not below.failure


def test_a_forged_pass_below_ours_does_not_excuse_our_servers_spf_failure() -> None:
    """A pass counts only from the topmost header (docs/security/replies.md, 3). A
    header the sender wrote, claiming our server's name, sits directly below ours,
    inside the run; its dmarc=pass must not cancel the spf=fail our server recorded."""
    ours = "mx.helpline.test; spf=fail smtp.mailfrom=example.com; dkim=none; dmarc=none"
    forged = "mx.helpline.test; dmarc=pass header.from=example.com"

    result = verdict(ours, forged)

    assert result.failure == "spf=fail (smtp.mailfrom=example.com)"
    assert not result.authenticated
    # The same pass on top, where our server writes it, does excuse the failure
    # (forwarding breaks SPF; DMARC aligned on DKIM survives it).
    assert verdict(forged, ours).failure == ""


def test_the_servers_are_named_in_any_case() -> None:
    upper = "MX.Helpline.Test; dmarc=fail header.from=example.com"
    assert verdict(upper).failure.startswith("dmarc=fail")
    parsed = parse_message(f"Authentication-Results: {OPENDMARC}\r\n".encode() + mail())
    assert authentication(parsed, ["MX.HELPLINE.TEST"]).failure.startswith("dmarc=fail")


def test_softfail_neutral_and_errors_are_no_failure() -> None:
    for results in ["spf=softfail", "spf=neutral", "dkim=temperror", "dmarc=permerror", "none"]:
        assert verdict(f"mx.helpline.test; {results}").failure == ""


def test_without_configured_servers_nothing_is_read() -> None:
    parsed = parse_message(f"Authentication-Results: {OPENDMARC}\r\n".encode() + mail())
    assert authentication(parsed, []).checked_by == ""


@pytest.mark.parametrize(
    "value",
    [
        "",
        ";;;;",
        "=",
        "x; =pass",
        "x; dmarc",
        "x; dmarc=" + '"' * 5000,
        "x; " + "(" * 20000 + "dmarc=pass",
        "x; " + "dkim=pass; " * 5000,
        "x; a=b c.d=\\",
    ],
)
def test_hostile_headers_are_read_quickly_without_raising(value: str) -> None:
    start = time.perf_counter()
    header = parse_header(value)
    assert time.perf_counter() - start < 0.5
    assert header is None or len(header.results) <= 30


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_header_text_is_read_without_raising(value: str) -> None:
    parse_header(value)


# --- our reply addresses -------------------------------------------------------------------


def test_a_reply_address_tags_our_sender_with_the_recipients_token() -> None:
    tagged = reply_address("Helpline <support@example.com>", "123456", "Ken <ken@example.com>")
    assert tagged.startswith("Helpline <support+t.123456.") and tagged.endswith("@example.com>")


def test_a_reply_address_too_long_for_smtp_is_not_made() -> None:
    long_local = "s" * (MAX_LOCAL_PART - 20)
    assert reply_address(f"{long_local}@example.com", "123456", "ken@example.com") == ""
    assert reply_address("", "123456", "ken@example.com") == ""


def test_plus_tagged_forms_of_our_addresses_are_ours(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "support@example.com"
    assert base_address("support+t.1.2@example.com") == "support@example.com"
    assert is_own_address("Us <support+anything@example.com>")
    assert not is_own_address("support+x@example.org")
