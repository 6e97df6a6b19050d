"""Every web page declares its methods: a method a route does not take answers
405 with an `Allow` header naming the ones it does, never the page.

DELETE and PUT go to every web route of the catalog (routes.py: desk, portal,
reports, rating links), as an anonymous visitor, a customer and an agent, each
with a valid CSRF token (a page that refused the token would prove nothing).
Somebody the gate turns away may learn nothing more: they get the refusal the
access matrix declares for them on that case (a desk page sends a customer to
the desk sign-in before anything says which methods it takes).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import _get_new_csrf_string

from helpline.conftest import World
from helpline.tests.security.routes import ROLES, WEB, Case, Scene, Sessions, build_scene
from helpline.tests.security.test_access_matrix import TABLE, Expected, answer, matches

WHO = ("anonymous", "customer", "agent")
UNTAKEN = ("DELETE", "PUT")


@pytest.fixture
def scene(world: World, settings: Any, tmp_path: Any) -> Scene:
    settings.MEDIA_ROOT = tmp_path
    return build_scene(world, admin_rows=False)


def refusal(case: Case, role: str) -> Expected:
    """What the matrix declares for `role` on both GET and POST of `case`, when
    that is the same turning away (a sign-in page, a 404, a 410): the gate's
    answer, whatever the method."""
    index = ROLES.index(role)
    on_get, on_post = TABLE[(case.id, "GET")][index], TABLE[(case.id, "POST")][index]
    if on_get == on_post and on_get not in (200, 400, 405):
        return on_get
    return None


def send(sessions: Sessions, role: str, case: Case, method: str) -> Any:
    caches["limits"].clear()
    caches["limits_strangers"].clear()
    client = sessions.for_case(role, case)
    client.handler.enforce_csrf_checks = True
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    query = case.query(sessions.scene)
    path = case.path(sessions.scene)
    url = f"{path}?{urlencode(query)}" if query else path
    return client.generic(
        method,
        url,
        urlencode(case.data(sessions.scene)),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_CSRFTOKEN=token,
    )


def test_methods_a_route_does_not_take_answer_405(scene: Scene) -> None:
    sessions = Sessions(scene)
    wrong: list[str] = []
    asked = 0
    for case in WEB:
        taken = set(case.methods)
        for role in WHO:
            gate = refusal(case, role)
            for method in UNTAKEN:
                response = send(sessions, role, case, method)
                asked += 1
                where = f"{method} {case.id} as {role}"
                if response.status_code == 405:
                    # HEAD is GET without the body: named or not, it is no other method.
                    allow = {m.strip() for m in response["Allow"].split(",")} - {"HEAD", ""}
                    if allow != taken:
                        wrong.append(f"{where}: Allow {sorted(allow)}, takes {sorted(taken)}")
                elif gate is None or not matches(gate, response, scene):
                    wrong.append(f"{where}: expected 405 or {gate!r}, got {answer(response)}")

    assert asked == len(WEB) * len(WHO) * len(UNTAKEN)
    assert wrong == [], f"{len(wrong)} of {asked} requests:\n" + "\n".join(wrong)
