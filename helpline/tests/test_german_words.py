"""The English-word detector of the German page check (helpline/tests/german.py)
finds English and never German."""

from __future__ import annotations

from helpline.tests.german import english_words

GERMAN = (
    "Ihr Ticket wurde geschlossen. Was war die Antwort? Also: Status offen, Name, "
    "Team, Link, Code, Filter, Export, Start, Update, E-Mail, Admin, Person, Note. "
    "Sie haben noch 3 Wiederherstellungscodes. Ich will, dass es still ist; man sieht "
    "die See am Montag um 9 Uhr. IT-Abteilung, CSV, SLA-Plan, Not, Form, Type."
)


def test_german_sentences_have_no_english_word() -> None:
    assert english_words(GERMAN) == []


def test_english_sentences_are_found_by_their_words() -> None:
    found = english_words("Sign in to your account: the ticket's reply has been sent.")

    assert found == [
        "Sign",
        "to",
        "your",
        "account",
        "the",
        "ticket's",
        "reply",
        "has",
        "been",
        "sent",
    ]


def test_acronyms_in_capitals_are_not_words() -> None:
    assert english_words("IT, US, PM") == []
