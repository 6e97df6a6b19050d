"""Settings for the processes the worker tests start (a worker, the web server):
the test settings, pointed at the test database the parent process is using
(HELPLINE_TEST_DB_NAME), with SQLite's busy timeout shortened when the test says
so (HELPLINE_TEST_SQLITE_TIMEOUT), so that a lock held "longer than the timeout"
takes seconds, not minutes."""

import os

from helpline.settings_test import *  # noqa: F403
from helpline.settings_test import DATABASES

DATABASES["default"]["NAME"] = os.environ["HELPLINE_TEST_DB_NAME"]
if "HELPLINE_TEST_SQLITE_TIMEOUT" in os.environ and "sqlite" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"]["OPTIONS"]["timeout"] = float(os.environ["HELPLINE_TEST_SQLITE_TIMEOUT"])
