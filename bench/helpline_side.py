"""The bench's steps that run inside Helpline (its venv, its settings, the database
named by the environment), one JSON object on stdout each:

    python bench/helpline_side.py template       migrate, cache tables, static files
    python bench/helpline_side.py fill N         `helpline demo generate --tickets N`
    python bench/helpline_side.py prepare        accounts, key, token and ticket numbers
    python bench/helpline_side.py backlog        mail and tasks still waiting
    python bench/helpline_side.py sweep N        N open tickets fall due; the sweep timed
    python bench/helpline_side.py stub-fill N    N tickets through the lifecycle (slow)
    python bench/helpline_side.py search-index   index what is marked (after fill), timed

Each is one process (Django starts once, which on a busy 2-core machine is seconds).
`stub-fill` only stands in for `helpline demo generate` where that command is not
there yet (bench.run.fill_helpline chooses); its data are thin (open tickets, no
history) and figures measured on it say so in results.json.

`prepare` adds to whatever the data hold, the same way at every size:
- an administrator and an agent who sees a third of the departments (desk pages);
- the department "Bench alerts" with six agents who get its new-ticket alerts, and
  a help topic routed there, so each ticket opened by the load sends 7 mails (an
  autoresponse and 6 alerts, the issue's figure);
- an API key that may open tickets, and the administrator's token for the REST list;
- an agent of one department (the issue's "one department among ten", for the
  search), and the words the search pages look for, taken from the data.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Only to fill: another checkout's `helpline demo generate` (a branch not merged yet)
# against this checkout's database; its migrations must be the same.
if sys.argv[1:2] == ["fill"] and (_fill_src := os.environ.get("BENCH_FILL_SRC")):
    sys.path.insert(0, _fill_src)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from helpline.accounts.models import Agent, Department, DepartmentAccess, Role, User  # noqa: E402
from helpline.api.models import AgentToken, ApiKey, Scope  # noqa: E402
from helpline.desk.models import Density, SavedView  # noqa: E402
from helpline.tickets.models import HelpTopic, Priority, State, Ticket  # noqa: E402

PASSWORD = "bench-password-1"
ALERTED_AGENTS = 6


def _user(username: str, role: Role, *, signs_in: bool = True) -> Agent:
    agent = Agent.objects.filter(user__username=username).first()
    if agent is not None:
        return agent
    user = User.objects.create_user(
        username=username,
        email=f"{username}@bench.example",
        # Only the two who sign in get a password: each Argon2 hash costs a
        # noticeable part of a second on a busy machine.
        password=PASSWORD if signs_in else None,
        first_name="Bench",
        last_name=username.split(".")[-1].title(),
    )
    return Agent.objects.create(user=user, role=role)


@transaction.atomic
def prepare() -> dict[str, Any]:
    departments = list(Department.objects.exclude(name="Bench alerts").order_by("pk"))
    admin = _user("bench.admin", Role.ADMIN)
    agent = _user("bench.agent", Role.AGENT)
    seen = departments[: max(1, len(departments) // 3)]
    for department in seen:
        DepartmentAccess.objects.get_or_create(agent=agent, department=department)

    alerts, _ = Department.objects.get_or_create(name="Bench alerts")
    for i in range(1, ALERTED_AGENTS + 1):
        alerted = _user(f"bench.alert{i}", Role.AGENT, signs_in=False)
        DepartmentAccess.objects.get_or_create(agent=alerted, department=alerts)
    topic, _ = HelpTopic.objects.get_or_create(
        name="Bench outage", defaults={"department": alerts, "is_public": True}
    )

    key = ApiKey(name="bench", scopes=[Scope.CREATE.value, Scope.READ.value])
    key_secret = key.set_secret()
    key.save()
    token = AgentToken(agent=admin, name="bench")
    token_secret = token.set_secret()
    token.save()

    # The ticket page: the ticket with the longest thread among the newest ones the
    # agent sees (reading every ticket's count would be a bench of its own at 1M).
    recent = (
        Ticket.objects.filter(department__in=seen)
        .order_by("-id")
        .values_list("pk", flat=True)[:200]
    )
    longest = (
        Ticket.objects.filter(pk__in=list(recent))
        .annotate(n=Count("entries"))
        .order_by("-n", "-pk")
        .values_list("number", "n")
        .first()
    )
    one = _user("bench.one", Role.AGENT)
    only = departments[0]
    DepartmentAccess.objects.get_or_create(agent=one, department=only)
    narrow = _user("bench.narrow", Role.AGENT)
    tenth = _tenth(departments)
    DepartmentAccess.objects.get_or_create(agent=narrow, department=tenth)
    # Saved views (issue 14), on users of their own so that the other pages'
    # figures stay comparable: every desk page of theirs counts all three.
    view_admin = _user("bench.views.admin", Role.ADMIN)
    view_agent = _user("bench.views.agent", Role.AGENT)
    for department in seen:
        DepartmentAccess.objects.get_or_create(agent=view_agent, department=department)
    views = {
        "views admin": _views(view_admin, departments[0]),
        "views agent": _views(view_agent, seen[0]),
    }
    return {
        "admin": {"username": admin.user.username, "password": PASSWORD},
        "agent": {"username": agent.user.username, "password": PASSWORD},
        "one": {"username": one.user.username, "password": PASSWORD},
        "narrow": {"username": narrow.user.username, "password": PASSWORD},
        "views admin": {"username": view_admin.user.username, "password": PASSWORD},
        "views agent": {"username": view_agent.user.username, "password": PASSWORD},
        "views": views,
        "search": search_terms(only),
        "narrow_search": search_terms(tenth),
        "narrow_department": tenth.name,
        "narrow_share": _share(tenth),
        "agent_departments": len(seen),
        "departments": len(departments),
        "api_key": key_secret,
        "admin_token": token_secret,
        "topic_id": topic.pk,
        "ticket": longest[0] if longest else None,
        "ticket_entries": longest[1] if longest else 0,
        "tickets": Ticket.objects.count(),
    }


def _views(owner: Agent, department: Department) -> dict[str, int]:
    """Three views of `owner`'s: one the queue counters count (a department's
    open tickets), one counted up to the cap (the most urgent priority: many
    match), and one counted up to the cap where few match (the open tickets'
    rarest help topic: the read walks far for each)."""
    urgent = Priority.objects.order_by("-urgency").first()
    rare = (
        Ticket.objects.filter(state=State.OPEN, topic__isnull=False)
        .values_list("topic")
        .annotate(n=Count("pk"))
        .order_by("n", "topic")
        .first()
    )
    shapes = {
        "counted": {"department": str(department.pk)},
        "bounded": {"priority": str(urgent.pk) if urgent else ""},
        "rare topic": {"topic": str(rare[0]) if rare else ""},
    }
    made = {}
    for name, filters in shapes.items():
        view, _ = SavedView.objects.update_or_create(
            owner=owner,
            name=f"Bench {name}",
            defaults={
                "filters": {k: v for k, v in filters.items() if v},
                "columns": ["number", "subject", "customer", "due", "sla", "age", "tasks"],
                "density": Density.COMPACT,
                "sort": "updated",
            },
        )
        made[name] = view.pk
    return made


def _tenth(departments: list[Department]) -> Department:
    """The department whose share of the tickets is nearest one in ten (the issue's
    "one department among ten"; the generated world's are 4% to 49%)."""
    counts = dict(Ticket.objects.values_list("department").annotate(n=Count("pk")))
    total = sum(counts.values()) or 1
    return min(departments, key=lambda d: (abs(counts.get(d.pk, 0) / total - 0.1), d.pk))


def _share(department: Department) -> float:
    total = Ticket.objects.count() or 1
    return round(Ticket.objects.filter(department=department).count() / total, 3)


def search_terms(department: Department) -> dict[str, str]:
    """What the search pages look for (the generated history's vocabulary is a few
    dozen canned sentences: helpline.tickets.generate.story):
    a word nearly every ticket holds, one of the notes, a phrase, a customer's
    surname (a few tickets), the first digits of a number, filters only, and each
    qualifier that reads another table (the customer's address, name and
    organization, the attachments) or the index alone (a word left out)."""
    sample = (
        Ticket.objects.filter(department=department, customer__organization__isnull=False)
        .select_related("customer__organization")
        .order_by("-pk")
        .first()
    )
    surname = sample.customer.name.split()[-1] if sample else "nobody"
    domain = sample.customer.email.rpartition("@")[2] if sample else "example.net"
    org = sample.customer.organization.name if sample and sample.customer.organization else ""
    return {
        "common word": "working",
        "note word": "vendor",
        "rare word": surname,
        "phrase": '"could you have a look"',
        "partial number": (sample.number if sample else "123456")[:3],
        "filters only": f'status:open department:"{department.name}"',
        "from domain": f"from:{domain} working",
        "customer": f'customer:"{sample.customer.name}"' if sample else "customer:nobody",
        "organization": f'org:"{org}" state:open',
        "has attachment": "has:attachment state:open",
        "word left out": "-working",
    }


def search_index() -> dict[str, Any]:
    """Index every ticket the fill marked and compact the index (as `helpline
    search pending`), each timed, and the index's size on disk."""
    from django.db import connection

    from helpline.search import indexer

    started = time.monotonic()
    done = 0
    while step := indexer.index_pending(limit=5_000):
        done += step
    seconds = time.monotonic() - started
    started = time.monotonic()
    indexer.compact(full=True)
    compact_seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_total_relation_size('search_document') + "
                "pg_total_relation_size('search_pending')"
            )
        else:
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search%' "
                "OR name LIKE 'sqlite_autoindex_search%'"
            )
        size = cursor.fetchone()[0] or 0
    return {
        "indexed": done,
        "seconds": round(seconds, 1),
        "per_s": round(done / seconds, 1) if seconds else None,
        "compact_s": round(compact_seconds, 1),
        "size_mb": round(size / 2**20, 1),
    }


def backlog() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    from helpline.notify.models import OutboundMessage

    waiting = DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).count()
    unsent = OutboundMessage.objects.filter(sent_at__isnull=True).count()
    return {"tasks_waiting": waiting, "mails_unsent": unsent}


def sweep(count: int) -> dict[str, Any]:
    """`count` open tickets under an SLA plan fall due at once; the sweep is timed.

    The due times are moved with one UPDATE, as a clock that jumped would leave
    them (this database is the bench's own, thrown away after the run).
    """
    from helpline.automation.sla_sweep import sweep as run_sweep

    now = timezone.now()
    ids = list(
        Ticket.objects.filter(
            state="open",
            sla__isnull=False,
            sla_paused_at__isnull=True,
            resolution_breached=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    for start in range(0, len(ids), 900):  # SQLite's limit on parameters
        Ticket.objects.filter(pk__in=ids[start : start + 900]).update(
            due_at=now - timezone.timedelta(hours=2),
            sla_alarm_at=now - timezone.timedelta(hours=1),
        )
    started = time.perf_counter()
    counts = run_sweep(now)
    seconds = time.perf_counter() - started
    looked = counts["looked_at"]
    return {
        "due": len(ids),
        "looked_at": looked,
        "failed": counts["failed"],
        "seconds": round(seconds, 3),
        "ms_per_ticket": round(seconds * 1000 / looked, 3) if looked else None,
    }


def view_counts(repeats: int) -> dict[str, Any]:
    """The saved views' bounded counts (the sidebar's request reads them), timed
    where they are read: each bench view's, for its owner, `repeats` times; the
    median in ms, and what it counted."""
    from helpline.desk import saved_views

    out: dict[str, Any] = {}
    for view in SavedView.objects.filter(name__startswith="Bench ").select_related("owner__user"):
        owner = view.owner
        if saved_views._bucket(owner, view) is not None:
            continue  # counted by the queue counters, with the page
        times = []
        found: tuple[int, bool] = (0, False)
        for _ in range(repeats):
            started = time.perf_counter()
            found = saved_views._bounded_count(owner, view)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[f"{owner.user.username}: {view.name}"] = {
            "ms": round(times[len(times) // 2], 2),
            "count": found[0],
            "capped": found[1],
        }
    return out


def stub_fill(count: int) -> dict[str, Any]:
    """Open `count` tickets through the lifecycle, for when `demo generate` is missing."""
    from django_tasks_db.models import DBTaskResult

    from helpline.accounts.customers import find_or_create_customer
    from helpline.notify.models import OutboundMessage
    from helpline.tickets import lifecycle
    from helpline.tickets.demo import is_empty, load_demo

    if is_empty():
        load_demo(with_tickets=False)
    topics = list(
        HelpTopic.objects.filter(is_active=True, is_public=True).exclude(name="Bench outage")
    )
    customers = [
        find_or_create_customer(name=f"Customer {i}", email=f"customer{i}@bench.example")
        for i in range(50)
    ]
    for i in range(count):
        topic = topics[i % len(topics)]
        lifecycle.open_ticket(
            lifecycle.NewTicket(
                customer=customers[i % len(customers)],
                topic=topic,
                subject=f"Bench ticket {i}",
                body_html=f"<p>Something is broken ({i}).</p>",
                extra={"impact": "One person"}
                if "Critical" in topics[i % len(topics)].name
                else {},
                autorespond=False,
            ),
            actor=customers[i % len(customers)],
        )
    # Their alerts are not what the bench measures: they would flood the worker.
    OutboundMessage.objects.all().delete()
    DBTaskResult.objects.all().delete()
    return {"tickets": Ticket.objects.count(), "stub": True}


def template() -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return {"migrated": True}


def fill(count: int) -> dict[str, Any]:
    """`helpline demo generate --tickets N` where it exists, else the stand-in."""
    from django.core.management import call_command, get_commands, load_command_class

    demo = load_command_class(get_commands()["demo"], "demo")
    help_text = demo.create_parser("helpline", "demo").format_help()
    if "generate" not in help_text:
        return stub_fill(count)
    quiet = ["--no-progress"] if "--no-progress" in help_text else []
    call_command("demo", "generate", "--tickets", str(count), *quiet)
    return {"tickets": Ticket.objects.count(), "stub": False, "sequences_behind": sequences()}


def sequences() -> list[str]:
    """PostgreSQL: tables whose id sequence is behind their largest id (rows written
    with explicit ids by a bulk filler that did not move the sequence on), each then
    set right so the bench can run. A filler that leaves any is a bug to fix there:
    the next INSERT of the application fails with a duplicate key; results.json
    names them."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    behind = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            pk = model._meta.pk
            if pk is None or pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            table = model._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
            sequence = cursor.fetchone()[0]
            if sequence is None:
                continue
            cursor.execute(f'SELECT max("{pk.column}") FROM "{table}"')  # noqa: S608
            largest = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            last, called = cursor.fetchone()
            if largest is not None and (last if called else last - 1) < largest:
                behind.append(table)
                for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                    cursor.execute(sql)
    return behind


def main(argv: list[str]) -> int:
    action = argv[0]
    if action == "template":
        result: dict[str, Any] = template()
    elif action == "fill":
        result = fill(int(argv[1]))
    elif action == "prepare":
        result: dict[str, Any] = prepare()
    elif action == "backlog":
        result = dict(backlog())
    elif action == "sweep":
        result = sweep(int(argv[1]))
    elif action == "view-counts":
        result = view_counts(int(argv[1]))
    elif action == "stub-fill":
        result = stub_fill(int(argv[1]))
    elif action == "search-index":
        result = search_index()
    else:
        raise SystemExit(f"unknown action {action!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
