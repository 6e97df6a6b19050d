"""The deployment basics: Django's deployment checklist passes behind HTTPS, the
optional parts are extras that development installs all of, and the embedded
database finds its folder wherever HELPLINE_VAR_DIR points."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(
    command: list[str], folder: Path, unset: set[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`command` in a child process under the real settings, its data in `folder`,
    without the test run's variables named in `unset`, with `env` added."""
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "helpline.settings",
             "HELPLINE_VAR_DIR": str(folder), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Not the test run's DJANGO_ALLOW_ASYNC_UNSAFE (helpline/conftest.py): deployments have none.
    unset = {"HTTPS", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    command = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return run(command, tmp_path, unset, env)


def test_check_deploy_is_clean_behind_https_and_warns_without_it(tmp_path: Path) -> None:
    https = check_deploy(tmp_path, HTTPS="1")
    assert https.returncode == 0, https.stderr
    assert "no issues" in https.stdout

    plain = check_deploy(tmp_path)
    assert plain.returncode != 0
    assert "security.W008" in plain.stderr  # no SSL redirect without HTTPS=1


def test_hsts_for_subdomains_is_asked_for_not_silenced_when_switched_on(tmp_path: Path) -> None:
    result = check_deploy(tmp_path, HTTPS="1", HSTS_INCLUDE_SUBDOMAINS="1")
    # On: the setting is true and its warning is not silenced; preload stays off.
    assert result.returncode == 0, result.stderr
    assert "(1 silenced)" in result.stdout


def test_optional_parts_are_extras_and_development_installs_every_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    required = project["project"]["dependencies"]
    extras = project["project"]["optional-dependencies"]

    assert not any(d.startswith("psycopg") for d in required)
    assert any(d.startswith("psycopg") for d in extras["postgres"])
    assert any(d.startswith("django-storages[s3]") for d in extras["s3"])
    assert any(d.startswith("sentry-sdk") for d in extras["sentry"])
    assert not any(d.startswith(("redis", "django-tasks-rq")) for d in required)
    assert any(d.startswith("redis") for d in extras["redis"])
    assert "helpline[postgres,redis,s3,sentry]" in project["dependency-groups"]["dev"]
    [tasks] = [d for d in required if d.startswith("django-tasks-db")]
    assert "<" in tasks  # an upper bound: 0.x minors may break the worker
    [rq] = [d for d in extras["redis"] if d.startswith("django-tasks-rq")]
    assert "<" in rq  # likewise for the RQ backend helpline.worker.broker builds on


def helpline(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`helpline ARGS` as an operator runs it: SECRET_KEY from the environment (so no
    key file is written), the data in `folder`, the database its default unless
    DATABASE_URL is in `env`."""
    unset = {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return run(
        ["-m", "helpline.cli", *args], folder, unset, {"SECRET_KEY": "from-the-environment", **env}
    )


def test_a_new_var_folder_is_made_for_the_database_whatever_its_name(tmp_path: Path) -> None:
    """SQLite makes no folders, and nothing else made this one (no key file is
    written when SECRET_KEY is set); "#" cut the path when it went through a URL."""
    folder = tmp_path / "new" / "var #1?"
    result = helpline(folder, "showmigrations", "tickets")

    assert result.returncode == 0, result.stderr
    assert "tickets" in result.stdout and "[ ]" in result.stdout  # nothing applied yet
    assert (folder / "helpline.sqlite3").exists()
    assert not (folder / "secret_key").exists()


def test_no_var_folder_is_made_for_a_database_elsewhere(tmp_path: Path) -> None:
    folder = tmp_path / "unused"
    elsewhere = tmp_path / "elsewhere.sqlite3"
    result = helpline(folder, "showmigrations", "tickets", DATABASE_URL=f"sqlite:///{elsewhere}")

    assert result.returncode == 0, result.stderr
    assert elsewhere.exists()
    assert not folder.exists()
