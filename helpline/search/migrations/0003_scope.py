# Who may find each document, indexed with its text (helpline.search.schema,
# "scope"): a search reads only the matches its searcher may see.

from django.db import migrations, models

from helpline.search import schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_customer_lookup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="document",
                    name="scope",
                    field=models.TextField(default="", verbose_name="scope"),
                ),
            ],
            database_operations=[
                migrations.RunPython(
                    schema.runner(schema.INSTALL, "scope"),
                    schema.runner(schema.UNINSTALL, "scope"),
                ),
            ],
        ),
    ]
