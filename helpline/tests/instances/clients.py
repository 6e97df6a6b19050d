"""The instances test's load besides the REST clients (helpline.tests.faults.load):

- `OsTicketClient` opens tickets through the osTicket endpoint
  (`POST /api/tickets.json`, the key in X-API-Key), each time through the other
  instance;
- `DeskClient` is an agent who signs in on one instance and, with that session,
  opens the dashboard and a ticket page on the other, then starts again the other
  way round. A cookie is the host's, whatever the port, so the session reaches the
  second instance as it would through a load balancer.

Each writes down what every request got, for the test to judge.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT = 30


@dataclass(frozen=True)
class Answer:
    what: str  # "osticket", "login", "dashboard", "ticket"
    instance: int  # which instance answered (0 or 1)
    status: int | None  # None: no answer
    detail: str = ""  # the ticket number opened, or why it went wrong


def sign_in(session: requests.Session, url: str, username: str, password: str) -> int:
    """Post the desk's sign-in form on `url`; its status (302 is signed in)."""
    form = session.get(f"{url}/desk/login/", timeout=TIMEOUT)
    token = CSRF.search(form.text)
    data = {"username": username, "password": password}
    if token:
        data["csrfmiddlewaretoken"] = token.group(1)
    answer = session.post(f"{url}/desk/login/", data=data, allow_redirects=False, timeout=TIMEOUT)
    return answer.status_code


class _Looper:
    def __init__(self, urls: list[str], pause: float) -> None:
        self.urls = urls
        self.pause = pause
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "a client hung"

    def note(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def _loop(self) -> None:
        n = 0
        while not self._stop.is_set():
            try:
                self.turn(n)
            except requests.RequestException as error:
                self.note(Answer("error", n % 2, None, repr(error)))
            n += 1
            time.sleep(self.pause)

    def turn(self, n: int) -> None:
        raise NotImplementedError


class OsTicketClient(_Looper):
    def __init__(self, urls: list[str], key: str, topic_id: int, pause: float = 0.3) -> None:
        super().__init__(urls, pause)
        self.key = key
        self.topic_id = topic_id

    def turn(self, n: int) -> None:
        instance = n % 2
        marker = f"instances-osticket-{n}"
        answer = requests.post(
            f"{self.urls[instance]}/api/tickets.json",
            json={
                "name": "Olga Osticket",
                "email": "olga@example.com",
                "subject": marker,
                "message": f"{marker}: opened through the osTicket endpoint.",
                "topicId": self.topic_id,
            },
            headers={"X-API-Key": self.key},
            timeout=TIMEOUT,
        )
        number = answer.text.strip() if answer.status_code == 201 else answer.text[:200]
        self.note(Answer("osticket", instance, answer.status_code, number))


class DeskClient(_Looper):
    def __init__(
        self,
        urls: list[str],
        username: str,
        password: str,
        tickets: Callable[[], list[str]],
        pause: float = 0.3,
    ) -> None:
        super().__init__(urls, pause)
        self.username = username
        self.password = password
        self.tickets = tickets

    def turn(self, n: int) -> None:
        first, other = n % 2, (n + 1) % 2
        session = requests.Session()
        status = sign_in(session, self.urls[first], self.username, self.password)
        self.note(Answer("login", first, status))
        if status != 302:
            return
        page = session.get(f"{self.urls[other]}/desk/", allow_redirects=False, timeout=TIMEOUT)
        self.note(Answer("dashboard", other, page.status_code, page.headers.get("Location", "")))
        numbers = self.tickets()
        if numbers:
            number = numbers[n % len(numbers)]
            page = session.get(
                f"{self.urls[other]}/desk/tickets/{number}/", allow_redirects=False, timeout=TIMEOUT
            )
            self.note(Answer("ticket", other, page.status_code, number))
