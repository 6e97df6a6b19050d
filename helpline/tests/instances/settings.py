"""Settings of the processes the instances test starts (two gunicorns, two
`helpline worker`s, the site script): the real settings, with the database, the
mail server, Redis and the broker given by the test through the environment
(DATABASE_URL, SMTP_HOST, SMTP_PORT, HELPLINE_REDIS_URL, HELPLINE_TASK_BROKER_URL,
HELPLINE_VAR_DIR, SECRET_KEY, and the rates the throttle checks reach), and:

- every periodic job every 2 seconds instead of every minute or more (the outbox
  sweep that recovers mail whose task was lost, and whatever else is configured),
  plus `instances.tick`, which writes down each of its runs, looked at by the
  scheduler every quarter of a second;
- the API's per-client limits off: the load is one address and two keys, faster
  than the defaults allow; the limits the test reaches are the failed sign-ins and
  failed API authentications, counted across both instances;
- a fast password hasher (the load signs in again and again; Argon2 costs about
  200 ms of CPU a time on these 2-core machines).
"""

from helpline.settings import *  # noqa: F403
from helpline.settings import HELPLINE_PERIODIC_JOBS, STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TICK = "instances.tick"
TICK_SECONDS = 2
HELPLINE_PERIODIC_JOBS = {
    **{name: (spec[0], 2, *spec[2:]) for name, spec in HELPLINE_PERIODIC_JOBS.items()},
    TICK: ("helpline.tests.instances.jobs.record_tick", TICK_SECONDS),
}
HELPLINE_SCHEDULER_SECONDS = 0.25
HELPLINE_API_RATE_PER_ADDRESS = HELPLINE_API_RATE_PER_KEY = HELPLINE_API_CREATE_RATE = ""
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
