"""Helpline settings.

Everything a deployment changes comes from the environment (12-factor), with
defaults that make `make run` work on a fresh machine: SQLite in ./var, DEBUG off.
"""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP

from helpline.ops.errors import admins, init_sentry
from helpline.ops.scaling import redis_caches, rq_queues, task_broker, tasks_setting
from helpline.ops.storage import default_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPLINE_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY from the environment, else one generated once and kept in var/.

    A fresh key on every start would log everybody out and break signed links, so
    the generated key is written to a file readable only by its owner.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = get_random_secret_key()
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    # Django's admin with Helpline's site: its login is the desk's (two-factor and
    # throttling included), see helpline.accounts.adminsite.
    "helpline.accounts.adminapp.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # its bundled Swagger UI files, so /api/docs needs no CDN
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "helpline.accounts",
    "helpline.sla",
    "helpline.tickets",
    "helpline.automation",
    "helpline.ticket_tasks",
    "helpline.bulk",
    "helpline.worker",
    "helpline.notify",
    "helpline.search",
    "helpline.intake",
    "helpline.api",
    "helpline.portal",
    "helpline.desk",
    "helpline.feedback",
    "helpline.reports",
]

MIDDLEWARE = [
    # First: HEAD is served as GET by everything below, without a body.
    "helpline.lib.middleware.HeadMiddleware",
    # Every answer under /desk/, errors and redirects too: no-store, private.
    "helpline.lib.middleware.PrivateNoStoreMiddleware",
    # Under /api/: the same no-store, and a Host not in ALLOWED_HOSTS is a JSON 400
    # (Django's middleware below would answer its HTML page).
    "helpline.api.errors.ApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An answer the same for everyone (the JavaScript catalog) without the Vary
    # that the session and language middleware below add: browsers keep one copy.
    "helpline.lib.middleware.ImmutableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # --- i18n ---
    # The language of each request: the chosen one (cookie), else Accept-Language,
    # else LANGUAGE_CODE; after sessions, before CommonMiddleware (Django's order).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # --- i18n ---
    # A signed-in person's saved language (Customer.language, Agent.language)
    # wins over the browser's; needs request.user, so after authentication.
    "helpline.accounts.language.SavedLanguageMiddleware",
    # Agents enrolled in two-factor login reach the desk and the admin only with a
    # verified session; with HELPLINE_REQUIRE_2FA, administrators must enrol first.
    "helpline.accounts.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpline.lib.timezones.TimezoneMiddleware",
    # A readable page in the empty body of a web path's 405 (never the API's).
    "helpline.lib.errorpages.FriendlyErrorsMiddleware",
    # A view's rate limit (helpline.lib.ratelimit.per_address) refused: the 429
    # page (RATELIMIT_VIEW), not the 403 a bare PermissionDenied would get.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Default deny: a view that does not declare who may use it is refused.
    "helpline.lib.access.DefaultDenyMiddleware",
    # Django's admin answers `?_to_field=` (empty) with a 500; this with a 400.
    "helpline.lib.adminguard.AdminToFieldGuard",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

# Bench only (`make bench`, helpline.lib.benchtiming): each response says its time,
# its SQL time and the process that served it. Off unless the environment turns it
# on; never set it in production (the headers tell strangers how long queries take).
HELPLINE_BENCH_TIMING = _env_bool("HELPLINE_BENCH_TIMING", False)
if HELPLINE_BENCH_TIMING:
    MIDDLEWARE.insert(0, "helpline.lib.benchtiming.BenchTimingMiddleware")

ROOT_URLCONF = "helpline.urls"
WSGI_APPLICATION = "helpline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "helpline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # `csp_nonce` for the admin's few inline <script>/<style> blocks.
                "django.template.context_processors.csp",
                "helpline.accounts.context_processors.people",
                # The JavaScript catalog's cacheable URL, for base.html.
                "helpline.lib.jscatalog.catalog_context",
            ],
        },
    },
]

# Forms draw Django's widget templates in their Jinja2 versions (faster; the admin's
# own widgets still in Django's template language): helpline.web.renderer.
FORM_RENDERER = "helpline.web.renderer.FormRenderer"

# --- Database -----------------------------------------------------------------
# SQLite is the embedded default: WAL so readers never block the writer, a busy
# timeout so concurrent writers wait instead of failing, and IMMEDIATE transactions
# so a write transaction takes the lock at BEGIN (no deadlock on lock upgrade).
_sqlite_path = VAR_DIR / "helpline.sqlite3"
# An empty DATABASE_URL means "not set", not "no database".
if _database_url := os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    }
else:
    # The path as it is (through a URL, a folder name with "#" or "?" was cut). SQLite
    # makes the file, not its folder: a new HELPLINE_VAR_DIR with SECRET_KEY set (so
    # no key file made the folder) failed "unable to open database file". A folder
    # that cannot be made is left for SQLite to report, at the first connection.
    with contextlib.suppress(OSError):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_sqlite_path),
            "CONN_HEALTH_CHECKS": True,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "desk:login"
# The longest any token of Django's PasswordResetTokenGenerator lives: a new
# account's address confirmation (3 days). Password reset links are checked
# against the shorter HELPLINE_PASSWORD_RESET_MINUTES as well.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
HELPLINE_PASSWORD_RESET_MINUTES = int(os.environ.get("HELPLINE_PASSWORD_RESET_MINUTES", "60"))

# Login throttling (django-axes): five failures for one username from one address
# lock that pair for 15 minutes from the failure that locked it (failures while
# locked are not recorded, so they do not make the lock longer); the lockout page
# (helpline.accounts.lockout) says so and links to password reset, which clears
# the account's failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "helpline.accounts.lockout.axes_lockout"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = _env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False
# The client's address as every rate limit sees it (behind HELPLINE_TRUSTED_PROXIES,
# from X-Forwarded-For), an IPv6 one by its /64: helpline.lib.clientip.
AXES_CLIENT_IP_CALLABLE = "helpline.lib.clientip.axes_address"
# And failures across usernames from one address, and across addresses for one
# username (helpline.accounts.throttle): django-ratelimit rates, "count/period".
HELPLINE_LOGIN_THROTTLE = AXES_ENABLED
HELPLINE_LOGIN_FAILURES_PER_ADDRESS = os.environ.get(
    "HELPLINE_LOGIN_FAILURES_PER_ADDRESS", "30/15m"
)
HELPLINE_LOGIN_FAILURES_PER_USERNAME = os.environ.get(
    "HELPLINE_LOGIN_FAILURES_PER_USERNAME", "20/h"
)
# Password reset and registration mail: per client address and per mailbox.
HELPLINE_ACCOUNT_MAIL_PER_ADDRESS = os.environ.get("HELPLINE_ACCOUNT_MAIL_PER_ADDRESS", "10/h")
HELPLINE_ACCOUNT_MAIL_PER_MAILBOX = os.environ.get("HELPLINE_ACCOUNT_MAIL_PER_MAILBOX", "3/h")

# Two-factor login for agents (django-otp: TOTP, and static recovery codes).
# With HELPLINE_REQUIRE_2FA, administrators must enrol before using the desk or
# the admin; other agents may enrol on their own.
HELPLINE_REQUIRE_2FA = _env_bool("HELPLINE_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = os.environ.get("HELPLINE_2FA_ISSUER", "Helpline")
# TOTP keys and recovery codes are secrets: the admin shows devices, not keys.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Cookies and headers ----------------------------------------------------------
SECURE_COOKIES = _env_bool("SECURE_COOKIES", not DEBUG and _env_bool("HTTPS", False))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A stale form (signed in or out in another tab) gets a page that says so and
# shows back what was typed, not Django's bare "CSRF verification failed".
CSRF_FAILURE_VIEW = "helpline.lib.errorpages.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _env_bool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
# ...except the health endpoints: a load balancer probes them over plain HTTP (by
# address, without X-Forwarded-Proto) and takes a 301 for a failure. Exactly these
# two paths (matched without their leading "/"); every other page is redirected.
# Set whatever HTTPS says: it only matters when SECURE_SSL_REDIRECT is on.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- HSTS reach (`manage.py check --deploy` is clean with HTTPS=1, and CI runs it) ---
# Both widen HTTPS-only beyond this site, which is the domain owner's decision, not
# the help desk's: support.example.com must not make every other *.example.com
# HTTPS-only, nor put the domain on the browsers' preload list. Off by default, and
# then the two warnings that say "you have not turned this on" are silenced.
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]

# --- Content-Security-Policy (docs/security/csp.md) -----------------------------
# Every page, every response: only our own scripts, styles and images run or load.
# Our templates have no inline scripts, styles or style attributes (a test walks
# them); markup that slips past escaping therefore cannot run, style the page, load
# a remote image (which would tell a sender when and from where an agent read the
# message; remote images in messages are shown as links instead, see
# helpline/lib/remote_images.py) or post a form elsewhere.
# NONCE: the Django admin marks its few inline <script>/<style> blocks with
# {% csp_nonce_attr %}; the nonce is in the header only on pages that used it, and
# a fresh one per response, so injected markup cannot guess it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # blob: for the desk editor's pictures, shown from the file before it is sent.
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Cache (rate limits are shared by every server process) ---------------------
# Both are database caches (tables made by `createcachetable`), so every gunicorn
# process shares them without Redis.
# Rate-limit counters live in two tables of their own. A cache past MAX_ENTRIES
# drops a third of its entries (Django's database cache: the first third in key
# order), and a dropped counter is an empty one. So the counters a stranger can
# create at will (one per address or /64: failed API authentications, and every
# django-ratelimit counter: sign-in, portal forms, osTicket) are kept apart from
# those that need a working key or token (the API's per-key, per-address and
# known-credential buckets): a flood of new addresses fills and culls
# "limits_strangers" only, never a client's full bucket in "limits".
# 100,000 live counters each hold a flood from 100,000 addresses (IPv6 ones count
# by their /64) per window (a minute for the API, up to an hour for sign-in);
# expired counters are removed first (and every minute by the worker). Each write
# counts the table's rows, so they are not made larger.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "helpline_cache",
    },
    "limits": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "helpline_limits",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
    "limits_strangers": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "helpline_limits_strangers",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
# HELPLINE_REDIS_URL puts all three on Redis instead, and sessions behind it
# (helpline.ops.scaling): for several machines, or to spare the database the writes.
if _redis := redis_caches(os.environ):
    CACHES = _redis
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The saved views' bounded counts (helpline.desk.saved_views): each process keeps
# its own for half a minute; a desk page writes nothing to keep them.
CACHES["counts"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "helpline-view-counts",
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}
HELPLINE_LIMITS_CACHE = "limits"
HELPLINE_STRANGER_LIMITS_CACHE = "limits_strangers"
RATELIMIT_USE_CACHE = HELPLINE_STRANGER_LIMITS_CACHE
# django-ratelimit's "ip" key, should anything use it: the same client address as
# every other limit (our bounds use helpline.lib.clientip.address_key directly).
RATELIMIT_IP_META_KEY = "helpline.lib.clientip.client_ip"

# --- Reverse proxies ----------------------------------------------------------
# Peers (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is
# believed: the client is its right-most entry that is not one of them. Empty:
# the client is the peer (REMOTE_ADDR) and X-Forwarded-For is ignored, so nobody
# can choose the address their rate limits count against. The word "unix" trusts
# a peer with no address (a proxy on a Unix socket). helpline.lib.clientip.
HELPLINE_TRUSTED_PROXIES = [
    entry.strip()
    for entry in os.environ.get("HELPLINE_TRUSTED_PROXIES", "").split(",")
    if entry.strip()
]
RATELIMIT_VIEW = "helpline.lib.ratelimit.too_many_requests"

# --- Background work ----------------------------------------------------------
# The database queue (django-tasks-db), or RQ on Redis when HELPLINE_TASK_BROKER_URL
# names one (helpline.ops.scaling; `helpline worker` runs the matching worker).
HELPLINE_TASK_BROKER_URL = task_broker(os.environ)
TASKS = tasks_setting(HELPLINE_TASK_BROKER_URL)
if HELPLINE_TASK_BROKER_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = rq_queues(HELPLINE_TASK_BROKER_URL)
    # No RQ dashboard in the admin: it can empty queues and requeue jobs, and
    # Helpline's own views (the outbox, /readyz) are what operators use.
    RQ_SHOW_ADMIN_LINK = False
# How often the worker's scheduler loop looks for due periodic jobs, in seconds.
HELPLINE_SCHEDULER_SECONDS = 5.0
# Periodic jobs the worker queues: {name: (task, seconds between runs)}.
HELPLINE_PERIODIC_JOBS: dict[str, tuple[str, int] | tuple[str, int, str]] = {
    # Mail whose own send task was lost, or whose sender died mid-send.
    "notify.send_due": ("helpline.notify.tasks.send_due_mail", 60),
    # Each mailbox also keeps its own poll interval; this is how often to look.
    "intake.poll_mailboxes": ("helpline.intake.tasks.poll_mailboxes", 60),
    # Overdue marking and escalation levels whose moment has come.
    "sla.sweep": ("helpline.automation.tasks.sweep_sla", 60),
    # Resolved tickets without a reply close after their department's period.
    "automation.auto_close": ("helpline.automation.tasks.auto_close", 15 * 60),
    # Expired rate-limit counters, so the limits cache's table holds live ones only.
    "api.purge_limits": ("helpline.api.tasks.purge_expired_limits", 60),
    # Tickets whose text changed, into the search index: the lag of a search
    # behind a change (no task per change: a statement fewer in each). Only when
    # a ticket is waiting: an idle desk queues, writes and logs nothing for it.
    "search.index": (
        "helpline.search.tasks.index_pending",
        5,
        "helpline.search.indexer.has_pending",
    ),
    # Who had a ticket open an hour ago, and drafts left for a month (desk.together).
    "desk.tidy": ("helpline.desk.tasks.tidy", 3600, "helpline.desk.together.has_stale"),
    # The search index's pieces merged for fast reading: two seconds of short
    # transactions every ten minutes (a merge with nothing to do writes nothing).
    "search.compact": ("helpline.search.tasks.compact", 600),
    # Bulk actions whose worker died or whose next run was lost go on; old ones go.
    "bulk.resume": ("helpline.bulk.tasks.resume", 300, "helpline.bulk.runner.has_work"),
}

# --- Health endpoints (helpline.ops.health) ------------------------------------
# /healthz answers while the process does; /readyz also checks the database and
# these bounds, each in seconds. The worker writes its heartbeat at most this often:
HELPLINE_WORKER_HEARTBEAT_SECONDS = int(os.environ.get("HELPLINE_WORKER_HEARTBEAT_SECONDS", "30"))
# A worker whose last heartbeat is older is taken for stopped (its scheduler
# loop turns every 5 s; ten missed beats):
HELPLINE_READY_WORKER_SECONDS = int(os.environ.get("HELPLINE_READY_WORKER_SECONDS", "300"))
# The oldest mail waiting to be sent (pending or being sent; a failed one waits
# for an administrator and is the admin's concern, not readiness):
HELPLINE_READY_OUTBOX_SECONDS = int(os.environ.get("HELPLINE_READY_OUTBOX_SECONDS", "3600"))
# The oldest message waiting in the intake quarantine for an administrator:
HELPLINE_READY_QUARANTINE_SECONDS = int(
    os.environ.get("HELPLINE_READY_QUARANTINE_SECONDS", str(3 * 24 * 3600))
)

# --- Mail ---------------------------------------------------------------------
# Mail is "set up" when a mailer other than the console one is configured; until
# then the portal shows signed links on the page instead of mailing them.
EMAIL_CONFIGURED = bool(os.environ.get("SMTP_HOST"))
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("SMTP_HOST", ""),
                "port": int(os.environ.get("SMTP_PORT", "25")),
                "username": os.environ.get("SMTP_USER", ""),
                "password": os.environ.get("SMTP_PASSWORD", ""),
                "use_tls": _env_bool("SMTP_STARTTLS", False),
                "use_ssl": _env_bool("SMTP_SSL", False),
                # Django waits forever by default; a hung server would hold the worker.
                "timeout": int(os.environ.get("SMTP_TIMEOUT", "30")),
            },
        }
        if EMAIL_CONFIGURED
        # Development: each mail written to a file in var/mail/, decoded for
        # reading (links whole, subjects not =?utf-8?...), and one line in the
        # log naming it; never the whole mail in the log. helpline.lib.consolemail.
        else {
            "BACKEND": "helpline.lib.consolemail.EmailBackend",
            "OPTIONS": {"directory": str(VAR_DIR / "mail")},
        }
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "helpdesk@localhost")
# The right-hand side of the Message-IDs we send (see helpline.lib.mailids).
HELPLINE_MAIL_DOMAIN = os.environ.get(
    "HELPLINE_MAIL_DOMAIN", DEFAULT_FROM_EMAIL.rpartition("@")[2] or "helpline.invalid"
)
# Where links in outgoing mail point (mail is sent by the worker, with no request).
# By default the address `make run` serves on: its PORT (scripts/serve exports it
# to the web server and the worker alike), so a site started on another port
# mails links that work. Set it for any real deployment (the public https URL).
_PORT = os.environ.get("PORT", "").strip()
HELPLINE_BASE_URL = os.environ.get(
    "HELPLINE_BASE_URL", f"http://127.0.0.1:{_PORT if _PORT.isdigit() else '8000'}"
).rstrip("/")
# Customers' mail says "reply to support+t.<token>@domain" (a per-person, per-ticket
# token that survives mail clients dropping In-Reply-To). Only for mail servers that
# deliver plus-addressed mail to the mailbox (Postfix recipient_delimiter, Gmail,
# Microsoft 365): elsewhere replies would bounce. See helpline.lib.mailids.
HELPLINE_REPLY_ADDRESS_TOKENS = _env_bool("HELPLINE_REPLY_ADDRESS_TOKENS", False)
# Trusted Authentication-Results come from the servers named on each mailbox
# (Mailbox.authserv_ids), not from a site-wide list: see helpline.intake.trust.

# --- i18n, time ---------------------------------------------------------------
# English is the default and the language of the source strings; German is
# complete (`make test` fails on an untranslated string, scripts/check-translations).
# Catalogs: one per app (helpline/<app>/locale), and helpline/locale for the
# templates and modules outside the apps (templates/, lib/, settings, urls, cli).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "helpline" / "locale"]
LANGUAGE_COOKIE_NAME = "helpline_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not DEBUG and _env_bool("HTTPS", False))
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The local days the reports' daily rollups are kept in (helpline.reports.rollups).
# A report asked for in another zone is computed from the events instead. After a
# change, run `helpline reports rebuild-rollups`.
REPORTS_TIME_ZONE = os.environ.get("REPORTS_TIME_ZONE", "") or TIME_ZONE
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "helpline" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
# Attachments on the disk (MEDIA_ROOT) or, with HELPLINE_STORAGE=s3, in an
# S3-compatible bucket (django-storages): helpline.ops.storage reads the variables.
STORAGES = {
    "default": default_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Helpline -------------------------------------------------------------------
# Attachments: limits a customer or agent upload must meet (configurable).
HELPLINE_MAX_ATTACHMENT_BYTES = int(os.environ.get("HELPLINE_MAX_ATTACHMENT_MB", "10")) * 2**20
HELPLINE_MAX_ATTACHMENTS = int(os.environ.get("HELPLINE_MAX_ATTACHMENTS", "5"))
HELPLINE_ATTACHMENT_EXTENSIONS = os.environ.get(
    "HELPLINE_ATTACHMENT_EXTENSIONS",
    ".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.log,.csv,.doc,.docx,.xls,.xlsx,.odt,.ods,.zip,.eml",
).split(",")
# PDF previews (helpline.tickets.previews): drawn in a child process that is
# stopped after this many seconds, for files up to this size; past either, a PDF
# is shown as a plain file.
HELPLINE_PDF_PREVIEW_SECONDS = float(os.environ.get("HELPLINE_PDF_PREVIEW_SECONDS", "6"))
HELPLINE_PDF_PREVIEW_MAX_BYTES = int(os.environ.get("HELPLINE_PDF_PREVIEW_MAX_MB", "20")) * 2**20
# How many PDFs one machine draws at once (tickets.previews): fewer than the web
# workers, so drawing never holds them all.
HELPLINE_PDF_PREVIEW_SLOTS = int(os.environ.get("HELPLINE_PDF_PREVIEW_SLOTS", "1"))
# Where the slots' lock files are: one folder per machine.
HELPLINE_PDF_PREVIEW_SLOT_DIR = Path(
    os.environ.get("HELPLINE_PDF_PREVIEW_SLOT_DIR", Path(tempfile.gettempdir()) / "helpline-pdf")
)
# Signed customer links (ticket access without login) expire after this many days.
HELPLINE_TICKET_LINK_MAX_AGE_DAYS = int(os.environ.get("HELPLINE_TICKET_LINK_DAYS", "30"))
HELPLINE_QUEUE_PAGE_SIZE = 25

# --- Bulk actions (helpline.bulk) ---------------------------------------------
# The most tickets one bulk action takes ("select all matching" is cut there).
HELPLINE_BULK_MAX = int(os.environ.get("HELPLINE_BULK_MAX", "10000"))
# Up to this many, the action runs in the request (about a second); above, the worker.
HELPLINE_BULK_INLINE = int(os.environ.get("HELPLINE_BULK_INLINE", "25"))
# How many unfinished bulk actions one agent may have.
HELPLINE_BULK_RUNNING = 3
# Finished bulk actions (their per-ticket results) are kept this many days.
HELPLINE_BULK_KEEP_DAYS = 30
# API rate limits (helpline.api.throttles), counted in CACHES["limits"] per client
# (failed authentications in CACHES["limits_strangers"])
# address and per key or agent token; "N/s", "N/m", "N/h" or "N/d"; empty: no limit.
# Failed authentications (wrong or revoked keys) per address, REST and osTicket;
# when full, only credentials that worked from that address lately get through:
HELPLINE_API_FAILED_AUTH_RATE = os.environ.get("HELPLINE_API_FAILED_AUTH_RATE", "30/10m")
# The same from one IPv6 /48 (a site, 65,536 /64s each with the bucket above):
HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK = os.environ.get(
    "HELPLINE_API_FAILED_AUTH_RATE_PER_NETWORK", "300/10m"
)
# Every authenticated request per address:
HELPLINE_API_RATE_PER_ADDRESS = os.environ.get("HELPLINE_API_RATE_PER_ADDRESS", "600/m")
# Every request made with one key or token:
HELPLINE_API_RATE_PER_KEY = os.environ.get("HELPLINE_API_RATE_PER_KEY", "300/m")
# Tickets opened through the API (REST and osTicket), per key and per address:
HELPLINE_API_CREATE_RATE = os.environ.get("HELPLINE_API_CREATE_RATE", "60/m")

# --- Error reports (helpline.ops.errors) ------------------------------------------
# Server errors mailed to HELPLINE_ADMINS ("Name <a@b>, c@d"), from SERVER_EMAIL;
# and sent to Sentry (or a compatible service) when SENTRY_DSN is set.
ADMINS = admins(os.environ.get("HELPLINE_ADMINS", ""))
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
SENTRY_ENABLED = init_sentry(os.environ)

# --- Logging (helpline.ops.logs) ----------------------------------------------------
# Every line with its time, level and logger; LOG_FORMAT=json for one JSON object
# per line. On stderr, for the process supervisor (systemd, Docker) to collect.
LOGGING_CONFIG = "helpline.ops.logs.configure"  # dictConfig, and warnings as log lines
LOG_FORMAT = "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "text"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "helpline.ops.logs.TextFormatter"},
        "json": {"()": "helpline.ops.logs.JsonFormatter"},
    },
    "filters": {
        "quiet_host": {"()": "helpline.lib.logfilters.QuietDisallowedHost"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        # Server errors (500s) mailed to ADMINS, as Django does by default.
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default gives these loggers handlers of their own with other
        # formats (plain messages under DEBUG, runserver's lines): here they all
        # reach the one console handler above, in its format.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # A bad Host header: one WARNING line, no traceback (scanners send many).
        "django.security.DisallowedHost": {"filters": ["quiet_host"]},
    },
}
