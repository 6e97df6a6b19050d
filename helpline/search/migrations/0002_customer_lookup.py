# Looking customers up by any part of their name, address or phone: the indexes of
# helpline.search.customers, for each database (helpline.search.schema).

from django.db import migrations

from helpline.search import schema


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_documents"),
        ("accounts", "0008_translatable_labels"),
    ]

    operations = [
        migrations.RunPython(
            schema.runner(schema.INSTALL, "customers"),
            schema.runner(schema.UNINSTALL, "customers"),
        ),
    ]
