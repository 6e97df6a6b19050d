"""Settings for the test suite: the real ones, minus what only slows tests down or
needs a build step (hashed static file names need `collectstatic`)."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from helpline.settings import *  # noqa: F403
from helpline.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Argon2 is the real hasher; tests log in hundreds of times, so a fast one here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="helpline-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
# Each test process its own PDF drawing slots, enough for a page's thumbnails at
# once (a test of the limit sets its own).
HELPLINE_PDF_PREVIEW_SLOT_DIR = MEDIA_ROOT / "pdf-slots"
HELPLINE_PDF_PREVIEW_SLOTS = 4
WHITENOISE_AUTOREFRESH = True

# A file, not SQLite's shared-cache memory database: there, concurrent writers get
# "database table is locked" at once instead of waiting on the busy timeout, so
# the concurrency tests would test SQLite's test mode rather than Helpline.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        # One per process, so two test runs on one machine never share a file.
        "NAME": str(Path(tempfile.gettempdir()) / f"helpline-test-{os.getpid()}.sqlite3")
    }

# The database cache table is not emptied between transactional tests, so rate
# limit counters would leak from one test into the next; a local memory cache is
# cleared before every test (helpline/conftest.py).
# The rate-limit counters get a local memory cache of their own, sized as in
# production (helpline/api/tests/test_throttle_state.py floods both kinds).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "limits": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "helpline-limits",
        "OPTIONS": CACHES["limits"]["OPTIONS"],  # noqa: F405
    },
    "limits_strangers": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "helpline-limits-strangers",
        "OPTIONS": CACHES["limits_strangers"]["OPTIONS"],  # noqa: F405
    },
    "counts": CACHES["counts"],  # noqa: F405  (already in memory)
}
