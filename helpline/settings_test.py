"""Settings for the test suite: the real ones, minus what only slows tests down or
needs a build step (hashed static file names need `collectstatic`)."""

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
WHITENOISE_AUTOREFRESH = True
