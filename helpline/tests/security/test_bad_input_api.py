"""The bad-input sweep of the API: hypothesis generates query strings, JSON (and
some form, XML and plain-text) bodies and path arguments for every route under
/api/, sent with a valid credential (a key with every scope, an administrator's
or an agent's personal token, in either header); and osTicket-shaped JSON, XML
and raw mail for the osTicket endpoints, with a create key.

No answer may be a 5xx. Every 4xx of the REST API is the documented JSON
`{"detail": ..., "field": ...}`; the osTicket endpoints answer in osTicket's
plain text (their documented format), never with an HTML page.

The routes come from the route catalog (routes.py: every ninja route by URL
name, with the query parameters and body fields of its OpenAPI operation). Like
the web sweep: a fixed pass over each field's edges, then `EXAMPLES` random
requests per route, derandomized (see test_bad_input_web.py for the switches).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from hypothesis import given, note
from hypothesis import strategies as st

from helpline.api.tests.conftest import make_key, make_token
from helpline.conftest import World
from helpline.lib.access import routes
from helpline.tests.security.bad_input import (
    SCALE,
    Example,
    due_dates_in_range,
    edge_examples,
    examples,
    field_values,
    fixed_pass,
    report,
    says_why,
    send,
    sweep_settings,
)
from helpline.tests.security.routes import Case, Scene, api_cases, build_scene, pattern_key

EXAMPLES = 25 * SCALE
OSTICKET_EXAMPLES = 60 * SCALE

ROUTES = {pattern_key(r.route, r.name): r for r in routes()}
REST = [case for case in api_cases() if case.pattern != "osticket-create"]
# By route: ninja names one path once per operation (`api:tickets` and
# `api:list_tickets` are both /api/v1/tickets, and only the first resolves).
BY_ROUTE: dict[str, list[Case]] = {}
for _case in REST:
    BY_ROUTE.setdefault(ROUTES[_case.pattern].route, []).append(_case)
REST_PATTERNS = sorted(cases[0].pattern for cases in BY_ROUTE.values())
REST_BODIES = ("json", "json", "json", "json", "form", "text", "xml")
OSTICKET = {case.variant: case for case in api_cases() if case.pattern == "osticket-create"}
OSTICKET_FIELDS = (
    "name", "email", "phone", "subject", "message", "topicId", "priorityId", "source", "ip",
    "alert", "autorespond", "attachments", "notes", "duedate",
)  # fmt: skip
OSTICKET_BODIES = {"json": ("json", "json", "json", "form"), "xml": ("xml",), "email": ("email",)}


class Tally:
    inputs = 0


@pytest.fixture(scope="session", autouse=True)
def tally(request: pytest.FixtureRequest) -> Iterator[type[Tally]]:
    yield Tally
    report(request, f"API: {Tally.inputs} generated requests")


@pytest.fixture
def scene(world: World, settings: Any, tmp_path: Any) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    return build_scene(world, admin_rows=False)


def credentials(world: World) -> list[dict[str, str]]:
    """Every kind of caller the REST API knows, in both headers it reads."""
    secrets = [
        make_key(scopes=["tickets:create", "tickets:read", "tickets:write", "reports:read"]),
        make_key(scopes=["admin"], agent=world.admin),
        make_token(world.admin),
        make_token(world.agent),
    ]
    return [{"Authorization": f"Bearer {s}"} for s in secrets] + [{"X-API-Key": s} for s in secrets]


def documented_errors(response: Any, example: Example) -> None:
    """No 5xx; a 4xx is JSON {detail, field}; no due date out of range stored."""
    status = response.status_code
    assert status < 500, f"{status} for {example}"
    if 400 <= status < 500:
        kind = response.get("Content-Type", "")
        assert kind.startswith("application/json"), f"{status} {kind}: {response.content[:200]!r}"
        body = response.json()
        assert isinstance(body, dict) and {"detail", "field"} <= set(body), body
    due_dates_in_range()


def plain_text_errors(response: Any, example: Example) -> None:
    """No 5xx; a 4xx is osTicket's plain text, with a message."""
    status = response.status_code
    assert status < 500, f"{status} for {example}"
    if 400 <= status < 500:
        kind = response.get("Content-Type", "")
        assert kind.startswith("text/plain"), f"{status} {kind}: {response.content[:200]!r}"
    says_why(response, example)


def api_sweep(
    scene: Scene,
    cases: list[Case],
    headers: list[dict[str, str]],
    check: Any,
    bodies: tuple[str, ...],
    max_examples: int,
    good: dict[str, list[str]],
) -> None:
    client = Client()
    route = ROUTES[cases[0].pattern].route
    fixed = edge_examples(cases[0], scene, good, bodies[0], route)
    failures = fixed_pass(lambda: client, fixed, check, headers[0])
    Tally.inputs += len(fixed)

    @sweep_settings(max_examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(cases), label="case")
        credential = data.draw(st.sampled_from(headers), label="credential")
        example = data.draw(examples(case, route, scene, good, bodies), label="request")
        note(f"{example.method} {example.url()[:300]}")
        response = send(client, example, credential)
        Tally.inputs += 1
        check(response, example)

    try:
        run()
    except BaseException as error:
        if failures:
            error.add_note("The fixed pass failed too:\n" + "\n".join(failures))
        raise
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("pattern", REST_PATTERNS)
def test_no_input_makes_the_api_fail(pattern: str, scene: Scene) -> None:
    cases = BY_ROUTE[ROUTES[pattern].route]
    good = field_values(scene)
    api_sweep(
        scene,
        cases,
        credentials(scene.world),
        documented_errors,
        REST_BODIES,
        EXAMPLES,
        good,
    )


@pytest.mark.parametrize("fmt", sorted(OSTICKET))
def test_no_input_makes_an_osticket_endpoint_fail(fmt: str, scene: Scene) -> None:
    case = OSTICKET[fmt]
    case = Case(case.pattern, fmt, case.kwargs, ("POST",), fields=OSTICKET_FIELDS)
    key = make_key(scopes=["tickets:create"], default_topic=scene.world.topic)
    good = {
        **field_values(scene),
        "topicId": [str(scene.world.topic.pk), "0", "99999999999999999999999"],
        "priorityId": ["1", "-1", "9223372036854775808"],
        "ip": ["127.0.0.1", "::1", "999.1.1.1", "x"],
        "attachments": ['[{"a.txt": "data:text/plain;base64,aGk="}]', "[]", "{}"],
        "alert": ["true", "0", "yes"],
        "autorespond": ["false", "1"],
    }
    api_sweep(
        scene,
        [case],
        [{"X-API-Key": key}],
        plain_text_errors,
        OSTICKET_BODIES[fmt],
        OSTICKET_EXAMPLES,
        good,
    )


def test_the_sweep_covers_every_api_pattern() -> None:
    api = {key for key, route in ROUTES.items() if route.route.startswith("api/")}

    swept = {case.pattern for cases in BY_ROUTE.values() for case in cases}

    assert api - {*swept, "osticket-create"} == set()


def test_every_api_route_answers_a_method_it_does_not_take_with_json(scene: Scene) -> None:
    """405 is a 4xx too: under /api/ it is the documented JSON, never HTML."""
    client = Client()
    headers = credentials(scene.world)[0]
    wrong = []
    for case in REST:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method in case.methods:
                continue
            response = client.generic(method, case.path(scene), headers=headers)
            Tally.inputs += 1
            try:
                documented_errors(response, Example(method=method, path=case.path(scene)))
            except AssertionError as error:
                wrong.append(f"{method} {case.path(scene)}: {str(error).splitlines()[0]}")

    assert wrong == [], f"{len(wrong)} answers are not JSON:\n" + "\n".join(wrong)
