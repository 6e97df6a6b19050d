from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    """The plan's one figure becomes its resolution target; hours may be fractional."""

    dependencies = [("sla", "0002_businessschedule_holiday_schedulespan_and_more")]

    operations = [
        migrations.RenameField("slaplan", "grace_hours", "resolution_hours"),
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
