"""`html_to_text` lays out the desk editor's blocks as a person would write the
mail: a list ends its paragraph, and what follows starts a new one (issue 13's
trial: a Trix reply's text part read "- Boot into safe modeSee our guide").
Its speed is test_html_to_text.py's."""

from __future__ import annotations

import pytest

from helpline.lib.html import html_to_text, sanitize

# What Trix writes for a greeting, a list and a closing line.
TRIX_REPLY = (
    "<div><strong>Hi</strong></div>"
    "<ul><li>One</li><li>Boot into safe mode</li></ul>"
    '<div><strong>See our guide</strong> <a href="https://x.test/g">here</a></div>'
)


def test_the_text_after_a_list_starts_a_paragraph_of_its_own() -> None:
    assert html_to_text(sanitize(TRIX_REPLY)) == (
        "Hi\n\n- One\n- Boot into safe mode\n\nSee our guide here (https://x.test/g)"
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        # A numbered list, then the editor's next block.
        ("<ol><li>a</li><li>b</li></ol><div>done</div>", "1. a\n2. b\n\ndone"),
        # Text straight after the list, in no block at all.
        ("<ul><li>a</li></ul>after", "- a\n\nafter"),
        # Two lists in a row stay two.
        ("<ul><li>a</li></ul><ol><li>b</li></ol>", "- a\n\n1. b"),
        # Trix's sibling blocks are paragraphs; its line breaks are lines.
        ("<div>one<br>two</div><div>three</div>", "one\ntwo\n\nthree"),
        # A list inside an item ends with its line, not a paragraph.
        (
            "<ul><li>a<ul><li>sub</li></ul></li><li>b</li></ul><div>end</div>",
            "- a\n- sub\n- b\n\nend",
        ),
    ],
)
def test_lists_and_blocks_keep_their_lines(body: str, text: str) -> None:
    assert html_to_text(sanitize(body)) == text
