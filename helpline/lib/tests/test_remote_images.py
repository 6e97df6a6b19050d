"""Remote images in message bodies become links to them (helpline.lib.remote_images).

Bodies here go through helpline.lib.html.sanitize first, as every stored body has."""

from __future__ import annotations

import pytest
from django.utils.safestring import SafeString

from helpline.lib.html import sanitize
from helpline.lib.remote_images import block_remote_images


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


def test_many_images_in_a_large_body_are_all_replaced() -> None:
    body = sanitize(
        "".join(f'<p>{i}<img src="https://h{i}.example/p.gif"></p>' for i in range(500))
    )
    result = block_remote_images(body)
    assert "<img" not in result
    assert result.count('class="remote-image"') == 500
