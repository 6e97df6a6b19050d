"""accounts 0001-0008, squashed (squashmigrations, and the label changes of 0007
and 0008 folded by hand into the CreateModel and AddField operations they change)."""

import django.contrib.auth.models
import django.contrib.auth.validators
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_collaborators_autorespond"),
        ("accounts", "0003_assignment"),
        ("accounts", "0004_department_closing"),
        ("accounts", "0005_user_otp_enrolled"),
        ("accounts", "0006_language"),
        ("accounts", "0007_verbose_names"),
        ("accounts", "0008_translatable_labels"),
    ]

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("sla", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Organization",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True, verbose_name="name")),
                (
                    "domain",
                    models.CharField(
                        blank=True,
                        help_text="Email domain of its people, e.g. example.com",
                        max_length=200,
                        verbose_name="domain",
                    ),
                ),
            ],
            options={
                "verbose_name": "organization",
                "verbose_name_plural": "organizations",
            },
        ),
        migrations.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("password", models.CharField(max_length=128, verbose_name="password")),
                (
                    "last_login",
                    models.DateTimeField(blank=True, null=True, verbose_name="last login"),
                ),
                (
                    "is_superuser",
                    models.BooleanField(
                        default=False,
                        help_text="Designates that this user has all permissions without explicitly assigning them.",
                        verbose_name="superuser status",
                    ),
                ),
                (
                    "username",
                    models.CharField(
                        error_messages={"unique": "A user with that username already exists."},
                        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
                        max_length=150,
                        unique=True,
                        validators=[django.contrib.auth.validators.UnicodeUsernameValidator()],
                        verbose_name="username",
                    ),
                ),
                (
                    "first_name",
                    models.CharField(blank=True, max_length=150, verbose_name="first name"),
                ),
                (
                    "last_name",
                    models.CharField(blank=True, max_length=150, verbose_name="last name"),
                ),
                (
                    "email",
                    models.EmailField(blank=True, max_length=254, verbose_name="email address"),
                ),
                (
                    "is_staff",
                    models.BooleanField(
                        default=False,
                        help_text="Designates whether the user can log into this admin site.",
                        verbose_name="staff status",
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True,
                        help_text="Designates whether this user should be treated as active. Unselect this instead of deleting accounts.",
                        verbose_name="active",
                    ),
                ),
                (
                    "date_joined",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="date joined"
                    ),
                ),
                (
                    "groups",
                    models.ManyToManyField(
                        blank=True,
                        help_text="The groups this user belongs to. A user will get all permissions granted to each of their groups.",
                        related_name="user_set",
                        related_query_name="user",
                        to="auth.group",
                        verbose_name="groups",
                    ),
                ),
                (
                    "user_permissions",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Specific permissions for this user.",
                        related_name="user_set",
                        related_query_name="user",
                        to="auth.permission",
                        verbose_name="user permissions",
                    ),
                ),
                (
                    "otp_enrolled",
                    models.BooleanField(
                        default=False,
                        editable=False,
                        help_text="Signs in with a code from an authenticator app as well as the password.",
                        verbose_name="two-factor login",
                    ),
                ),
            ],
            options={
                "verbose_name": "user",
                "verbose_name_plural": "users",
                "abstract": False,
            },
            managers=[
                ("objects", django.contrib.auth.models.UserManager()),
            ],
        ),
        migrations.CreateModel(
            name="Agent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("admin", "Administrator"),
                            ("supervisor", "Supervisor"),
                            ("agent", "Agent"),
                        ],
                        default="agent",
                        help_text="Administrators see and change everything; otherwise the role applies in each department the agent has access to, unless that access names another.",
                        max_length=20,
                        verbose_name="role",
                    ),
                ),
                ("is_on_vacation", models.BooleanField(default=False, verbose_name="on vacation")),
                ("signature", models.TextField(blank=True, verbose_name="signature")),
                (
                    "timezone",
                    models.CharField(
                        blank=True,
                        help_text="e.g. Europe/Berlin",
                        max_length=64,
                        verbose_name="timezone",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="agent",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "ordering": ["user__first_name", "user__last_name", "user__username"],
                "verbose_name": "agent",
                "verbose_name_plural": "agents",
            },
        ),
        migrations.CreateModel(
            name="Department",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True, verbose_name="name")),
                (
                    "is_public",
                    models.BooleanField(
                        default=True, help_text="Customers may see its name.", verbose_name="public"
                    ),
                ),
                (
                    "manager",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="managed_departments",
                        to="accounts.agent",
                        verbose_name="manager",
                    ),
                ),
                (
                    "sla",
                    models.ForeignKey(
                        blank=True,
                        help_text="Used when the help topic names none.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="sla.slaplan",
                        verbose_name="SLA plan",
                    ),
                ),
                (
                    "autorespond",
                    models.BooleanField(
                        default=True,
                        help_text="Send the new-ticket autoresponse to customers.",
                        verbose_name="autoresponse",
                    ),
                ),
                (
                    "assignment_mode",
                    models.CharField(
                        choices=[
                            ("none", "No automatic assignment"),
                            ("round_robin", "Round robin"),
                            ("least_loaded", "Least loaded"),
                        ],
                        default="none",
                        help_text="Who gets a new ticket: among agents with access here who are active, not on vacation, on shift and under their cap.",
                        max_length=20,
                        verbose_name="assignment mode",
                    ),
                ),
                (
                    "auto_close_days",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="Resolved tickets without a customer reply close after this many days; empty never closes them automatically.",
                        null=True,
                        verbose_name="close resolved tickets after (days)",
                    ),
                ),
                (
                    "reopen_window_days",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="A customer's reply up to this many days after the ticket was resolved or closed reopens it; a later reply opens a new ticket linked to the old one. Empty always reopens.",
                        null=True,
                        verbose_name="reopen window (days)",
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
                "verbose_name": "department",
                "verbose_name_plural": "departments",
            },
        ),
        migrations.CreateModel(
            name="DepartmentAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        choices=[("supervisor", "Supervisor"), ("agent", "Agent")],
                        help_text="Leave empty to use the agent's own role.",
                        max_length=20,
                        verbose_name="role",
                    ),
                ),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="access",
                        to="accounts.agent",
                        verbose_name="agent",
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="access",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "department access",
                "constraints": [
                    models.UniqueConstraint(fields=("agent", "department"), name="access_unique")
                ],
                "verbose_name": "department access",
            },
        ),
        migrations.CreateModel(
            name="Customer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("email", models.EmailField(max_length=254, verbose_name="email")),
                ("phone", models.CharField(blank=True, max_length=40, verbose_name="phone")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="customer",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="customers",
                        to="accounts.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        blank=True,
                        choices=[("en", "English"), ("de", "Deutsch")],
                        help_text="Empty: the language of the browser, else the site's default.",
                        max_length=10,
                        verbose_name="language",
                    ),
                ),
                (
                    "last_language",
                    models.CharField(
                        blank=True, editable=False, max_length=10, verbose_name="language last used"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("email"),
                        name="customer_email_ci_unique",
                    )
                ],
                "verbose_name": "customer",
                "verbose_name_plural": "customers",
            },
        ),
        migrations.CreateModel(
            name="Team",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120, unique=True, verbose_name="name")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "lead",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="led_teams",
                        to="accounts.agent",
                        verbose_name="lead",
                    ),
                ),
                (
                    "members",
                    models.ManyToManyField(
                        blank=True,
                        related_name="teams",
                        to="accounts.agent",
                        verbose_name="members",
                    ),
                ),
                (
                    "assignment_mode",
                    models.CharField(
                        choices=[
                            ("none", "No automatic assignment"),
                            ("round_robin", "Round robin"),
                            ("least_loaded", "Least loaded"),
                        ],
                        default="none",
                        help_text="Used instead of the department's when a ticket goes to this team: picks among its members who are eligible in the ticket's department.",
                        max_length=20,
                        verbose_name="assignment mode",
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
                "verbose_name": "team",
                "verbose_name_plural": "teams",
            },
        ),
        migrations.CreateModel(
            name="AgentShift",
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
                        ],
                        verbose_name="weekday",
                    ),
                ),
                ("start_time", models.TimeField(verbose_name="start time")),
                (
                    "end_time",
                    models.TimeField(
                        help_text="00:00 means midnight at the end of the day.",
                        verbose_name="end time",
                    ),
                ),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="shifts",
                        to="accounts.agent",
                        verbose_name="agent",
                    ),
                ),
            ],
            options={
                "ordering": ["agent", "weekday", "start_time"],
                "verbose_name": "shift",
                "verbose_name_plural": "shifts",
            },
        ),
        migrations.CreateModel(
            name="AssignmentCursor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scope", models.CharField(max_length=40, unique=True, verbose_name="scope")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                (
                    "last_agent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.agent",
                        verbose_name="last agent",
                    ),
                ),
            ],
            options={
                "verbose_name": "assignment cursor",
                "verbose_name_plural": "assignment cursors",
            },
        ),
        migrations.AddField(
            model_name="agent",
            name="departments",
            field=models.ManyToManyField(
                blank=True,
                related_name="agents",
                through="accounts.DepartmentAccess",
                to="accounts.department",
                verbose_name="departments",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="max_open_tickets",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Cap for automatic assignment: no new tickets while this many open tickets are assigned to the agent. Empty means no cap.",
                null=True,
                verbose_name="maximum open tickets",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("de", "Deutsch")],
                help_text="Empty: the language of the browser, else the site's default.",
                max_length=10,
                verbose_name="language",
            ),
        ),
    ]
