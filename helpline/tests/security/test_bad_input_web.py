"""The bad-input sweep of the web pages: hypothesis generates query strings, form
fields, files, JSON and XML bodies, path arguments, time-zone cookies and htmx
headers for every desk, portal, reports, rating and admin route (the cases of
routes.py), sent by the people each page is for. No answer may be a 5xx, a
refusal (a 4xx other than 405) must say why, and no due date out of range may
be stored.

Every case of a route first gets the fixed passes over its fields (bad_input.py,
`edge_examples`), then the route gets `EXAMPLES` generated requests per case (at
least 15; the admin's pages, alike and slower, share theirs by kind),
derandomized so a failure reproduces on every run and on CI;
`HELPLINE_SWEEP_RANDOM=1` explores new inputs instead, and
`HELPLINE_SWEEP_SCALE=4` sends four times as many. A view's exception reaches
the test as itself (Django's test client re-raises it), so hypothesis reports
each distinct failure with its traceback. Two sweeps by hand follow: report
periods at every edge in every kind of time zone, and troublesome file names on
every upload form.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given, note
from hypothesis import strategies as st

from helpline.conftest import World
from helpline.lib.access import Audience, routes
from helpline.tests.security.bad_input import (
    FILENAMES,
    SCALE,
    Example,
    baseline_example,
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
from helpline.tests.security.routes import (
    WEB,
    Case,
    Scene,
    Sessions,
    admin_cases,
    build_scene,
    pattern_key,
)

EXAMPLES = 15 * SCALE  # per route, or 10 per case of a route with many
PER_CASE = 10 * SCALE
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


def answered(response: Any, example: Example) -> None:
    """No 5xx; a refusal says why; no due date out of range got stored."""
    assert response.status_code < 500, f"{response.status_code} for {example}"
    says_why(response, example)
    due_dates_in_range()


def sweep(scene: Scene, cases: list[Case], max_examples: int, *, each: bool = False) -> None:
    """The fixed passes: the first case's path and its fields together, each case's
    fields one at a time (once for cases that read the same ones: the open and the
    closed queue), a plain request to the rest; or, with `each`, one request with
    edge values to every case, for the admin's many alike pages. Then
    `max_examples` random requests over all the cases."""
    good = field_values(scene)
    sessions = Sessions(scene)
    first = ROUTES[cases[0].pattern]
    sender = SENDERS[first.audience or Audience.PUBLIC][0]
    failures: list[str] = []
    seen: set[tuple[object, ...]] = set()
    for k, case in enumerate(cases):
        reads = (case.params, case.fields, case.prepare)
        if each:
            fixed = [baseline_example(case, scene, good, k)]
        elif reads in seen:
            fixed = [Example(method, case.path(scene)) for method in case.methods]
        else:
            fixed = edge_examples(
                case, scene, good, route=first.route, path_edges=k == 0, together=k == 0
            )
        seen.add(reads)
        failures += fixed_pass(partial(sessions.for_case, sender, case), fixed, answered)
        Tally.inputs += len(fixed)
    Tally.routes.update(case.pattern for case in cases)

    @sweep_settings(max_examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(cases), label="case")
        route = ROUTES[case.pattern]
        senders = SENDERS[route.audience or Audience.PUBLIC]
        role = data.draw(st.sampled_from(senders), label="role")
        example = data.draw(examples(case, route.route, scene, good), label="request")
        note(f"{role}: {example.method} {example.url()[:300]}")
        response = send(sessions.for_case(role, case), example)
        Tally.inputs += 1
        answered(response, example)

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
    cases = [case for case in WEB if case.pattern == pattern]
    sweep(scene, cases, max(EXAMPLES, PER_CASE * len(cases)))


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


# --- by hand: report periods, file names -------------------------------------------------

PERIOD_EDGES = ["0001-01-01", "1999-12-31", "2000-01-01", "2099-12-31", "9999-12-31"]
# The zones furthest east and west, one that skips a day, and UTC.
ZONES = ["Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "UTC"]


def test_report_periods_at_every_edge_in_every_kind_of_zone_are_answered(scene: Scene) -> None:
    """A custom period from and to each edge of the calendar, in each zone, on the
    report page, its data and its CSV (year 9999 in Tokyo overflowed)."""
    sessions = Sessions(scene)
    fixed = [
        Example(
            "GET",
            reverse(name),
            query=[("preset", "custom"), ("start", start), ("end", end), ("tz", tz)],
        )
        for name in ("reports:page", "reports:data", "reports:export")
        for start in PERIOD_EDGES
        for end in PERIOD_EDGES
        for tz in ZONES
    ]

    failures = fixed_pass(lambda: sessions.client("admin"), fixed, answered)
    Tally.inputs += len(fixed)

    assert failures == [], "\n".join(failures)


UPLOADS = [case for case in WEB if "attachments" in case.fields]


@pytest.mark.parametrize("case", UPLOADS, ids=[case.id for case in UPLOADS])
def test_troublesome_file_names_on_every_upload_form_are_answered(case: Case, scene: Scene) -> None:
    """Each file name of `FILENAMES` (NUL bytes, paths, 1,000 characters, right-to-
    left marks, no name) on an otherwise valid form, sent by the people it is for."""
    good = field_values(scene)
    sessions = Sessions(scene)
    sender = SENDERS[ROUTES[case.pattern].audience or Audience.PUBLIC][0]
    usual = [(name, (good.get(name) or ["x"])[0]) for name in case.fields if name != "attachments"]
    fixed = [
        Example(
            "POST",
            case.path(scene),
            body="multipart",
            form=usual,
            files=[("attachments", name, b"contents")],
        )
        for name in FILENAMES
    ]

    failures = fixed_pass(lambda: sessions.for_case(sender, case), fixed, answered)
    Tally.inputs += len(fixed)

    assert UPLOADS and failures == [], "\n".join(failures)
