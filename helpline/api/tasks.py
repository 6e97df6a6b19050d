"""Background work of the API app, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.tasks import task
from django.utils import timezone


@task()
def purge_expired_limits() -> int:
    """Delete the expired rate-limit counters (a job in HELPLINE_PERIODIC_JOBS);
    returns how many.

    The counters' database caches (CACHES["limits"] and ["limits_strangers"])
    count their rows at every write, to know when they are full, and remove
    expired rows only then: left alone, a table would sit near its 100,000
    entries and every API request would count them (about 12 ms a write on
    PostgreSQL, measured). Purged every minute, they hold live counters only.
    The same DELETE as Django's own cull; another cache backend expires entries
    by itself and is left alone."""
    aliases = {settings.HELPLINE_LIMITS_CACHE, settings.HELPLINE_STRANGER_LIMITS_CACHE}
    return sum(_purge(caches[alias]) for alias in sorted(aliases))


def _purge(cache: BaseCache) -> int:
    if not isinstance(cache, DatabaseCache):
        return 0
    connection = connections[router.db_for_write(cache.cache_model_class)]
    table = connection.ops.quote_name(cache.cache_model_class._meta.db_table)
    expires = connection.ops.quote_name("expires")
    now = timezone.now().replace(microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {expires} < %s",  # noqa: S608  (names quoted, value bound)
            [connection.ops.adapt_datetimefield_value(now)],
        )
        return int(cursor.rowcount)
