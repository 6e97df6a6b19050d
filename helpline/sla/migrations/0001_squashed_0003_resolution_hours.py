"""sla 0001-0003, squashed (squashmigrations; by hand, 0003's rename and change of
the plan's target kept apart, see below).

sla stops here: 0004 gives the plan its pause statuses and escalation levels,
which point at tickets' models (while tickets 0001 points at SLAPlan), tickets
0005-0008 come between sla 0004 and 0005, and tickets 0009-0013 between sla 0005
and 0006. So 0004 and 0005 stay as they are, and 0006 has a replacement of its
own (docs/decisions.md, "Squashed migrations").
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import helpline.sla.models


class Migration(migrations.Migration):
    replaces = [
        ("sla", "0001_initial"),
        ("sla", "0002_businessschedule_holiday_schedulespan_and_more"),
        ("sla", "0003_resolution_hours"),
    ]

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SLAPlan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True)),
                (
                    "grace_hours",
                    models.PositiveIntegerField(
                        help_text="Hours after opening (on the schedule) before the ticket is overdue."
                    ),
                ),
                (
                    "schedule",
                    models.CharField(
                        choices=[("24/7", "24/7"), ("business", "Business hours")],
                        default="24/7",
                        editable=False,
                        help_text="Derived: business hours when a business schedule is set, else 24/7.",
                        max_length=20,
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                (
                    "is_default",
                    models.BooleanField(
                        default=False,
                        help_text="Used when neither the help topic nor the department names a plan.",
                    ),
                ),
            ],
            options={
                "verbose_name": "SLA plan",
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_default", True)),
                        fields=("is_default",),
                        name="one_default_sla",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="BusinessSchedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True)),
                (
                    "time_zone",
                    models.CharField(
                        help_text="IANA time zone, for example Europe/Berlin or America/New_York.",
                        max_length=64,
                        validators=[helpline.sla.models.validate_time_zone],
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="slaplan",
            name="business_schedule",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty means the plan runs 24/7.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="plans",
                to="sla.businessschedule",
            ),
        ),
        migrations.AddConstraint(
            model_name="slaplan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("business_schedule__isnull", True), ("schedule", "24/7")),
                    models.Q(("business_schedule__isnull", False), ("schedule", "business")),
                    _connector="OR",
                ),
                name="sla_schedule_matches_business_schedule",
            ),
        ),
        migrations.CreateModel(
            name="Holiday",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                ("date", models.DateField()),
                (
                    "start_time",
                    models.TimeField(
                        blank=True,
                        help_text="Closed from; leave both times empty for the whole day.",
                        null=True,
                    ),
                ),
                (
                    "end_time",
                    models.TimeField(
                        blank=True, help_text="Closed until; 00:00 is midnight.", null=True
                    ),
                ),
                (
                    "yearly",
                    models.BooleanField(
                        default=False, help_text="Every year on the same month and day."
                    ),
                ),
                (
                    "schedule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holidays",
                        to="sla.businessschedule",
                    ),
                ),
            ],
            options={
                "ordering": ["schedule", "date"],
            },
        ),
        migrations.CreateModel(
            name="ScheduleSpan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (0, "Monday"),
                            (1, "Tuesday"),
                            (2, "Wednesday"),
                            (3, "Thursday"),
                            (4, "Friday"),
                            (5, "Saturday"),
                            (6, "Sunday"),
                        ]
                    ),
                ),
                ("start_time", models.TimeField()),
                (
                    "end_time",
                    models.TimeField(help_text="00:00 means midnight at the end of the day."),
                ),
                (
                    "schedule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spans",
                        to="sla.businessschedule",
                    ),
                ),
            ],
            options={
                "ordering": ["schedule", "weekday", "start_time"],
            },
        ),
        # As 0003 did it (not folded into the CreateModel): SQLite moves a changed
        # column to the end of its table, so installs made with the originals have
        # resolution_hours after business_schedule_id there; this keeps them alike.
        migrations.RenameField(
            model_name="slaplan",
            old_name="grace_hours",
            new_name="resolution_hours",
        ),
        migrations.AlterField(
            model_name="slaplan",
            name="resolution_hours",
            field=models.DecimalField(
                decimal_places=2,
                help_text="Clock hours after opening (on the schedule) until the ticket is due.",
                max_digits=7,
                validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                verbose_name="resolution target (hours)",
            ),
        ),
    ]
