"""Remote images in message bodies become links to them (helpline.lib.remote_images).

Bodies here go through helpline.lib.html.sanitize first, as every stored body has."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString

from helpline.lib.html import sanitize
from helpline.lib.remote_images import MAX_PLACEHOLDERS, block_remote_images


def shown(html: str) -> str:
    return block_remote_images(sanitize(html))


def test_it_leaves_a_body_without_images_exactly_as_it_is() -> None:
    body = sanitize('<p>Hello <a href="https://example.com/">there</a> &amp; <b>bye</b></p>')
    result = block_remote_images(body)
    assert result == body
    assert isinstance(result, SafeString)


def test_it_turns_a_remote_image_into_a_link_that_names_its_host() -> None:
    result = shown('<p>Logo: <img src="https://cdn.example.com/t.gif?u=42" alt="">.</p>')
    assert "<img" not in result
    assert result == (
        '<p>Logo: <a class="remote-image" href="https://cdn.example.com/t.gif?u=42" '
        'target="_blank" rel="noopener noreferrer nofollow" '
        'title="https://cdn.example.com/t.gif?u=42">'
        "Remote image from cdn.example.com blocked — open</a>.</p>"
    )


def test_it_names_the_image_by_its_alt_text() -> None:
    result = shown('<img src="http://example.org/a.png" alt="Our   new\nlogo">')
    assert "Remote image “Our new logo” from example.org blocked — open" in result


@pytest.mark.parametrize(
    "src, host",
    [
        ("//tracker.example.net/p.gif", "tracker.example.net"),
        ("HTTPS://Tracker.Example.NET/p.gif", "tracker.example.net"),
        ("https://user:pw@tracker.example.net:8443/p.gif", "tracker.example.net"),
        ("  https://tracker.example.net/p.gif  ", "tracker.example.net"),
        ("https://track\ner.example.net/p.gif", "tracker.example.net"),
        ("https://[2001:db8::1]/p.gif", "2001:db8::1"),
        ("https://bücher.example/p.gif", "xn--bcher-kva.example"),
    ],
)
def test_it_catches_every_spelling_a_browser_would_fetch(src: str, host: str) -> None:
    result = block_remote_images(f'<p><img src="{src}"></p>')
    assert "<img" not in result
    assert f"from {host} blocked" in result


def test_it_reads_backslashes_as_browsers_do() -> None:
    # The sanitizer keeps "/\host" as a relative URL; a browser fetches it from host.
    result = block_remote_images('<img src="/\\tracker.example.net/p.gif">')
    assert "<img" not in result
    assert "from tracker.example.net blocked" in result


def test_a_scheme_relative_image_links_over_https() -> None:
    result = block_remote_images('<img src="//example.net/p.gif">')
    assert 'href="https://example.net/p.gif"' in result


def test_it_blocks_a_relative_image_without_a_link() -> None:
    """A relative address would be fetched from our own site, as the agent."""
    result = shown('<p><img src="/desk/logout/" alt="x"></p>')
    assert "<img" not in result
    assert "<a" not in result
    assert "blocked: its address is not a web address" in result


@pytest.mark.parametrize("src", ["cid:part1.abc@example.com", "data:image/png;base64,iVBORw0KGgo="])
def test_it_leaves_cid_and_data_images_alone(src: str) -> None:
    body = f'<p><img src="{src}" alt="inline"></p>'
    assert block_remote_images(body) == body


def test_it_keeps_everything_around_the_images_byte_for_byte() -> None:
    body = sanitize(
        "<p>one &lt;b&gt; &amp; two</p>\n<p>a<img src='https://a.example/1.png'>b</p>"
        '<table><tr><td>x</td><td><img alt="&quot;q&quot;" src="https://b.example/2.png">'
        '</td></tr></table>\n<p>end <img src="cid:c"> ✓</p>'
    )
    result = block_remote_images(body)
    assert result.count('class="remote-image"') == 2
    assert "<p>one &lt;b&gt; &amp; two</p>\n<p>a<a " in result
    assert "</a>b</p><table><tbody><tr><td>x</td><td><a " in result
    assert "“&quot;q&quot;” from b.example" in result
    assert result.endswith('<p>end <img src="cid:c"> ✓</p>')


def test_a_hostile_alt_or_url_stays_text() -> None:
    result = shown(
        '<img alt="&quot;&gt;<script>alert(1)</script>" '
        'src="https://x.example/&quot;onerror=alert(1)//">'
    )
    assert "<script" not in result
    assert 'href="https://x.example/&quot;onerror=alert(1)//"' in result
    assert '"onerror' not in result


def link_depths(html: str) -> list[int]:
    """How many <a> elements are open at each <a> start tag."""

    class Links(HTMLParser):
        depth = 0
        seen: list[int] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "a":
                self.seen.append(self.depth)
                self.depth += 1

        def handle_endtag(self, tag: str) -> None:
            if tag == "a":
                self.depth -= 1

    parser = Links()
    parser.seen = []
    parser.feed(html)
    return parser.seen


def test_an_image_inside_a_link_is_text_there_and_its_link_follows_the_link() -> None:
    result = shown(
        '<p><a href="https://shop.example/">Buy <img src="https://cdn.example/x.png" alt="b">'
        " now</a> after</p>"
    )
    assert link_depths(result) == [0, 0]  # no link inside a link
    assert result == (
        '<p><a href="https://shop.example/" rel="noopener noreferrer nofollow">Buy '
        '<span class="remote-image" title="https://cdn.example/x.png">'
        "Remote image “b” from cdn.example blocked (link follows)</span> now</a>"
        '<a class="remote-image" href="https://cdn.example/x.png" target="_blank" '
        'rel="noopener noreferrer nofollow" title="https://cdn.example/x.png">'
        "Remote image “b” from cdn.example blocked — open</a> after</p>"
    )


def test_the_link_to_an_image_in_links_within_links_follows_the_outermost() -> None:
    # An HTML parser keeps a link inside a table inside a link, so sanitized markup
    # can hold one; ours goes after the outer one closes, never inside either.
    result = shown(
        '<a href="https://x.example/"><table><tr><td><a href="https://y.example/">'
        '<img src="https://t.example/p.gif"></a></td></tr></table>tail</a><p>next</p>'
    )
    assert link_depths(result) == [0, 1, 0]
    assert "<span class" in result.split('<a href="https://y.example/"')[1].split("</a>")[0]
    assert result.endswith(
        'tail</a><a class="remote-image" href="https://t.example/p.gif" target="_blank" '
        'rel="noopener noreferrer nofollow" title="https://t.example/p.gif">'
        "Remote image from t.example blocked — open</a><p>next</p>"
    )


def test_an_image_that_is_not_a_web_address_inside_a_link_stays_text() -> None:
    result = shown('<a href="https://x.example/">go <img src="/local.png"></a>')
    assert link_depths(result) == [0]
    assert "Image blocked: its address is not a web address</span></a>" in result


def test_many_images_in_a_large_body_become_at_most_fifty_placeholders() -> None:
    body = sanitize(
        "".join(f'<p>{i}<img src="https://h{i}.example/p.gif"></p>' for i in range(500))
    )
    result = block_remote_images(body)
    assert "<img" not in result
    assert MAX_PLACEHOLDERS == 50
    assert result.count('class="remote-image"') == 50
    assert "h49.example" in result and "h50.example" not in result
    assert "<p>499</p>" in result  # the text around the others stays
    assert result.endswith(
        '<p class="remote-image-more">… and 450 more remote images, not shown.</p>'
    )


def test_one_image_past_the_bound_is_counted_in_the_singular() -> None:
    body = "".join(f'<img src="https://h{i}.example/p.gif">' for i in range(51))
    result = block_remote_images(body)
    assert result.count('class="remote-image"') == 50
    assert result.endswith("… and 1 more remote image, not shown.</p>")


def test_images_inside_links_count_towards_the_bound_too() -> None:
    body = sanitize(
        '<a href="https://x.example/">'
        + "".join(f'<img src="https://h{i}.example/p.gif">' for i in range(60))
        + "</a>"
    )
    result = block_remote_images(body)
    assert result.count('<span class="remote-image"') == 50
    assert result.count('<a class="remote-image"') == 50
    assert link_depths(result) == [0] * 51
    assert result.endswith("… and 10 more remote images, not shown.</p>")


def test_a_cid_image_is_pointed_at_its_file_when_the_page_has_the_message_files() -> None:
    body = sanitize('<p>See:</p><img src="cid:Shot.1@Example.COM" alt="the error">')
    html = block_remote_images(body, {"shot.1@example.com": "/desk/files/7?view=1"})
    assert '<img class="inline-image" src="/desk/files/7?view=1" alt="the error"' in html
    assert "cid:" not in html


def test_a_percent_encoded_cid_finds_its_file() -> None:
    # RFC 2392: a cid URL is the Content-ID with URL escapes.
    body = sanitize('<img src="cid:part%201@mail">')
    assert "/f/1" in block_remote_images(body, {"part 1@mail": "/f/1"})


def test_a_cid_image_the_message_lacks_says_so_and_loads_nothing() -> None:
    body = sanitize('<img src="cid:gone@mail" alt="logo">')
    html = block_remote_images(body, {"other@mail": "/f/1"})
    assert "<img" not in html
    assert "Picture “logo”: not in the message" in html


def test_inline_pictures_are_not_counted_as_blocked_images() -> None:
    pictures = {f"p{i}@mail": f"/f/{i}" for i in range(MAX_PLACEHOLDERS + 5)}
    body = sanitize("".join(f'<img src="cid:p{i}@mail">' for i in range(len(pictures))))
    html = block_remote_images(body, pictures)
    assert html.count('class="inline-image"') == len(pictures)
    assert "more remote image" not in html
