"""Imports point down the layers: the channels never import each other, and the
mail (an effect, below the channels) and the web kit import none of them.

A small walk over the source (not the tests, not the migrations), to be replaced
by the import-linter contracts (pyproject.toml, docs/decisions.md). A lazy import
inside a function counts too: it is a dependency all the same.

The APIs are a facade over the other channels' work (osTicket's raw-mail endpoint
is mail intake, the reports API serves the report pages' figures), so `api` sits
a layer above the other channels: it may import them, none of them may import it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

HELPLINE = Path(__file__).resolve().parents[1]
FACADE = "api"
CHANNELS = ("portal", "desk", "intake", "reports", "feedback")
BELOW_CHANNELS = ("notify", "web")

# An edge outside the web side, left for its own part of issue 10: the reports
# count ratings, whose model lives in feedback until the ratings move into the
# ticket domain. Listed so that nothing new slips in beside it.
KNOWN: frozenset[tuple[str, str]] = frozenset({("reports", "feedback")})


def _modules(app: str) -> Iterator[Path]:
    for path in sorted((HELPLINE / app).rglob("*.py")):
        parts = path.relative_to(HELPLINE / app).parts
        if "tests" not in parts and "migrations" not in parts:
            yield path


def _imported(path: Path) -> Iterator[str]:
    """The Helpline apps `path` imports (absolute imports: the project uses no
    relative ones outside tests)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "helpline" and len(parts) > 1:
                yield parts[1]


def _edges(app: str, forbidden: tuple[str, ...]) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in _modules(app):
        for target in _imported(path):
            if target in forbidden and target != app:
                found.setdefault((app, target), []).append(str(path.relative_to(HELPLINE)))
    return found


def test_every_app_checked_here_exists() -> None:
    for app in (FACADE, *CHANNELS, *BELOW_CHANNELS):
        assert any(_modules(app)), app


@pytest.mark.parametrize("app", CHANNELS)
def test_a_channel_imports_no_other_channel_nor_the_api(app: str) -> None:
    edges = _edges(app, (FACADE, *CHANNELS))

    assert {edge: where for edge, where in edges.items() if edge not in KNOWN} == {}


@pytest.mark.parametrize("app", BELOW_CHANNELS)
def test_the_layers_below_the_channels_import_none_of_them(app: str) -> None:
    assert _edges(app, (FACADE, *CHANNELS)) == {}


def test_the_walk_sees_a_lazy_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from helpline.portal.views import home\n    import helpline.desk\n"
    )

    assert list(_imported(module)) == ["portal", "desk"]
