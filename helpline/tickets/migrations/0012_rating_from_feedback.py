"""Rating joins the tickets app's state; its table (renamed to tickets_rating by
feedback 0003) and rows are already there, so nothing runs on the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_department_closing"),
        ("tickets", "0011_due_dates_in_range"),
        ("feedback", "0003_rating_moves_to_tickets"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Rating",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "score",
                            models.CharField(
                                choices=[("good", "Good"), ("okay", "Okay"), ("bad", "Bad")],
                                max_length=4,
                            ),
                        ),
                        ("comment", models.TextField(blank=True, max_length=2000)),
                        ("created_at", models.DateTimeField()),
                        (
                            "agent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="ratings",
                                to="accounts.agent",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="ratings",
                                to="accounts.customer",
                            ),
                        ),
                        (
                            "resolution",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="rating",
                                to="tickets.event",
                            ),
                        ),
                        (
                            "ticket",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ratings",
                                to="tickets.ticket",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["created_at", "id"],
                        "indexes": [
                            models.Index(fields=["created_at"], name="rating_created"),
                            models.Index(
                                fields=["agent", "created_at"], name="rating_agent_created"
                            ),
                        ],
                    },
                )
            ],
        )
    ]
