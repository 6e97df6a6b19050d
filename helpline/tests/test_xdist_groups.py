"""`make test` runs the suite under `pytest -n auto --dist loadgroup`: tests that share
an expensive module fixture (the fault run, a module's Chromium, the German demo
world) must land on one worker, or the fixture is built once per worker.

pytest 9.2 moved a node's id to `_id` while pytest-xdist 3.8 still writes the group
suffix to `_nodeid`: grouping then stopped without a word, and the fault run was
made twice per suite. These tests fail if the group suffix stops reaching the
scheduler, for a group named in a module and for the one conftest.py gives each
browser test module. Neither is marked `browser` itself, so a `-m "not browser"`
run keeps both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from helpline import conftest

ROOT = Path(__file__).resolve().parents[2]


def _under_loadgroup(request: pytest.FixtureRequest) -> bool:
    return bool(getattr(request.config.option, "loadgroup", False))


@pytest.mark.xdist_group("xdist-check")
def test_a_named_group_reaches_the_scheduler(request: pytest.FixtureRequest) -> None:
    if _under_loadgroup(request):
        # The scheduler groups by what follows the last "@" of the id it is sent.
        assert request.node.nodeid.endswith("@xdist-check"), request.node.nodeid
        return
    # Run directly (not by `make test`): check it the way `make test` runs it.
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", __file__),
            *(
                "-n",
                "2",
                "--dist",
                "loadgroup",
                "-p",
                "no:randomly",
                "-q",
                "-p",
                "no:cacheprovider",
            ),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]


class _Item:
    """What conftest.py's hook uses of a test item: its module and its marks."""

    def __init__(self, module: str, *, browser: bool) -> None:
        self.module = SimpleNamespace(__name__=module)
        self.marks = [pytest.mark.browser.mark] if browser else []

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return next((mark for mark in self.marks if mark.name == name), None)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.marks.append(marker.mark)

    @property
    def groups(self) -> list[str]:
        return [mark.args[0] for mark in self.marks if mark.name == "xdist_group"]


def _modify(items: list[_Item], *, loadgroup: bool) -> None:
    config = SimpleNamespace(option=SimpleNamespace(loadgroup=loadgroup))
    conftest.pytest_collection_modifyitems(cast(Any, config), cast(Any, items))


def test_each_browser_module_is_one_group_set_before_xdist_reads_the_marks(
    request: pytest.FixtureRequest,
) -> None:
    # conftest.py's hook, on stand-ins: every test marked `browser` joins its module's
    # group; other tests, and any test outside `--dist loadgroup`, are left alone.
    module = "helpline.desk.tests.test_queue_browser"
    items = [
        _Item(module, browser=True),
        _Item(module, browser=True),
        _Item("helpline.desk.tests.test_queue", browser=False),
    ]
    _modify(items, loadgroup=True)
    assert [item.groups for item in items] == [[module], [module], []]
    alone = [_Item(module, browser=True)]
    _modify(alone, loadgroup=False)
    assert alone[0].groups == []

    # Before xdist's hook turns the marks into id suffixes: pluggy calls tryfirst
    # implementations ahead of the rest (the last in this list is called first).
    hook = request.config.pluginmanager.hook.pytest_collection_modifyitems
    implementations = hook.get_hookimpls()
    [ours] = [i for i in implementations if i.function is conftest.pytest_collection_modifyitems]
    assert ours.tryfirst
    if not _under_loadgroup(request):
        return  # run directly: the test above runs this module under loadgroup too
    called = [i.plugin for i in reversed(implementations)]
    [xdist] = [p for p in called if type(p).__name__ == "WorkerInteractor"]
    assert called.index(ours.plugin) < called.index(xdist)
    # And the suite's own browser tests (if this run has any) reached the scheduler
    # in their module's group.
    for item in request.session.items:
        if item.get_closest_marker("browser"):
            assert item.nodeid.endswith(f"@{item.module.__name__}"), item.nodeid  # type: ignore[attr-defined]
