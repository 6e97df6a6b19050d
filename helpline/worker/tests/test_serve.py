"""`scripts/serve` supervises the worker (issue 9): a worker that dies is logged and
started again, with a growing back-off, while the web server keeps answering; the
web server dying still stops everything. Real processes: the script, gunicorn and
`helpline worker`, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from helpline.worker.tests.jobs import slow_first_time
from helpline.worker.tests.processes import ROOT, Child, child_env

pytestmark = pytest.mark.django_db(transaction=True)

RESTARTING = "restarting it in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def one(pid: int, name: str) -> int:
    [found] = [child for child, cmd in children(pid).items() if name in cmd]
    return found


def answers(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
        return bool(response.status == 200)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_dying_worker_is_restarted_and_the_web_server_keeps_answering() -> None:
    port = free_port()
    env = child_env(PORT=str(port), VENV=str(ROOT / ".venv"), WEB_CONCURRENCY="1")
    serve = Child(["bash", "scripts/serve"], env, group=True)
    try:
        serve.wait_for("Starting worker")
        serve.wait_for("Listening at")
        first = one(serve.process.pid, "helpline worker")
        os.kill(first, signal.SIGKILL)
        serve.wait_for("status 137 after")
        assert "restarting it in 1 s" in serve.output
        assert answers(port)  # while the worker is down
        serve.wait_for("Starting worker", count=2)
        second = one(serve.process.pid, "helpline worker")
        assert second != first

        os.kill(second, signal.SIGKILL)  # dying again at once: it waits longer
        serve.wait_for("restarting it in 2 s")
        serve.wait_for("Starting worker", count=3)
        assert answers(port)
        assert serve.process.poll() is None

        web = one(serve.process.pid, "gunicorn")
        worker = one(serve.process.pid, "helpline worker")
        os.kill(web, signal.SIGKILL)  # the web server dying stops everything
        assert serve.process.wait(timeout=30) != 0
        deadline = time.monotonic() + 15
        while not gone(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(worker), serve.output
    finally:
        if serve.process.poll() is None:
            os.killpg(serve.process.pid, signal.SIGTERM)
        serve.stop()
    assert "the web server exited with status" in serve.output


def test_ctrl_c_still_stops_both_cleanly() -> None:
    port = free_port()
    env = child_env(PORT=str(port), VENV=str(ROOT / ".venv"), WEB_CONCURRENCY="1")
    serve = Child(["bash", "scripts/serve"], env, group=True)
    try:
        serve.wait_for("Starting worker")
        serve.wait_for("Listening at")
        worker = one(serve.process.pid, "helpline worker")
        os.killpg(serve.process.pid, signal.SIGINT)  # what Ctrl-C does
        assert serve.process.wait(timeout=30) == 0, serve.output
        assert gone(worker)
    finally:
        if serve.process.poll() is None:
            os.killpg(serve.process.pid, signal.SIGKILL)
        serve.stop()
    assert "Stopped." in serve.output


def wait_until_running(task_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.get(pk=task_id).status != "RUNNING":
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.1)


def test_a_stop_escalates_to_sigkill_after_the_grace_period() -> None:
    port = free_port()
    env = child_env(PORT=str(port), VENV=str(ROOT / ".venv"), WEB_CONCURRENCY="1", SERVE_GRACE="2")
    serve = Child(["bash", "scripts/serve"], env, group=True)
    try:
        serve.wait_for("Starting worker")
        serve.wait_for("Listening at")
        worker = one(serve.process.pid, "helpline worker")
        web = one(serve.process.pid, "gunicorn")
        task = slow_first_time.enqueue()  # 120 s: a SIGTERM waits for it
        wait_until_running(task.id)

        started = time.monotonic()
        serve.process.send_signal(signal.SIGTERM)  # the script only, as a supervisor does
        assert serve.process.wait(timeout=20) == 0, serve.output
        assert time.monotonic() - started < 15
        assert gone(worker) and gone(web), serve.output
    finally:
        if serve.process.poll() is None:
            os.killpg(serve.process.pid, signal.SIGKILL)
        serve.stop()
    assert "sending SIGKILL to" in serve.output
    assert "Stopped." in serve.output


def test_a_hangup_stops_both_cleanly() -> None:
    port = free_port()
    env = child_env(PORT=str(port), VENV=str(ROOT / ".venv"), WEB_CONCURRENCY="1")
    serve = Child(["bash", "scripts/serve"], env, group=True)
    try:
        serve.wait_for("Starting worker")
        serve.wait_for("Listening at")
        worker = one(serve.process.pid, "helpline worker")
        web = one(serve.process.pid, "gunicorn")
        serve.process.send_signal(signal.SIGHUP)  # its terminal went away
        assert serve.process.wait(timeout=30) == 0, serve.output
        deadline = time.monotonic() + 15
        while not (gone(worker) and gone(web)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(worker) and gone(web), serve.output
    finally:
        if serve.process.poll() is None:
            os.killpg(serve.process.pid, signal.SIGKILL)
        serve.stop()
    assert "Stopped." in serve.output
