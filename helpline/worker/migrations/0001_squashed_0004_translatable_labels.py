"""worker 0001-0004, squashed (squashmigrations, and by hand: 0004's label changes
folded into the CreateModel operations; 0003's data step copied here and run last).

0003 only moves waiting task rows of django_tasks_database (there are none on a
new install); it is kept because that app's table may be older than this one.
"""

from django.db import migrations, models

# worker 0003, as it is there.
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
    replaces = [
        ("worker", "0001_initial"),
        ("worker", "0002_worker_heartbeat"),
        ("worker", "0003_moved_task_paths"),
        ("worker", "0004_translatable_labels"),
    ]

    initial = True

    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobSchedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("next_run_at", models.DateTimeField(verbose_name="next run at")),
                (
                    "last_run_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last run at"),
                ),
            ],
            options={
                "verbose_name": "job schedule",
                "verbose_name_plural": "job schedules",
            },
        ),
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("beat_at", models.DateTimeField(verbose_name="beat at")),
                ("worker", models.CharField(blank=True, max_length=200, verbose_name="worker")),
            ],
            options={
                "verbose_name": "worker heartbeat",
                "verbose_name_plural": "worker heartbeats",
            },
        ),
        migrations.RunPython(
            code=forwards,
            reverse_code=backwards,
        ),
    ]
