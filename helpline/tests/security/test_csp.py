"""The Content-Security-Policy header (django.middleware.csp, settings.SECURE_CSP):
on every kind of response, with the directives docs/security/csp.md promises, and
templates that need nothing the policy refuses (no inline scripts, no inline event
handlers, no style attributes or <style> blocks, no javascript: URLs).

What the browser makes of it is checked in test_csp_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from helpline.conftest import World

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def without_nonces(policy: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: [v for v in vs if not v.startswith("'nonce-")] for k, vs in policy.items()}


@pytest.fixture
def admin_client(client: Client, world: World) -> Client:
    client.force_login(world.admin.user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/",  # portal
        "/open/",
        "/login/",
        "/desk/login/",
        "/no-such-page/",  # 404
        "/api/v1/tickets",  # JSON (401): a JSON answer opened in a tab is a page too
        "/api/openapi.json",
        "/api/docs",
        "/admin/login/",
    ],
)
def test_every_response_carries_the_policy(client: Client, world: World, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500
    assert without_nonces(directives(response["Content-Security-Policy"])) == EXPECTED


@pytest.mark.parametrize("path", ["/desk/", "/desk/reports/", "/desk/tickets/new/"])
def test_desk_pages_carry_the_policy_without_a_nonce(
    client: Client, world: World, path: str
) -> None:
    """Our own pages need no nonce: a nonce in the header would mean some template
    asked for one, that is, an inline script or style crept back in."""
    client.force_login(world.supervisor.user)
    response = client.get(path)
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == EXPECTED


def test_a_ticket_page_carries_the_policy(client: Client, world: World) -> None:
    ticket = world.open()
    client.force_login(world.agent.user)
    response = client.get(f"/desk/tickets/{ticket.number}/")
    # The desk's ticket page hands its editor (Trix) the nonce for Trix's own
    # <style>: the policy is the same but for that one fresh nonce.
    policy = directives(response["Content-Security-Policy"])
    [nonce] = [v for v in policy["style-src"] if v.startswith("'nonce-")]
    assert f'<meta name="trix-csp-nonce" nonce="{nonce[7:-1]}">' in response.content.decode()
    assert policy == {**EXPECTED, "script-src": ["'self'", nonce], "style-src": ["'self'", nonce]}
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    response = client.get(f"/tickets/{ticket.number}/")
    assert directives(response["Content-Security-Policy"]) == EXPECTED


def test_the_admin_nonce_in_the_header_is_the_one_on_its_inline_blocks(
    admin_client: Client,
) -> None:
    """The Django admin marks its inline <script>/<style> with {% csp_nonce_attr %};
    the header must allow exactly that nonce, and a new one on every response."""
    first = admin_client.get("/admin/accounts/customer/add/")
    second = admin_client.get("/admin/accounts/customer/add/")
    nonces = []
    for response in (first, second):
        policy = directives(response["Content-Security-Policy"])
        header_nonces = {v for v in policy["script-src"] if v.startswith("'nonce-")}
        assert len(header_nonces) == 1
        nonce = header_nonces.pop()[len("'nonce-") : -1]
        assert f'nonce="{nonce}"' in response.content.decode()
        assert f"'nonce-{nonce}'" in policy["style-src"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_policy_forbids_unsafe_sources() -> None:
    text = repr(settings.SECURE_CSP)
    for word in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "http:", "https:"):
        assert word not in text


# --- the templates ----------------------------------------------------------------------

# Web page templates: everything but the mail templates (mail clients need inline
# styles, and mail is not served under our policy).
TEMPLATES = sorted(
    p
    for p in ROOT.glob("**/templates/**/*.html")
    if "/notify/templates/" not in str(p) and ".venv" not in p.parts
)

FORBIDDEN = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")"),
    "a <style> block": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "an hx-on attribute (evaluated code)": re.compile(r"\shx-on", re.IGNORECASE),
}


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_needs_what_the_policy_refuses(template: Path) -> None:
    text = template.read_text()
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}"


def test_the_api_schema_has_no_duplicate_keys(client: Client) -> None:
    """Swagger UI reads the schema as YAML and refuses a duplicate key (a response
    keyed both 200 and "200" once left /api/docs empty)."""
    import json

    def refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get("/api/openapi.json").content, object_pairs_hook=refuse_duplicates)


def test_the_api_schema_is_a_valid_openapi_document(client: Client) -> None:
    """The whole schema, checked against the OpenAPI specification by a validator
    (the duplicate 200 above passed Python's json, and only Swagger UI refused it)."""
    import json

    from openapi_spec_validator import validate

    schema = json.loads(client.get("/api/openapi.json").content)
    assert str(schema["openapi"]).startswith("3.")
    validate(schema)
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) > 20  # the whole API, not an empty shell


def test_the_server_error_page_takes_its_style_from_the_stylesheet(rf: RequestFactory) -> None:
    from django.views.defaults import server_error

    page = server_error(rf.get("/")).content.decode()
    assert "helpline/helpline.css" in page
    assert "style=" not in page
