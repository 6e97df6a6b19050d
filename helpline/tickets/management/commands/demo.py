from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from helpline.tickets.demo import DEMO_LOGINS, DEMO_PASSWORD, is_empty, load_demo


class Command(BaseCommand):
    help = "Load the walkthrough's demo data (Jane, John, Ken) into an empty database."

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_empty():
            self.stdout.write("Agents exist already; demo data not loaded.")
            return
        load_demo()
        self.stdout.write(f"Demo data loaded. Logins (password {DEMO_PASSWORD!r}):")
        for role, login, url in DEMO_LOGINS:
            self.stdout.write(f"  {role:20} {login:18} {url}")
