"""Settings of the worker processes the two-worker test starts: the test settings,
pointed at the test database the test is using (HELPLINE_TEST_DB_NAME), sending
mail to the test's SMTP server (SMTP_HOST/SMTP_PORT, read by helpline.settings),
and only the periodic jobs the test is about."""

import os

from helpline.settings_test import *  # noqa: F403
from helpline.settings_test import DATABASES

DATABASES["default"]["NAME"] = os.environ["HELPLINE_TEST_DB_NAME"]
HELPLINE_PERIODIC_JOBS = {
    "notify.send_due": ("helpline.notify.tasks.send_due_mail", 60),
    "sla.sweep": ("helpline.automation.tasks.sweep_sla", 60),
}
