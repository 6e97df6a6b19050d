"""api 0001-0004, squashed (squashmigrations, and by hand: the label changes of
0004 folded into the CreateModel operations; the cache tables of 0002 and 0003).

0002 and 0003 were marked elidable, so squashmigrations dropped them; an install
made with `helpline migrate` alone needs the tables (every sign-in counts in
them), so they are here again, not elidable: one `createcachetable` makes the
tables of every database cache in the settings (0003's would find nothing left).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.management import call_command
from django.db import migrations, models


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    replaces = [
        ("api", "0001_initial"),
        ("api", "0002_cache_tables"),
        ("api", "0003_stranger_limits_table"),
        ("api", "0004_translatable_labels"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("accounts", "0002_collaborators_autorespond"),
        ("accounts", "0008_translatable_labels"),
        ("tickets", "0004_collaborators_autorespond"),
        ("tickets", "0013_translatable_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "prefix",
                    models.CharField(
                        editable=False,
                        help_text="Identifies the key.",
                        max_length=20,
                        verbose_name="prefix",
                    ),
                ),
                (
                    "key_hash",
                    models.CharField(
                        editable=False, max_length=64, unique=True, verbose_name="key hash"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created at"
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last used at"
                    ),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="revoked at"),
                ),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to="accounts.agent",
                        verbose_name="agent",
                    ),
                ),
            ],
            options={
                "verbose_name": "agent token",
                "ordering": ["agent", "name", "id"],
                "verbose_name_plural": "agent tokens",
            },
        ),
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "prefix",
                    models.CharField(
                        editable=False,
                        help_text="Identifies the key.",
                        max_length=20,
                        verbose_name="prefix",
                    ),
                ),
                (
                    "key_hash",
                    models.CharField(
                        editable=False, max_length=64, unique=True, verbose_name="key hash"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created at"
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last used at"
                    ),
                ),
                ("scopes", models.JSONField(blank=True, default=list, verbose_name="scopes")),
                (
                    "allowed_ips",
                    models.TextField(
                        blank=True,
                        help_text="IP addresses or CIDR ranges (e.g. 192.0.2.0/24), one per line. Empty allows any address.",
                        verbose_name="allowed IPs",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="is active")),
                (
                    "last_used_ip",
                    models.GenericIPAddressField(
                        blank=True, editable=False, null=True, verbose_name="last used IP"
                    ),
                ),
                (
                    "agent",
                    models.ForeignKey(
                        blank=True,
                        help_text="Changes made with this key are made as this agent, with their permissions. Without one the key can only create and read tickets.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_keys",
                        to="accounts.agent",
                        verbose_name="acts as",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "default_topic",
                    models.ForeignKey(
                        blank=True,
                        help_text="Tickets opened with this key without a help topic go here.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="tickets.helptopic",
                        verbose_name="default topic",
                    ),
                ),
            ],
            options={
                "verbose_name": "API key",
                "ordering": ["name", "id"],
                "verbose_name_plural": "API keys",
            },
        ),
        # 0002 and 0003: the database caches' tables (see the docstring).
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop),
    ]
