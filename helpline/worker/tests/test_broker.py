"""Background work on a broker (RQ on Redis, HELPLINE_TASK_BROKER_URL): `helpline
worker` runs it, the scheduler keeps its tick when the broker is down, and a change
committed while the broker is down stands, its mail sent by the outbox's sweep.
The broker is a private Redis server (helpline.tests.instances.redis), or a port
where nothing listens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from helpline.conftest import World
from helpline.notify.models import OutboundMessage
from helpline.notify.tests.smtp import SMTPServer, free_port
from helpline.ops.scaling import rq_queues, tasks_setting
from helpline.tests.instances.redis import RedisServer
from helpline.tickets.models import Ticket
from helpline.worker import scheduler
from helpline.worker.models import JobSchedule
from helpline.worker.tests.jobs import count_run

JOB = {"count": ("helpline.worker.tests.jobs.count_run", 60)}


def use_broker(settings: Any, url: str) -> None:
    settings.TASKS = tasks_setting(url)
    settings.RQ_QUEUES = rq_queues(url)


@pytest.fixture
def broker_down(settings: Any) -> None:
    use_broker(settings, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there


@pytest.fixture
def smtp(settings: Any) -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    settings.MAILERS = server.mailer_settings()
    settings.EMAIL_CONFIGURED = True
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_tasks_queued_on_the_broker(settings: Any) -> None:
    settings.HELPLINE_PERIODIC_JOBS = JOB
    with RedisServer() as redis:
        use_broker(settings, redis.url(0))
        count_run.enqueue()
        count_run.enqueue()
        assert not DBTaskResult.objects.exists()  # not the database queue
        call_command("worker", batch=True, verbosity=0)
    assert cache.get("count_run") == 2


@pytest.mark.django_db(transaction=True)
def test_a_tick_whose_task_cannot_be_queued_is_claimed_again_next_turn(
    settings: Any, broker_down: None
) -> None:
    settings.HELPLINE_PERIODIC_JOBS = JOB
    now = timezone.now()
    assert scheduler.tick(now) == []  # the failure is logged; the other jobs go on
    assert JobSchedule.objects.get(name="count").next_run_at == now  # given back

    settings.TASKS = tasks_setting("")  # the queue answers again
    assert scheduler.tick(now + timedelta(seconds=5)) == ["count"]
    assert scheduler.tick(now + timedelta(seconds=6)) == []  # and once only
    call_command("worker", batch=True, verbosity=0)
    assert cache.get("count_run") == 1


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_the_broker_is_down_stands_and_its_mail_goes_out_once(
    world: World, smtp: SMTPServer, settings: Any, broker_down: None
) -> None:
    ticket = world.open("Printer on fire")  # commits; queuing its mail fails

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert smtp.messages == []
    assert not DBTaskResult.objects.exists()

    # The broker is back; the workers' periodic jobs run (the outbox's sweep
    # among them), and whatever they queue.
    settings.TASKS = tasks_setting("")
    for path, *_rest in settings.HELPLINE_PERIODIC_JOBS.values():
        import_string(path).call()
    call_command("worker", batch=True, verbosity=0)

    outbox = set(OutboundMessage.objects.values_list("message_id", flat=True))
    assert outbox
    assert Counter(m.header("Message-ID") for m in smtp.messages) == Counter(
        dict.fromkeys(outbox, 1)
    )
    assert any("ken@example.com" in m.rcpt_tos for m in smtp.messages)  # the customer
