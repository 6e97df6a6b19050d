"""Settings of the processes the fault test starts (gunicorn, `helpline worker`, its
setup and probe scripts): the real settings, with the database, the mail server and
the data folder given by the test through the environment (DATABASE_URL, SMTP_HOST,
SMTP_PORT, HELPLINE_VAR_DIR, SECRET_KEY, read by helpline.settings), and the clocks
of mail recovery shortened so the test can wait for them:

- the outbox sweep (`send_due`) runs every 2 seconds instead of every minute;
- a sender's lease on a message is 6 seconds instead of 10 minutes, so mail whose
  sender was killed mid-send is taken up again within the test. It stays longer
  than the whole SMTP conversation (SMTP_TIMEOUT is 2 s here, the sink answers in
  milliseconds), which is what keeps a living sender from being overtaken.
"""

from helpline.settings import *  # noqa: F403
from helpline.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each process counts its own rate limits; the load is one client address.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "limits"},
    "limits_strangers": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "limits_strangers",
    },
}
# The load is one key from one address, faster than the API's default limits allow:
# a 429 would count as a refused request and hide what the faults do.
HELPLINE_API_RATE_PER_ADDRESS = HELPLINE_API_RATE_PER_KEY = HELPLINE_API_CREATE_RATE = ""
HELPLINE_PERIODIC_JOBS = {"notify.send_due": ("helpline.notify.tasks.send_due_mail", 2)}
HELPLINE_OUTBOX_LEASE_SECONDS = 6
