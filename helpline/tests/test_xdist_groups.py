"""`make test` runs the suite under `pytest -n auto --dist loadgroup`: tests that share
an expensive module fixture (the fault run, a module's Chromium, the German demo
world) must land on one worker, or the fixture is built once per worker.

pytest 9.2 moved a node's id to `_id` while pytest-xdist 3.8 still writes the group
suffix to `_nodeid`: grouping then stopped without a word, and the fault run was
made twice per suite. These tests fail if the group suffix stops reaching the
scheduler, for a group named in a module and for the one conftest.py gives each
browser test module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.browser
def test_a_browser_module_is_one_group(request: pytest.FixtureRequest) -> None:
    """No browser here: the mark alone puts it in its module's group."""
    if _under_loadgroup(request):
        assert request.node.nodeid.endswith(f"@{__name__}"), request.node.nodeid
