"""Looking customers up as an agent types (the suggestions, the new-ticket form)."""

from __future__ import annotations

import pytest

from helpline.conftest import World, make_customer
from helpline.search.customers import lookup

pytestmark = pytest.mark.django_db


def names(typed: str) -> list[str]:
    return [c.name for c in lookup(typed)]


def test_it_finds_a_customer_by_any_part_of_name_address_or_phone(world: World) -> None:
    wile = make_customer("Wile E. Coyote", "wile@acme.example")
    wile.phone = "+1 555 0199"
    wile.save()
    for typed in ("coyo", "oyote", "acme", "wile@acme.example", "0199", "WILE coy"):
        assert names(typed) == ["Wile E. Coyote"], typed


def test_it_keeps_up_with_changes_of_name_and_address(world: World) -> None:
    ken = world.customer
    ken.name = "Kenneth Adams"
    ken.email = "kenneth@adams.example"
    ken.save()
    assert names("kenneth") == ["Kenneth Adams"]
    assert names("ken@example.com") == []
    ken.delete()
    assert names("kenneth") == []


@pytest.mark.parametrize("typed", ["", "ab", "a\x00b", 'ab"c', "%%%", "___", "\\\\x", "* NEAR"])
def test_short_or_hostile_text_finds_nobody_or_something_but_never_fails(
    world: World, typed: str
) -> None:
    assert isinstance(lookup(typed), list)


def test_wildcards_are_taken_literally(world: World) -> None:
    make_customer("Percent Person", "pp@example.org")
    assert names("%%%") == []
    assert names("___") == []
