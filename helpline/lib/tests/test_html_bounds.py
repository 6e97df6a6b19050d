"""The bounds in front of the HTML sanitizer: hostile HTML is refused in linear time,
and whatever the check lets through is parsed fast and without blowing up.

The shapes below are the ones that make an HTML5 parser quadratic (deep stacks,
formatting elements re-opened before every paragraph), each with the tricks that
could hide its tags from a naive scanner (comments, attribute values, rawtext,
bogus comments, SVG). Each is built as large as the bounds allow."""

from __future__ import annotations

import time

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.lib import html as lib
from helpline.lib.html import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_HTML_CHARS,
    SafeHTML,
    check_html,
    is_blank,
    measure,
    sanitize,
    strip_tags,
    text_to_html,
)

# What a parse of anything the check accepts may cost at most. The shapes below
# cost seconds without the check (0.5 s for 20,000 nested divs, 1.2 s for 200
# open <b> before 20,000 paragraphs), a few milliseconds with it.
PARSE_SECONDS = 0.3


def parse(body: str) -> tuple[str, float]:
    """nh3 itself, without the bounds: what the check protects."""
    started = time.thread_time()
    out = nh3.clean(
        body, tags=lib.ALLOWED_TAGS, attributes=lib.ALLOWED_ATTRIBUTES, link_rel="noopener"
    )
    return out, time.thread_time() - started


def assert_refused_or_cheap(body: str) -> None:
    if check_html(body):
        return
    out, seconds = parse(body)
    assert seconds < PARSE_SECONDS, f"accepted, but parsing took {seconds:.2f} s"
    assert len(out) <= 10 * len(body) + 10_000, f"accepted, but {len(body)} became {len(out)}"


def repeat_to_limit(motif: str, tags_per_motif: int, prefix: str = "") -> str:
    return prefix + motif * (MAX_ELEMENTS // tags_per_motif - prefix.count("<"))


SHAPES = {
    "nested divs": ("<div>", 1, ""),
    "nested spans": ("<span>", 1, ""),
    "nested lists": ("<ul><li>", 2, ""),
    "nested tables": ("<table><td>", 2, ""),
    "nested quotes": ("<blockquote>", 1, ""),
    "links in links": ('<a href="https://x.example/">y', 1, ""),
    "blocks in spans": ("<span><div></span>", 3, ""),
    "blocks in formatting": ("<b><div></b>", 3, ""),
    "blocks in forms": ("<form><div></form>", 3, ""),
    "selects": ("<select><div>", 2, ""),
    "objects": ("<object><b>", 2, ""),
    "end tags in styles": ("<div><style></div></style>", 3, ""),
    "end tags in textareas": ("<div><textarea></div></textarea>", 3, ""),
    "end tags in noscript": ("<div><noscript></div></noscript>", 3, ""),
    "end tags in comments": ("<div><!-- </div> -->", 3, ""),
    "end tags in attributes": ('<div title="</div>">', 2, ""),
    "end tags in bogus comments": ("<div><! </div>", 2, ""),
    "escaped script": ("<div><script><!--<script></script></div>--></script>", 4, ""),
    "svg cdata": ("<svg><![CDATA[ > </svg> ]]>", 2, ""),
    "unclosed formatting before paragraphs": (
        "</p><p>x",
        1,
        "<p>" + "".join(f'<b title="{i}">' for i in range(200)),
    ),
    "few unclosed formatting before paragraphs": (
        "</p><p>x",
        1,
        "<p>" + "".join(f'<b title="{i}">' for i in range(20)),
    ),
    "unclosed fonts": ('<font face="Arial">x<p>y</p>', 2, ""),
}


@pytest.mark.parametrize("name", SHAPES)
def test_every_known_quadratic_shape_is_refused_or_parsed_fast(name: str) -> None:
    motif, tags, prefix = SHAPES[name]
    assert_refused_or_cheap(repeat_to_limit(motif, tags, prefix))


def test_it_refuses_the_forty_thousand_nested_divs_of_the_probe_in_milliseconds() -> None:
    body = "<div>" * 40_000 + "Hello" + "</div>" * 40_000  # 440 KB
    started = time.thread_time()
    reason = check_html(body)
    cleaned = sanitize(body)
    seconds = time.thread_time() - started
    assert "40,000 tags" in reason
    assert cleaned == "<p>Hello</p>"
    assert seconds < 0.1


def test_it_refuses_deep_nesting_within_the_tag_count() -> None:
    body = "<div>" * (MAX_DEPTH + 1) + "x"
    assert measure(body).depth == MAX_DEPTH + 1
    assert "deep" in check_html(body)
    assert sanitize(body) == "<p>x</p>"


@pytest.mark.parametrize("letter", ["İ", "ẞ", "K"])  # the last is the Kelvin sign
def test_letters_whose_lower_case_is_longer_or_ascii_blind_nothing(letter: str) -> None:
    """A review found the scan blind after "İ": it looked for the end of a <title>
    in body.lower(), where every "İ" is two characters, and skipped past the nesting."""
    nesting = "<div>" * (MAX_DEPTH + 1)
    body = letter * (len(nesting) + 100) + "<TITLE>x</Title>" + nesting + "x"
    assert measure(body).depth == MAX_DEPTH + 1
    assert "deep" in check_html(body)


def test_it_refuses_formatting_tags_the_parser_would_repeat_before_every_paragraph() -> None:
    body = "<p>" + "".join(f'<b title="{i}">' for i in range(100)) + "</p><p>x" * 5000
    assert "repeat" in check_html(body)


def test_it_refuses_html_over_the_size_limit_unread() -> None:
    body = "<p>" + "x" * MAX_HTML_CHARS + "</p>"
    assert "characters long" in check_html(body)
    assert sanitize(body).startswith("<p>xxx")


def test_ordinary_mail_html_passes_untouched() -> None:
    """An Outlook-style reply with a 20-level quoted thread, nested layout tables
    and open paragraphs, as real clients write them."""
    quoted = "".join(
        f'<blockquote type="cite"><div class="x"><p class=MsoNormal><span style="font-size:11pt">'
        f"Reply {i}<o:p></o:p></span></p>"
        for i in range(20)
    )
    tables = "<table><tr><td><table><tr><td>cell<td>next</table></table>" * 50
    sloppy = "<font face=Arial>" + "<p>one<p>two<ul><li>a<li>b</ul><b>old</b><p>style</p>" * 100
    body = "<html><body>" + quoted + tables + sloppy + "</body></html>"
    shape = measure(body)
    assert check_html(body) == "", shape
    assert shape.depth < 100
    assert sanitize(body) == nh3.clean(
        body,
        tags=lib.ALLOWED_TAGS,
        attributes=lib.ALLOWED_ATTRIBUTES,
        url_schemes=lib.URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


# The tokens of the tag soup: everything the check treats specially.
TOKENS = [
    "<div>", "</div>", "<span>", "</span>", "<p>", "</p>", "<b>", "</b>", '<b class="x">',
    "<i>", "</i>", '<a href="h">', "</a>", "<table>", "</table>", "<tr>", "<td>", "</td>",
    "<ul>", "<li>", "</ul>", "<font face=a>", "</font>", "<form>", "</form>", "<select>",
    "<object>", "</object>", "<style>", "</style>", "<textarea>", "</textarea>",
    "<script>", "</script>", "<!--", "-->", "<!-->", "<!", "<?", "</", ">", "<", '"', "'",
    "<svg>", "</svg>", "<![CDATA[", "]]>", "<math>", "<template>", "<noscript>",
    "</noscript>", "<h1>", "</h1>", "<button>", "<nobr>", "<br>", "<img src=x>", "text",
    "<dd>", "<dt>", "<caption>", "<colgroup>", "<col>", "<tbody>", "<plaintext>", "<xmp>",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    motif=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8),
    prefix=st.lists(st.sampled_from(TOKENS), max_size=30),
)
def test_any_tag_soup_the_check_accepts_parses_fast(motif: list[str], prefix: list[str]) -> None:
    """Repetition is what makes a parser quadratic: a random motif repeated up to
    the limits, behind a random prefix."""
    head = "".join(prefix)
    unit = "".join(motif)
    tags = max(1, unit.count("<"))
    times = min(MAX_ELEMENTS // tags, MAX_HTML_CHARS // max(1, len(unit))) - head.count("<")
    assert_refused_or_cheap(head + unit * max(0, times))


def test_the_scan_itself_is_fast_on_the_worst_it_accepts() -> None:
    body = "<span>" * (MAX_DEPTH - 1) + "<object>" + "<i></i>" * (MAX_ELEMENTS // 2 - MAX_DEPTH)
    started = time.thread_time()
    check_html(body)
    assert time.thread_time() - started < 0.5


@pytest.mark.parametrize(
    "body",
    ["<!--" * 250_000, "<script " * 120_000, "<a " * 300_000, "<" * 1_000_000, "<b>" * 300_000],
)
def test_stripping_tags_is_linear_whatever_the_input(body: str) -> None:
    started = time.thread_time()
    strip_tags(body * 20)  # 20 MB: only the first MAX_HTML_CHARS are read
    assert time.thread_time() - started < 1.0


def test_stripped_text_keeps_lines_and_drops_scripts_and_comments() -> None:
    body = "<div>Hello&nbsp;<b>there</b></div><script>alert(1)</script><!-- x --><p>Bye</p>"
    assert strip_tags(body) == "Hello there\n\nBye"


def test_safe_html_is_not_sanitized_twice_and_only_joins_with_safe_html() -> None:
    safe = sanitize("<p onclick=x>Hi</p>")
    assert safe == "<p>Hi</p>" and isinstance(safe, SafeHTML)
    assert sanitize(safe) is safe
    assert isinstance(safe + text_to_html("more"), SafeHTML)
    joined = safe + "<script>x</script>"
    assert not isinstance(joined, SafeHTML)
    assert sanitize(joined) == "<p>Hi</p>"


@pytest.mark.parametrize(
    ("body", "blank"),
    [
        ("<p> </p><div><br></div>", True),
        ("", True),
        ("<p>&nbsp;</p>", False),
        ('<p title="a>b"></p>', True),
        ("<img src=cid:x>", False),
        ("<p>x</p>", False),
        ("<script>only script</script>", True),
    ],
)
def test_blankness_is_judged_on_the_sanitized_text(body: str, blank: bool) -> None:
    assert is_blank(body) is blank
