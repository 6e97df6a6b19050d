"""The Rating model moves to helpline.tickets (the core writes it; this app keeps
the rating pages). The table is renamed to tickets_rating and its rows stay; the
model leaves this app's state here and enters tickets' in tickets 0012."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_resolved_mail_invites_rating")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable("rating", "tickets_rating")],
            state_operations=[migrations.DeleteModel("rating")],
        )
    ]
