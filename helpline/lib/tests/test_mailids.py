from __future__ import annotations

from django.test import override_settings

from helpline.lib.mailids import is_our_message_id, make_message_id, ticket_number_from_ids


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
