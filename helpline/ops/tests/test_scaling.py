"""The switches for several machines (helpline.ops.scaling): off by default, Redis
URLs only, and what each one configures. The instances test
(helpline/tests/test_instances.py) runs them for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from helpline.ops.scaling import (
    DATABASE_QUEUE,
    RQ_QUEUE,
    redis_caches,
    rq_queues,
    task_broker,
    tasks_setting,
)
from helpline.worker.tests.processes import ROOT


def test_without_the_switches_caches_and_tasks_stay_in_the_database() -> None:
    assert redis_caches({}) is None
    assert task_broker({}) == task_broker({"HELPLINE_TASK_BROKER_URL": "database"}) == ""
    assert tasks_setting("") == {"default": {"BACKEND": DATABASE_QUEUE}}


def test_redis_takes_all_three_caches_each_under_its_own_prefix() -> None:
    caches = redis_caches({"HELPLINE_REDIS_URL": "redis://cache:6379/2"})
    assert caches is not None
    assert set(caches) == {"default", "limits", "limits_strangers"}
    assert {c["BACKEND"] for c in caches.values()} == {
        "django.core.cache.backends.redis.RedisCache"
    }
    assert {c["LOCATION"] for c in caches.values()} == {"redis://cache:6379/2"}
    assert len({c["KEY_PREFIX"] for c in caches.values()}) == 3


def test_the_broker_is_rq_on_the_redis_named() -> None:
    url = task_broker({"HELPLINE_TASK_BROKER_URL": " redis://queue:6379/1 "})
    assert url == "redis://queue:6379/1"
    assert tasks_setting(url)["default"]["BACKEND"] == RQ_QUEUE
    assert rq_queues(url)["default"]["URL"] == url


@pytest.mark.parametrize("name", ["HELPLINE_REDIS_URL", "HELPLINE_TASK_BROKER_URL"])
def test_anything_but_a_redis_url_is_refused(name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        redis_caches({name: "amqp://guest@127.0.0.1//"})
        task_broker({name: "amqp://guest@127.0.0.1//"})


def test_with_both_set_the_settings_load_and_pass_the_system_checks(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HELPLINE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "SECRET_KEY": "scaling-test-" + "x" * 40,
        "HELPLINE_REDIS_URL": "redis://127.0.0.1:1/0",
        "HELPLINE_TASK_BROKER_URL": "redis://127.0.0.1:1/1",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
