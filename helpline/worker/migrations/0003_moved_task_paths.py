"""Tasks that moved with issue 10's layering keep their queued work: rows still
waiting under an old path get the new one, so an upgrade between a request and
its task loses nothing (a password reset asked for just before it, say). The
worker and the web must still run the same release: an old worker cannot import
the new paths."""

from django.db import migrations

MOVED = {
    "helpline.accounts.tasks.mail_password_reset": "helpline.notify.tasks.mail_password_reset",
    "helpline.sla.tasks.sweep_sla": "helpline.automation.tasks.sweep_sla",
}


def rename(apps, mapping: dict[str, str]) -> int:
    """Point waiting task rows at their task's new path; returns how many moved."""
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    moved = 0
    for old, new in mapping.items():
        moved += results.objects.filter(task_path=old, status="READY").update(task_path=new)
    return moved


def forwards(apps, schema_editor) -> None:
    rename(apps, MOVED)


def backwards(apps, schema_editor) -> None:
    rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("worker", "0002_worker_heartbeat"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
