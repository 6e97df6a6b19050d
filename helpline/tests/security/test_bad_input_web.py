"""The bad-input sweep of the web pages: hypothesis generates query strings, form
fields, files, JSON and XML bodies, path arguments, time-zone cookies and htmx
headers for every desk, portal, reports, rating and admin route (the cases of
routes.py), sent by the people each page is for; no answer may be a 5xx.

Each route gets `EXAMPLES` generated requests (the admin's pages, alike and
slower, share theirs by kind), derandomized so a failure reproduces on every run
and on CI; `HELPLINE_SWEEP_RANDOM=1` explores new inputs instead, and
`HELPLINE_SWEEP_SCALE=4` sends four times as many. A view's exception reaches
the test as itself (Django's test client re-raises it), so hypothesis reports
each distinct failure with its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from helpline.conftest import World
from helpline.lib.access import Audience, routes
from helpline.tests.security.bad_input import (
    SCALE,
    Example,
    baseline_example,
    edge_examples,
    examples,
    field_values,
    fixed_pass,
    report,
    send,
    sweep_settings,
)
from helpline.tests.security.routes import (
    WEB,
    Case,
    Scene,
    Sessions,
    admin_cases,
    build_scene,
    pattern_key,
)

EXAMPLES = 15 * SCALE
ADMIN_EXAMPLES = 60 * SCALE


ROUTES = {pattern_key(r.route, r.name): r for r in routes()}
# Who sends the requests: the people each page is for (an administrator on the
# desk sees every ticket; a supervisor and an agent have fewer rights).
SENDERS = {
    Audience.AGENT: ["admin", "supervisor", "agent"],
    Audience.CUSTOMER: ["customer"],
    Audience.SIGNED_LINK: ["anonymous", "customer"],
    Audience.PUBLIC: ["anonymous", "customer"],
    Audience.ADMIN_SITE: ["admin"],
}


class Tally:
    """How many inputs the sweep generated, printed at the end of the module."""

    inputs = 0
    routes: set[str] = set()


@pytest.fixture(scope="session", autouse=True)
def tally(request: pytest.FixtureRequest) -> Iterator[type[Tally]]:
    yield Tally
    report(request, f"web: {Tally.inputs} generated requests over {len(Tally.routes)} URL patterns")


@pytest.fixture
def scene(world: World, settings: Any, tmp_path: Any) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    return build_scene(world, admin_rows=False)


def no_server_error(response: Any, example: Example) -> None:
    assert response.status_code < 500, f"{response.status_code} for {example}"


def sweep(scene: Scene, cases: list[Case], max_examples: int, *, each: bool = False) -> None:
    """The fixed passes over the first case's fields and path (or, with `each`, one
    request with edge values to every case, for the admin's many alike pages),
    then `max_examples` random requests over all the cases."""
    good = field_values(scene)
    sessions = Sessions(scene)
    first = ROUTES[cases[0].pattern]
    sender = SENDERS[first.audience or Audience.PUBLIC][0]
    if each:
        fixed = [baseline_example(case, scene, good, k) for k, case in enumerate(cases)]
    else:
        fixed = edge_examples(cases[0], scene, good, route=first.route)
    failures = fixed_pass(lambda: sessions.client(sender), fixed, no_server_error)
    Tally.inputs += len(fixed)
    Tally.routes.update(case.pattern for case in (cases if each else cases[:1]))

    @sweep_settings(max_examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(cases), label="case")
        route = ROUTES[case.pattern]
        senders = SENDERS[route.audience or Audience.PUBLIC]
        role = data.draw(st.sampled_from(senders), label="role")
        example = data.draw(examples(case, route.route, scene, good), label="request")
        note(f"{role}: {example.method} {example.url()[:300]}")
        response = send(sessions.client(role), example)
        Tally.inputs += 1
        Tally.routes.add(case.pattern)
        no_server_error(response, example)

    try:
        run()
    except BaseException as error:
        if failures:
            error.add_note("The fixed pass failed too:\n" + "\n".join(failures))
        raise
    assert failures == [], "\n".join(failures)


WEB_PATTERNS = sorted({case.pattern for case in WEB})


@pytest.mark.parametrize("pattern", WEB_PATTERNS)
def test_no_input_makes_a_page_fail(pattern: str, scene: Scene) -> None:
    sweep(scene, [case for case in WEB if case.pattern == pattern], EXAMPLES)


ADMIN_KINDS = {
    "site pages": lambda case: (
        not case.pattern.startswith("admin:")
        or not case.pattern.endswith(("_changelist", "_add", "_change", "_delete", "_history"))
    ),
    "change lists": lambda case: case.pattern.endswith("_changelist"),
    "add and change forms": lambda case: case.pattern.endswith(("_add", "_change")),
    "delete and history pages": lambda case: case.pattern.endswith(("_delete", "_history")),
}


@pytest.fixture
def admin_scene(world: World, settings: Any, tmp_path: Any) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    return build_scene(world)


@pytest.mark.parametrize("kind", ADMIN_KINDS)
def test_no_input_makes_an_admin_page_fail(kind: str, admin_scene: Scene) -> None:
    cases = [case for case in admin_cases() if ADMIN_KINDS[kind](case)]
    sweep(admin_scene, cases, ADMIN_EXAMPLES, each=True)


def test_the_sweep_covers_every_web_and_admin_pattern() -> None:
    """Each pattern of the catalog is in one of the sweeps above (the catalog's own
    completeness is the access matrix's test)."""
    swept = set(WEB_PATTERNS)
    for case in admin_cases():
        assert any(select(case) for select in ADMIN_KINDS.values()), case.id
        swept.add(case.pattern)
    web = {
        key
        for key, route in ROUTES.items()
        if route.audience not in (Audience.API, None) and not key.startswith("api")
    }

    assert web - swept == set()
