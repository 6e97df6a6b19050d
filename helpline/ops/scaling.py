"""Settings for more than one machine: a shared cache on Redis, and background work
on a broker (RQ on Redis) instead of the database queue. Both are off by default:
one machine (or several web servers on one database) needs neither, since the
database cache and the database queue are shared by every process already.

- `HELPLINE_REDIS_URL` (e.g. `redis://cache.internal:6379/0`): the three caches
  (`default`, and the rate-limit counters `limits` and `limits_strangers`, each
  under a key prefix of its own) on Redis, and sessions read through it
  (`cached_db`: written to the database too, so a Redis restart logs nobody out).
  Redis expires entries by itself, so the database caches' 100,000-entry bound and
  the worker's purge of expired counters do not apply; give the server a
  `maxmemory` with an `allkeys-lru` or `volatile-ttl` policy.
- `HELPLINE_TASK_BROKER_URL` (e.g. `redis://queue.internal:6379/1`): tasks go to
  RQ on that Redis (django-tasks-rq), and `helpline worker` runs an RQ worker
  instead of the database queue's. Unset, empty or `database`: the database queue.

docs/decisions.md ("Several instances and a broker") says why RQ, and what changes
in the guarantees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DATABASE_QUEUE = "django_tasks_db.DatabaseBackend"
RQ_QUEUE = "django_tasks_rq.RQBackend"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _redis_url(env: Mapping[str, str], name: str) -> str:
    url = env.get(name, "").strip()
    if url and not url.startswith(REDIS_SCHEMES):
        raise ImproperlyConfigured(
            f"{name} must be a Redis URL (redis://, rediss:// or unix://), not {url!r}."
        )
    return url


def redis_caches(env: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
    """The CACHES on Redis if HELPLINE_REDIS_URL is set, else None."""
    url = _redis_url(env, "HELPLINE_REDIS_URL")
    if not url:
        return None
    backend = "django.core.cache.backends.redis.RedisCache"
    return {
        alias: {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": f"helpline:{prefix}"}
        for alias, prefix in (
            ("default", "cache"),
            ("limits", "limits"),
            ("limits_strangers", "strangers"),
        )
    }


def task_broker(env: Mapping[str, str]) -> str:
    """The broker's URL from HELPLINE_TASK_BROKER_URL; "" for the database queue."""
    raw = env.get("HELPLINE_TASK_BROKER_URL", "").strip()
    if raw.lower() in ("", "database", "db"):
        return ""
    return _redis_url(env, "HELPLINE_TASK_BROKER_URL")


def tasks_setting(broker: str) -> dict[str, dict[str, Any]]:
    if not broker:
        return {"default": {"BACKEND": DATABASE_QUEUE}}
    return {"default": {"BACKEND": RQ_QUEUE, "QUEUES": ["default"]}}


def rq_queues(broker: str) -> dict[str, dict[str, Any]]:
    """django-rq's RQ_QUEUES: the one queue our tasks use. A task that runs longer
    than DEFAULT_TIMEOUT seconds is stopped and failed (the longest of ours, a
    mailbox poll or an SLA sweep of a large backlog, takes well under a minute)."""
    return {"default": {"URL": broker, "DEFAULT_TIMEOUT": 600}}
