"""Cutting the quoted conversation off replies."""

from __future__ import annotations

import pytest

from helpline.intake.quotes import strip_quoted, strip_quoted_html

MARKER = "-- Reply above this line to add to ticket #123456 --"


def test_the_reply_is_what_stands_above_our_marker() -> None:
    text = f"Thanks, that fixed it.\n\n{MARKER}\n\nAlice Agent replied:\nUnplug it."

    assert strip_quoted(text) == "Thanks, that fixed it."


def test_a_quoted_marker_and_its_attribution_are_cut_too() -> None:
    text = (
        "Still broken.\n\nOn Mon, 3 Jun 2024 at 10:00, Helpline <support@helpline.test>\n"
        f"wrote:\n\n> {MARKER}\n> Alice replied:\n> Unplug it."
    )

    assert strip_quoted(text) == "Still broken."


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Jun 3, 2024 at 10:00 AM Alice Agent <alice@helpline.test> wrote:",
        "On Mon, Jun 3, 2024 at 10:00 AM Alice Agent <\nalice@helpline.test> wrote:",
        "On 03/06/2024 10:00, Alice Agent wrote:",
        "Am 03.06.2024 um 10:00 schrieb Alice Agent <alice@helpline.test>:",
        "Le lun. 3 juin 2024 à 10:00, Alice Agent <alice@helpline.test> a écrit :",
        "El lun, 3 jun 2024 a las 10:00, Alice Agent (<alice@helpline.test>) escribió:",
        "Il giorno lun 3 giu 2024 alle ore 10:00 Alice Agent ha scritto:",
        "Op ma 3 jun. 2024 om 10:00 schreef Alice Agent <alice@helpline.test>:",
        "Em seg., 3 de jun. de 2024 às 10:00, Alice Agent escreveu:",
        "Den 3 juni 2024 kl. 10:00 skrev Alice Agent <alice@helpline.test>:",
        "2024年6月3日 10:00 Alice Agent <alice@helpline.test> 写道：",  # noqa: RUF001
    ],
)
def test_common_attribution_lines_start_the_quote(attribution: str) -> None:
    text = f"Here is the log you asked for.\n\n{attribution}\n\n> Please send the log.\n"

    assert strip_quoted(text) == "Here is the log you asked for."


def test_outlooks_original_message_line_starts_the_quote() -> None:
    text = (
        "Done.\n\n-----Original Message-----\nFrom: Helpline\nSent: Monday\n"
        "Subject: Printer\n\nPlease restart it."
    )

    assert strip_quoted(text) == "Done."


def test_outlooks_header_block_starts_the_quote_with_its_underscores() -> None:
    text = (
        "Done, see attached.\n\n________________________________\n"
        "From: Helpline <support@helpline.test>\nSent: Monday, June 3, 2024 10:00\n"
        "To: Ken Adams\nSubject: RE: [#123456] Printer\n\nPlease restart it."
    )

    assert strip_quoted(text) == "Done, see attached."


def test_a_german_outlook_header_block_starts_the_quote() -> None:
    text = "Erledigt.\n\nVon: Helpline\nGesendet: Montag\nAn: Ken\nBetreff: Drucker\n\nBitte."

    assert strip_quoted(text) == "Erledigt."


def test_trailing_quoted_lines_are_dropped_but_inline_answers_stay() -> None:
    text = "> Is it plugged in?\nYes.\n> Is it on?\nNo.\n\n> Thanks\n> Alice"

    assert strip_quoted(text) == "> Is it plugged in?\nYes.\n> Is it on?\nNo."


def test_ordinary_text_that_mentions_writing_is_kept() -> None:
    text = "On Monday the printer wrote garbage.\nFrom: the logs, nothing.\nRegards"

    assert strip_quoted(text) == text


def test_html_is_cut_at_gmails_quote() -> None:
    html = '<div>Thanks!</div><div class="gmail_quote"><div>On Mon wrote:</div><blockquote>old'

    assert strip_quoted_html(html) == "<div>Thanks!</div>"


def test_html_is_cut_at_apple_mails_cite() -> None:
    html = '<div>Thanks!</div><br><blockquote type="cite">old</blockquote>'

    assert strip_quoted_html(html) == "<div>Thanks!</div><br>"


def test_html_is_cut_at_our_marker_with_the_block_that_holds_it() -> None:
    html = f'<p>Fixed, thanks.</p>\n<div style="color:#999"><span>{MARKER}</span></div><p>old'

    assert strip_quoted_html(html) == "<p>Fixed, thanks.</p>"


def test_html_is_cut_at_outlooks_header_block() -> None:
    html = '<p>OK</p><div id="appendonsend"></div><hr><div id="divRplyFwdMsg">From: Helpline</div>'

    assert strip_quoted_html(html) == "<p>OK</p>"
