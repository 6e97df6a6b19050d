from __future__ import annotations

from django.test import override_settings

from helpline.lib.mailids import (
    is_our_message_id,
    make_message_id,
    make_reply_token,
    parse_reply_token,
    reply_token_matches,
    ticket_number_from_ids,
)


def test_a_message_id_names_its_ticket() -> None:
    mid = make_message_id("123456", "r42")
    assert mid.startswith("<hl.123456.r42.") and mid.endswith(">")
    assert ticket_number_from_ids(mid) == "123456"
    assert is_our_message_id(mid)


def test_the_ticket_is_found_among_other_ids_in_references() -> None:
    mid = make_message_id("654321")
    references = f"<abc@mail.example.com> {mid} <other@example.org>"
    assert ticket_number_from_ids(None, "", references) == "654321"


def test_a_forged_or_altered_id_names_no_ticket() -> None:
    mid = make_message_id("123456", "r42")
    assert ticket_number_from_ids(mid.replace("123456", "123457")) is None
    assert ticket_number_from_ids("<hl.123456.r42.00000000000000000000@x>") is None
    assert ticket_number_from_ids("<CAF=abc@mail.gmail.com>") is None


def test_ids_made_with_another_secret_are_not_ours() -> None:
    with override_settings(SECRET_KEY="another-secret-key-of-sufficient-length-0123456789"):
        foreign = make_message_id("123456", "r1")
    assert not is_our_message_id(foreign)


def test_ids_made_before_a_key_rotation_still_verify() -> None:
    old = "an-old-secret-key-of-sufficient-length-0123456789-abcdef"
    with override_settings(SECRET_KEY=old):
        before = make_message_id("123456", "r1")
        token = make_reply_token("123456", "ken@example.com")
    assert not is_our_message_id(before)
    with override_settings(SECRET_KEY_FALLBACKS=[old]):
        assert ticket_number_from_ids(before) == "123456"
        parsed = parse_reply_token(token)
        assert parsed and reply_token_matches(*parsed, "ken@example.com")


def test_a_reply_token_is_one_per_ticket_and_person() -> None:
    token = make_reply_token("123456", "Ken@Example.com")
    assert token.startswith("t.123456.") and len(token) == len("t.123456.") + 20
    number, signature = parse_reply_token(token.upper()) or ("", "")
    assert number == "123456"
    assert reply_token_matches(number, signature, "ken@example.com")  # case does not matter
    assert not reply_token_matches(number, signature, "olive@example.org")
    assert not reply_token_matches("123457", signature, "ken@example.com")
    assert make_reply_token("123457", "ken@example.com") != token


def test_only_a_token_shaped_tag_is_read_as_one() -> None:
    for tag in ["", "t.", "t.123.abc", "news", f"t.123456.{'g' * 20}", f"x.123456.{'0' * 20}"]:
        assert parse_reply_token(tag) is None
