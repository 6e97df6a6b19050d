"""Shipped status and priority names show in the reader's language; admins' own
names show as typed; what is stored stays the shipped English."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.defaults import PRIORITIES, SHIPPED_NAMES, STATUSES, display_name
from helpline.tickets.models import Event, EventKind, Priority, Status


def test_every_shipped_name_has_its_translatable_word_and_no_other() -> None:
    shipped = {name for name, *_ in STATUSES} | {name for name, *_ in PRIORITIES}

    assert set(SHIPPED_NAMES) == shipped


def test_shipped_names_show_in_german() -> None:
    with translation.override("de"):
        assert display_name("Open") == "Offen"
        assert display_name("Pending Customer Reply") == "Wartet auf Antwort des Kunden"
        assert display_name("Emergency") == "Notfall"


def test_shipped_names_show_unchanged_in_english() -> None:
    with translation.override("en"):
        assert [display_name(name) for name, *_ in STATUSES] == [n for n, *_ in STATUSES]


def test_an_admins_own_name_shows_as_typed_in_any_language() -> None:
    with translation.override("de"):
        assert display_name("Waiting for parts") == "Waiting for parts"
        assert display_name("open") == "open"  # only the exact shipped name is ours


def test_the_models_and_the_template_filter_give_the_same_words(world: World) -> None:
    status = Status.objects.get(name="On Hold")
    priority = Priority.objects.get(name="High")
    own = Status.objects.create(name="Waiting for parts", state="open", order=35)
    template = Template(
        "{% load reference %}{{ status|display_name }}/{{ priority|display_name }}/"
        "{{ own|display_name }}/{{ 'Closed'|display_name }}/{{ nothing|display_name }}"
    )

    with translation.override("de"):
        shown = template.render(Context({"status": status, "priority": priority, "own": own}))
        assert (status.display_name, priority.display_name) == ("Zurückgestellt", "Hoch")

    assert shown == "Zurückgestellt/Hoch/Waiting for parts/Geschlossen/"


def test_a_status_change_made_in_german_stores_the_english_names(world: World) -> None:
    with translation.override("de"):
        ticket = lifecycle.change_status(
            world.open(), actor=world.agent, status=world.status("On Hold")
        )

    event = Event.objects.get(ticket=ticket, kind=EventKind.STATUS)
    assert (event.old_value, event.new_value) == ("Open", "On Hold")
    assert str(world.status("On Hold")) == "On Hold"


def test_a_rating_given_in_german_stores_the_english_score_word(world: World) -> None:
    ticket = lifecycle.resolve(world.open(), actor=world.agent, explanation_html="<p>Done.</p>")
    resolution = Event.objects.get(ticket=ticket, kind=EventKind.RESOLVED)

    with translation.override("de"):
        lifecycle.rate(
            ticket, customer=world.customer, resolution_event_id=resolution.pk, score="good"
        )

    assert Event.objects.get(ticket=ticket, kind=EventKind.RATED).new_value == "Good"


def test_shown_name_marks_only_the_names_an_admin_typed(world: World) -> None:
    labelled = Status.objects.get(name="In Progress")
    labelled.customer_label = "We are on it"
    own = Status.objects.create(name="Waiting for parts", state="open", order=35)
    template = Template(
        "{% load reference %}{{ shipped|shown_name }}|{{ labelled|shown_name }}|"
        "{{ own|shown_name }}|{{ 'Low'|shown_name }}|{{ html|shown_name }}"
    )
    context = Context(
        {"shipped": world.status("Open"), "labelled": labelled, "own": own, "html": "<b>"}
    )

    with translation.override("de"):
        shown = template.render(context)

    assert shown == (
        'Offen|<span translate="no">We are on it</span>|'
        '<span translate="no">Waiting for parts</span>|Niedrig|'
        '<span translate="no">&lt;b&gt;</span>'
    )
