"""Settings for a poll run in a child process by the crash tests: the test settings,
pointed at the test database the parent process is using (HELPLINE_TEST_DB_NAME)."""

import os

from helpline.settings_test import *  # noqa: F403
from helpline.settings_test import DATABASES

DATABASES["default"]["NAME"] = os.environ["HELPLINE_TEST_DB_NAME"]
