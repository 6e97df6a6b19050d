"""The XSS sweep's corpus: payloads an attacker would put in every field they control.

Each payload is a template with `{m}`, replaced by a marker that names the payload,
the channel and the field it went through (markers.py), so whatever fires says
where it came from. A payload that runs calls `__xss('<marker>')` (a function the
test exposes in the browser); one that injects markup without running carries a
`data-xss` attribute (or an `xss-` element, an `on*` handler, a `javascript:` URL)
that the DOM check finds. A payload that gets through escaping under our CSP also
raises a `securitypolicyviolation` event.

`live_as` says how the payload is live: "" means it runs or injects when a page
puts it in HTML unescaped; the other values name the server mistake it is aimed at
(normalizing unicode, decoding entities or percent escapes twice, dropping NULs or
invisible characters, stripping <script> tags once instead of escaping, rendering
text as a template). The positive control
(test_xss_detector.py) applies that mistake and proves each payload is then caught,
so no payload in the corpus is dead weight and the detector is known to hear it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from django.template import Context, Template


@dataclass(frozen=True)
class Payload:
    key: str
    text: str  # with {m} for the marker
    family: str
    live_as: str = ""
    # Left open, it swallows what follows it in HTML (an unclosed <script>, comment,
    # attribute or <style>): the sweep puts it last among the payloads of a field.
    swallows: bool = False

    def __call__(self, marker: str) -> str:
        return self.text.replace("{m}", marker)


def _p(key: str, family: str, text: str, live_as: str = "", swallows: bool = False) -> Payload:
    return Payload(key=key, text=text, family=family, live_as=live_as, swallows=swallows)


CALL = "__xss('{m}')"

PAYLOADS: list[Payload] = [
    # <script>, in every spelling.
    _p("script", "script", f"<script>{CALL}</script>"),
    _p("script-mixed-case", "script", f"<ScRiPt>{CALL}</sCrIpT>"),
    _p("script-unclosed", "broken tag", f"<script>{CALL}", swallows=True),
    _p(
        "script-src-data",
        "data: URL",
        "<script src=\"data:text/javascript,__xss('{m}')\"></script>",
    ),
    _p(
        "script-nested",
        "broken tag",
        f"<scr<script>ipt>{CALL}</scr</script>ipt>",
        live_as="strip-script-once",
    ),
    _p("script-double-open", "broken tag", f"<<script>{CALL}//<</script>"),
    # Event handlers.
    _p("img-onerror", "event handler", '<img src=x onerror="__xss(\'{m}\')" data-xss="{m}">'),
    _p("img-onerror-unquoted", "event handler", "<IMG SRC=x ONERROR=__xss('{m}') DATA-XSS={m}>"),
    _p(
        "img-no-close", "broken tag", "<img src=x onerror=__xss('{m}') data-xss={m} ", swallows=True
    ),
    _p(
        "img-onerror-entities",
        "event handler",
        '<img src=x onerror="&#95;&#95;xss(\'{m}\')" data-xss="{m}">',
    ),
    _p("body-onload", "event handler", '<body onload="__xss(\'{m}\')" data-xss="{m}">'),
    _p(
        "input-autofocus",
        "event handler",
        '<input autofocus onfocus="__xss(\'{m}\')" data-xss="{m}">',
    ),
    _p(
        "details-ontoggle",
        "event handler",
        '<details open ontoggle="__xss(\'{m}\')" data-xss="{m}">',
    ),
    _p(
        "video-source-onerror",
        "event handler",
        '<video><source onerror="__xss(\'{m}\')" data-xss="{m}"></video>',
    ),
    _p(
        "marquee-onstart",
        "event handler",
        '<marquee onstart="__xss(\'{m}\')" data-xss="{m}">m</marquee>',
    ),
    # Breaking out of the context the value is put in.
    _p(
        "break-double-quote",
        "context break",
        '"><img src=x onerror="__xss(\'{m}\')" data-xss="{m}">',
    ),
    _p("break-single-quote", "context break", "'><img src=x onerror=__xss('{m}') data-xss={m}>"),
    _p("attr-double-quote", "context break", '" autofocus onfocus="__xss(\'{m}\')" data-xss="{m}'),
    _p("attr-single-quote", "context break", "' autofocus onfocus='__xss(\"{m}\")' data-xss='{m}"),
    _p("break-textarea", "context break", f"</textarea><script>{CALL}</script>"),
    _p("break-title", "context break", f"</title><script>{CALL}</script>"),
    _p("break-script", "context break", f"</script><script>{CALL}</script>"),
    _p(
        "break-comment",
        "context break",
        '--><img src=x onerror="__xss(\'{m}\')" data-xss="{m}"><!--',
        swallows=True,
    ),
    # SVG and MathML (foreign content, where parsing rules change).
    _p("svg-onload", "SVG/MathML", '<svg onload="__xss(\'{m}\')" data-xss="{m}"></svg>'),
    _p("svg-script", "SVG/MathML", f"<svg><script>{CALL}</script></svg>"),
    _p(
        "svg-animate",
        "SVG/MathML",
        '<svg><animate onbegin="__xss(\'{m}\')" attributeName=x dur=1s data-xss="{m}"></svg>',
    ),
    _p(
        "svg-a-xlink",
        "SVG/MathML",
        '<svg><a xlink:href="javascript:__xss(\'{m}\')" data-xss="{m}"><text>x</text></a></svg>',
    ),
    _p(
        "math-mglyph-style",
        "SVG/MathML",
        '<math><mtext><table><mglyph><style><img src=x onerror="__xss(\'{m}\')" data-xss="{m}">',
        swallows=True,
    ),
    _p(
        "svg-style-mxss",
        "SVG/MathML",
        "<svg></p><style><a title=\"</style><img src=x onerror=__xss('{m}') data-xss={m}>\">",
        swallows=True,
    ),
    _p(
        "noscript-mxss",
        "SVG/MathML",
        "<noscript><p title=\"</noscript><img src=x onerror=__xss('{m}') data-xss={m}>\">",
    ),
    # javascript: and data: URLs.
    _p(
        "a-javascript",
        "javascript: URL",
        '<a href="javascript:__xss(\'{m}\')" data-xss="{m}">link</a>',
    ),
    _p(
        "a-javascript-entities",
        "javascript: URL",
        '<a href="&#106;ava&#x09;script:__xss(\'{m}\')" data-xss="{m}">link</a>',
    ),
    _p(
        "iframe-javascript",
        "javascript: URL",
        '<iframe src="javascript:__xss(\'{m}\')" data-xss="{m}"></iframe>',
    ),
    _p(
        "iframe-srcdoc",
        "data: URL",
        '<iframe srcdoc="<script>__xss(\'{m}\')</script>" data-xss="{m}"></iframe>',
    ),
    _p(
        "object-data",
        "data: URL",
        '<object data="data:text/html,<script>__xss(\'{m}\')</script>" data-xss="{m}"></object>',
    ),
    _p(
        "a-data-html",
        "data: URL",
        '<a href="data:text/html,<script>__xss(\'{m}\')</script>" data-xss="{m}">d</a>',
    ),
    _p(
        "meta-refresh",
        "javascript: URL",
        '<meta http-equiv=refresh content="0;url=javascript:__xss(\'{m}\')" data-xss="{m}">',
    ),
    _p(
        "form-action",
        "javascript: URL",
        '<form action="javascript:__xss(\'{m}\')" data-xss="{m}"><button>go</button></form>',
    ),
    _p("base-href", "javascript: URL", '<base href="https://xss.invalid/{m}/" data-xss="{m}">'),
    # CSS.
    _p(
        "css-url",
        "CSS",
        '<div style="background:url(\'https://xss.invalid/{m}.png\')" data-xss="{m}">c</div>',
    ),
    _p(
        "css-expression",
        "CSS",
        '<div style="width:expression(__xss(\'{m}\'))" data-xss="{m}">c</div>',
    ),
    _p(
        "css-style-import",
        "CSS",
        "<style data-xss=\"{m}\">@import 'https://xss.invalid/{m}.css';</style>",
    ),
    _p(
        "css-link", "CSS", '<link rel=stylesheet href="https://xss.invalid/{m}.css" data-xss="{m}">'
    ),
    # htmx attributes: markup the page's own htmx would act on.
    _p(
        "htmx-get-load",
        "htmx",
        '<div hx-get="/xss/{m}" hx-trigger="load" hx-target="body" data-xss="{m}">h</div>',
    ),
    _p("htmx-on", "htmx", '<button hx-on:htmx:load="__xss(\'{m}\')" data-xss="{m}">h</button>'),
    _p(
        "htmx-data-prefix",
        "htmx",
        '<img src=x data-hx-on::load="__xss(\'{m}\')" data-hx-get="/xss/{m}" data-xss="{m}">',
    ),
    # Remote images, which the desk and portal turn into links (remote_images.py):
    # hostile text in the URL and in the alt text the placeholder repeats.
    _p(
        "remote-image-url",
        "remote image",
        '<img data-xss="{m}" src="https://xss.invalid/{m}.png&quot;&gt;&lt;svg onload='
        "__xss('{m}')&gt;\" alt=x>",
    ),
    _p(
        "remote-image-alt",
        "remote image",
        '<img data-xss="{m}" alt="&lt;svg onload=__xss(\'{m}\') data-xss={m}&gt;" '
        'src="//xss.invalid/{m}.png">',
    ),
    # Template injection: only live if a server renders what we send as a template.
    _p(
        "template-django",
        "template injection",
        "{{ '<img src=x onerror=__xss(`{m}`) data-xss={m}>'|safe }}",
        live_as="template",
    ),
    _p(
        "template-tag",
        "template injection",
        "{% autoescape off %}{{ '<svg onload=__xss(`{m}`) data-xss={m}>' }}{% endautoescape %}",
        live_as="template",
    ),
    # Unicode and encoding tricks.
    _p("rtl-override", "unicode", f"\u202e<script>{CALL}</script>\u202c"),
    _p(
        "fullwidth",
        "unicode",
        "\uff1cimg src=x onerror=__xss('{m}') data-xss={m}\uff1e",
        live_as="nfkc",
    ),
    _p("null-byte", "unicode", f"<scr\x00ipt>{CALL}</scr\x00ipt>", live_as="strip-nul"),
    _p(
        "zero-width",
        "unicode",
        "<im\u200bg src=x one\u200crror=__xss('{m}') data-xss={m}>",
        live_as="strip-invisible",
    ),
    _p(
        "entities-once",
        "encoding",
        "&lt;img src=x onerror=__xss('{m}') data-xss={m}&gt;",
        live_as="unescape",
    ),
    _p(
        "percent-encoded",
        "encoding",
        "%3Cimg%20src%3Dx%20onerror%3D__xss('{m}')%20data-xss%3D{m}%3E",
        live_as="unquote",
    ),
]

KEYS = [p.key for p in PAYLOADS]
assert len(set(KEYS)) == len(KEYS), "payload keys must be unique"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"))


def as_live(payload: Payload, text: str) -> str:
    """`text` (the payload with its marker) after the server mistake it aims at."""
    match payload.live_as:
        case "":
            return text
        case "nfkc":
            return unicodedata.normalize("NFKC", text)
        case "strip-nul":
            return text.replace("\x00", "")
        case "strip-invisible":
            return text.translate(_INVISIBLE)
        case "unescape":
            return html.unescape(text)
        case "unquote":
            return unquote(text)
        case "strip-script-once":
            return re.sub(r"</?script>", "", text)
        case "template":
            return Template(text.replace("`", '"')).render(Context({}))
    raise ValueError(payload.live_as)
