"""The load of the fault test: client threads that open tickets and reply to them
through the REST API, as integrations do, and write down what each request got.

Every request carries a marker of its own (`fault-ticket-<client>-<n>` as the
subject of a new ticket, `fault-reply-<client>-<n>` as a reply's text), so the
database can later be searched for each one. An answer is:

- `acked`: a 2xx with its whole JSON body read: the site promised it is done;
- `refused`: a 4xx: the site promised it is not done;
- `unknown`: a 5xx, a cut connection or a timeout (a web worker was killed, the
  database was away): it may or may not be done, but at most once.

Clients never resend a request whose answer is unknown: the API has no
idempotency key, so a resend would be a second request, not the same one.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["create", "reply"]


@dataclass(frozen=True)
class Sent:
    kind: Kind
    marker: str
    client: int
    number: str  # the ticket: from the answer (create) or the one replied to
    status: int | None  # None: no answer (connection cut, timeout)
    at: float  # seconds since the load started

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        return self.status is not None and 400 <= self.status < 500


class Load:
    def __init__(
        self,
        url: str,
        *,
        create_key: str,
        reply_token: str,
        topic_id: int,
        clients: int = 4,
        pause: float = 0.4,
        reply_every: int = 3,
        first_client: int = 0,  # several loads at once (several servers): markers apart
    ) -> None:
        self.url = url
        self.create_key = create_key
        self.reply_token = reply_token
        self.topic_id = topic_id
        self.pause = pause
        self.reply_every = reply_every
        self.sent: list[Sent] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), name=f"client-{n}", daemon=True)
            for n in range(first_client, first_client + clients)
        ]
        self.started = 0.0

    def start(self) -> Load:
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in self._threads), "a client hung"

    def _post(self, path: str, secret: str, body: dict[str, Any]) -> tuple[int | None, Any]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            try:
                detail = error.read()[:300]
            except OSError:
                detail = b""
            return error.code, detail.decode(errors="replace")
        # Cut, reset, timed out, a partial body.
        except (OSError, ValueError, http.client.HTTPException) as error:
            return None, repr(error)

    def _client(self, n: int) -> None:
        rng = random.Random(n)
        mine: list[str] = []
        seq = 0
        while not self._stop.is_set():
            seq += 1
            if mine and seq % self.reply_every == 0:
                kind: Kind = "reply"
                marker = f"fault-reply-{n}-{seq}"
                number = rng.choice(mine)
                status, body = self._post(
                    f"/api/v1/tickets/{number}/reply", self.reply_token, {"body": marker}
                )
            else:
                kind = "create"
                marker = f"fault-ticket-{n}-{seq}"
                status, body = self._post(
                    "/api/v1/tickets",
                    self.create_key,
                    {
                        "email": f"client{n}@example.com",
                        "name": f"Client {n}",
                        "subject": marker,
                        "message": f"{marker}: the load of the fault test.",
                        "topic_id": self.topic_id,
                    },
                )
                number = body["number"] if status == 201 else ""
                if number:
                    mine.append(number)
            sent = Sent(kind, marker, n, number, status, time.monotonic() - self.started)
            with self._lock:
                self.sent.append(sent)
                if not sent.acked and status is not None and status < 500:
                    self.errors.append(f"{marker}: {status} {body}")
            time.sleep(self.pause)
