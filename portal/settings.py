"""Settings for the MLE course portal: one file, every value from the environment.

Defaults make a laptop work with nothing configured (SQLite, an embedded Celery
transport, DEBUG off). Production sets the variables listed in the README.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.core.env import envbool, envfloat, envint, envlist, envsecret, envstr
from portal.core.storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

# Used by the `check --deploy` guard in portal/checks.py: production must set its own.
INSECURE_DEFAULT_SECRET_KEY = "insecure-dev-key-set-SECRET_KEY-in-production"  # noqa: S105

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our origin (/api/docs/)
    "portal.core",
    "portal.accounts",
    # One app per capability, each depending only on those above it in this list
    # (docs/architecture.md; tests/test_app_graph.py fails on an import against it).
    "portal.courses",
    "portal.attendance",
    "portal.surveys",
    "portal.assessments",
    "portal.submissions",
    "portal.grading",
    "portal.review",
    "portal.gradebook",
    "portal.ranking",
    "portal.reports",
    "portal.certificates",
    "portal.classroom",
    "portal.notifications",
    "portal.api",
]

MIDDLEWARE = [
    # First: the request's arrival time is what deadlines and rate limits measure.
    "portal.core.middleware.RequestArrivalMiddleware",
    # The request id and user id of every log line the request writes (LOG_FORMAT=json).
    "portal.core.middleware.RequestContextMiddleware",
    # Latency by view and status to Datadog (a no-op without DD_AGENT_HOST/DOGSTATSD_URL).
    "portal.core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.core.middleware.PortugueseFirstLocaleMiddleware",
    # Before anything reads the body (CSRF reads the form): a 413 page in the chosen language.
    "portal.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.core.context_processors.portal",
                "portal.notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# URLs that carry passwords may come from files too (DATABASE_URL_FILE, REDIS_URL_FILE).
_DATABASE_URL = envsecret("DATABASE_URL")
if not _DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the laptop default: SQLite under var/
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The laptop's web threads and worker write to one file. WAL lets readers and the writer
    # overlap; BEGIN IMMEDIATE takes the write lock when a transaction starts, so a second
    # writer waits up to the timeout instead of failing an upgrade with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_TIMEOUT_SECONDS", 20),
        **DATABASES["default"].get("OPTIONS", {}),
    }

# --- Cache: counters every web process shares (portal/submissions/throttle.py) ------------
# Redis when there is one (REDIS_URL, also the Celery broker); else each process's memory,
# which is enough for `make run` (one process).
_CACHE_URL = envsecret("CACHE_URL", envsecret("REDIS_URL"))
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sign-in -----------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "classroom:dashboard"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Microsoft Entra ID (or any OpenID provider through ENTRA_OIDC_AUTHORITY).
ENTRA_CLIENT_ID = envstr("ENTRA_CLIENT_ID")
ENTRA_CLIENT_SECRET = envsecret("ENTRA_CLIENT_SECRET")
# "organizations" accepts any work account; restrict with ENTRA_ALLOWED_TENANTS.
ENTRA_AUTHORITY = envstr("ENTRA_AUTHORITY", "https://login.microsoftonline.com/organizations")
# A non-Microsoft OpenID provider (its issuer URL); when set it replaces ENTRA_AUTHORITY.
ENTRA_OIDC_AUTHORITY = envstr("ENTRA_OIDC_AUTHORITY")
ENTRA_ALLOWED_TENANTS = envlist("ENTRA_ALLOWED_TENANTS")
# App-role claim values that make a portal admin. Everyone else's rights come from their
# course enrolments (student or instructor), never from the token.
ENTRA_ADMIN_ROLES = envlist("ENTRA_ADMIN_ROLES", "Portal.Admin")
ENTRA_REDIRECT_URI = envstr("ENTRA_REDIRECT_URI")  # default: SITE_URL + callback path
ENTRA_SCOPES = envlist("ENTRA_SCOPES", "User.Read")
# A CA bundle for the provider's TLS (tests use a self-signed provider); default: system CAs.
ENTRA_CA_BUNDLE = envstr("ENTRA_CA_BUNDLE")
ENTRA_HTTP_TIMEOUT = envint("ENTRA_HTTP_TIMEOUT", 10)

DEV_SIGNIN_ENABLED = envbool("DEV_SIGNIN_ENABLED", False)
if DEV_SIGNIN_ENABLED and not DEBUG:
    raise ImproperlyConfigured(
        "DEV_SIGNIN_ENABLED=true is refused when DEBUG is off: the demo sign-in lets anyone "
        "act as any user. Use Microsoft sign-in in production."
    )

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # the provider's redirect back is a top-level GET
CSRF_COOKIE_HTTPONLY = True
SECURE_COOKIES = envbool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Português (Brasil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploads and course files: the local disk (one machine) or an S3 bucket that the web and
# the workers of every host share (docs/architecture.md, "Several hosts"). Nothing reads a
# file's path: files are opened through the storage API, and users get them only through
# the portal's views, which check who may read what.
MEDIA_STORAGE = envstr("MEDIA_STORAGE", "filesystem").strip().lower()
STORAGES = {
    "default": media_storage(MEDIA_STORAGE),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and `runserver` without collectstatic still find files via the finders.
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", DEBUG)
WHITENOISE_AUTOREFRESH = DEBUG

# --- Request bodies and attempts (docs/intake.md) ----------------------------------------
# The largest request body, refused by Content-Length before it is read (413): the notebook
# cap plus room for the form around it. Raise it with any assignment's max_upload_bytes, and
# keep the proxy's limit (nginx client_max_body_size) at least this.
MAX_REQUEST_BYTES = envint(
    "MAX_REQUEST_BYTES", envint("AUTOGRADER_MAX_UPLOAD_BYTES", 5 * 1024 * 1024) + 512 * 1024
)
# Form fields (not files) kept in memory; a file above FILE_UPLOAD_MAX_MEMORY_SIZE is spooled
# to a temporary file while it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = envint("DATA_UPLOAD_MAX_NUMBER_FILES", 10)
# What a notebook may hold besides its size (nbgrader loads it whole): cells, the bytes of
# its cell outputs, the nesting of its JSON.
AUTOGRADER_MAX_NOTEBOOK_CELLS = envint("AUTOGRADER_MAX_NOTEBOOK_CELLS", 2000)
AUTOGRADER_MAX_OUTPUT_BYTES = envint("AUTOGRADER_MAX_OUTPUT_BYTES", 3 * 1024 * 1024)
AUTOGRADER_MAX_JSON_DEPTH = envint("AUTOGRADER_MAX_JSON_DEPTH", 64)
# Per student and assignment: attempts not yet graded at once (0: no cap); a new one is refused.
SUBMISSIONS_MAX_PENDING = envint("SUBMISSIONS_MAX_PENDING", 1)
# Per student: after this many refused attempts in the window, wait (0: no throttle).
SUBMISSIONS_REJECTED_MAX = envint("SUBMISSIONS_REJECTED_MAX", 10)
SUBMISSIONS_REJECTED_WINDOW_SECONDS = envint("SUBMISSIONS_REJECTED_WINDOW_SECONDS", 600)

# --- Course content -----------------------------------------------------------
COURSE_CONTENT_DIR = Path(envstr("COURSE_CONTENT_DIR", str(BASE_DIR / "course_content")))
ROSTER_MAX_BYTES = envint("ROSTER_MAX_BYTES", 1024 * 1024)

# --- Autograder (defaults; an assignment may override each limit) ----------------------
AUTOGRADER_IMAGE = envstr("AUTOGRADER_IMAGE", "mle-grader:latest")
# Each grading host's verified copies of the course's grading files, by sha256
# (portal/grading/inputs.py): downloaded from the media storage once per host.
GRADING_INPUTS_CACHE_DIR = Path(envstr("GRADING_INPUTS_CACHE_DIR", str(VAR_DIR / "grading-inputs")))
AUTOGRADER_MEMORY_MB = envint("AUTOGRADER_MEMORY_MB", 1024)
AUTOGRADER_CPUS = envfloat("AUTOGRADER_CPUS", 1.0)
AUTOGRADER_CELL_TIMEOUT_SECONDS = envint("AUTOGRADER_CELL_TIMEOUT_SECONDS", 60)
AUTOGRADER_WALL_TIMEOUT_SECONDS = envint("AUTOGRADER_WALL_TIMEOUT_SECONDS", 600)
AUTOGRADER_MAX_UPLOAD_BYTES = envint("AUTOGRADER_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
AUTOGRADER_MAX_TRIES = envint("AUTOGRADER_MAX_TRIES", 5)
# Final projects: repository URLs must start with one of these (read by the CLI as well).
AUTOGRADER_GIT_ALLOWED_URLS = envlist("AUTOGRADER_GIT_ALLOWED_URLS", "https://github.com/")
AUTOGRADER_MAX_REPO_MB = envint("AUTOGRADER_MAX_REPO_MB", 100)
# Final projects' dependencies (autograder/dependencies): wheels only, from this index only,
# downloaded by the worker and installed in the grading container; empty turns it off.
AUTOGRADER_PACKAGE_INDEX_URL = envstr("AUTOGRADER_PACKAGE_INDEX_URL", "https://pypi.org/simple")
AUTOGRADER_INSTALL_SECONDS = envint("AUTOGRADER_INSTALL_SECONDS", 300)
AUTOGRADER_INSTALL_MAX_MB = envint("AUTOGRADER_INSTALL_MAX_MB", 1500)
AUTOGRADER_SWEEP_AFTER_SECONDS = envint("AUTOGRADER_SWEEP_AFTER_SECONDS", 300)
# The sweeper (grading/tasks.py) runs this often on its own queue (CELERY_TASK_ROUTES).
AUTOGRADER_SWEEP_INTERVAL_SECONDS = envint("AUTOGRADER_SWEEP_INTERVAL_SECONDS", 30)
# Every worker sweeps its own host's Docker for stale sandboxes (portal/grading/host_sweep.py)
# at start and this often; false on a host without Docker (a maintenance worker on Fargate).
AUTOGRADER_SWEEP_CONTAINERS = envbool("AUTOGRADER_SWEEP_CONTAINERS", True)
AUTOGRADER_HOST_SWEEP_INTERVAL_SECONDS = envint("AUTOGRADER_HOST_SWEEP_INTERVAL_SECONDS", 300)
# Warm sandboxes (autograder/pool.py, portal/grading/sandbox_pool.py): each grading worker
# process keeps this many notebook containers started ahead, each used for one grading
# (0: every grading starts its own); one that waits longer than IDLE ends and is replaced.
AUTOGRADER_POOL_SIZE = envint("AUTOGRADER_POOL_SIZE", 1)
AUTOGRADER_POOL_IDLE_SECONDS = envint("AUTOGRADER_POOL_IDLE_SECONDS", 600)
# A worker renews the lease of the run it grades every HEARTBEAT seconds; a RUNNING run whose
# lease ran out has lost its worker and the sweeper sends it again (docs/architecture.md).
AUTOGRADER_HEARTBEAT_SECONDS = envint("AUTOGRADER_HEARTBEAT_SECONDS", 15)
AUTOGRADER_LEASE_SECONDS = envint("AUTOGRADER_LEASE_SECONDS", 45)
if AUTOGRADER_LEASE_SECONDS <= 2 * AUTOGRADER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "AUTOGRADER_LEASE_SECONDS must exceed two heartbeats (AUTOGRADER_HEARTBEAT_SECONDS)"
    )
# Storing a grade in hand survives a lost database connection: this many more tries, with
# back-off from STORE_BACKOFF seconds (1, 2, 4...).
AUTOGRADER_STORE_RETRIES = envint("AUTOGRADER_STORE_RETRIES", 5)
AUTOGRADER_STORE_BACKOFF_SECONDS = envfloat("AUTOGRADER_STORE_BACKOFF_SECONDS", 1.0)
# Infrastructure faults are retried after base * 2**(try-1) seconds, capped.
AUTOGRADER_RETRY_BACKOFF_SECONDS = envint("AUTOGRADER_RETRY_BACKOFF_SECONDS", 30)
AUTOGRADER_RETRY_BACKOFF_MAX_SECONDS = envint("AUTOGRADER_RETRY_BACKOFF_MAX_SECONDS", 600)

# --- MLflow: every finished grading run is logged (portal/grading/tracking.py) --------------
# A local SQLite store by default; an MLflow server (http://...) in production.
MLFLOW_TRACKING_URI = envstr("MLFLOW_TRACKING_URI", f"sqlite:///{VAR_DIR / 'mlflow.db'}")
MLFLOW_LOGGING_ENABLED = envbool("MLFLOW_LOGGING_ENABLED", True)
# The MLflow UI's base URL, for the link on the attempt page (empty: show the run id).
MLFLOW_UI_URL = envstr("MLFLOW_UI_URL").rstrip("/")

# --- Celery -------------------------------------------------------------------------
# With REDIS_URL unset the broker is kombu's filesystem transport, which needs no
# server and still works across processes (web + worker on one machine).
REDIS_URL = envsecret("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # else kombu writes ./control
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Worker memory stays bounded (deploy/README.md, "Worker memory"): a worker's child process
# is replaced after this many tasks, or after a task that left it above this resident size
# (KiB). Its warm sandboxes go with it (worker_process_shutdown) and the new child refills.
CELERY_WORKER_MAX_TASKS_PER_CHILD = envint("CELERY_WORKER_MAX_TASKS_PER_CHILD", 500)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 600_000)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 16 * 60)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Two queues: "grading" (the default: gradings) and "maintenance" (the sweeper, MLflow
# logging, notifications, report archives). A worker of its own consumes "maintenance"
# (`-Q maintenance`; runportal starts one), so a backlog of gradings never delays the
# sweeper that rescues them. A worker given no -Q consumes both.
GRADING_QUEUE = "grading"
MAINTENANCE_QUEUE = "maintenance"
CELERY_TASK_DEFAULT_QUEUE = GRADING_QUEUE
CELERY_TASK_QUEUES = {GRADING_QUEUE: {}, MAINTENANCE_QUEUE: {}}
CELERY_TASK_ROUTES = {
    "portal.grading.tasks.sweep_stuck_runs": {"queue": MAINTENANCE_QUEUE},
    # Logging a finished run to MLflow must not take a grading worker's turn in a burst.
    "portal.grading.tasks.log_grading_run_to_mlflow": {"queue": MAINTENANCE_QUEUE},
    # An e-mail must not wait behind a backlog of gradings.
    "portal.notifications.tasks.*": {"queue": MAINTENANCE_QUEUE},
    # The reports archive (a PDF per student) must not wait behind gradings, nor delay them.
    "portal.reports.tasks.*": {"queue": MAINTENANCE_QUEUE},
}

# --- Notifications and e-mail (portal/notifications/) --------------------------------
# Django's e-mail backend from the environment: the console on a laptop (e-mails are printed
# by the worker), SMTP in production (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD or EMAIL_HOST_PASSWORD_FILE, EMAIL_USE_TLS / EMAIL_USE_SSL).
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Portal MLE <nao-responda@localhost>")
EMAIL_SUBJECT_PREFIX = envstr("EMAIL_SUBJECT_PREFIX", "[Portal MLE] ")
# Where django.core.mail.backends.filebased.EmailBackend writes (one file per e-mail).
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(VAR_DIR / "outbox"))
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
# A delivery is tried this many times (30 s, 2 min, 8 min, ... apart) before it is failed.
NOTIFICATIONS_MAX_ATTEMPTS = envint("NOTIFICATIONS_MAX_ATTEMPTS", 5)
# How often beat looks for weeks published, releases reached and deadlines within 24 h.
NOTIFICATIONS_SCAN_INTERVAL_SECONDS = envint("NOTIFICATIONS_SCAN_INTERVAL_SECONDS", 300)
# A course's Teams channel (Workflows webhook, portal/notifications/teams.py): the hosts a
# webhook URL may point at (https only), the seconds to wait for an answer, and a CA bundle
# for a proxy or the tests' local receiver (empty: the system's).
TEAMS_WEBHOOK_HOSTS = envlist("TEAMS_WEBHOOK_HOSTS", "logic.azure.com,api.powerplatform.com")
TEAMS_TIMEOUT_SECONDS = envint("TEAMS_TIMEOUT_SECONDS", 15)
TEAMS_CA_BUNDLE = envstr("TEAMS_CA_BUNDLE")

# --- REST API: /api/v1/ (portal/api, each app's apis.py; docs/api.md) -----------------
# Requests per personal token (or per person on the session) in the Django cache.
API_THROTTLE_RATE = envstr("API_THROTTLE_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.core.api.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.core.api.PerCredentialThrottle"],
    "DEFAULT_PAGINATION_CLASS": "portal.core.api.Cursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "portal.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MLE course portal API",
    "DESCRIPTION": (
        "The portal's pages as a REST API: courses, weeks, assignments and their rubric, "
        "attempts and their grades; for instructors, review, release, re-runs and the "
        "spreadsheet; for admins, the reports archive. Errors always read "
        '{"error": {"id", "message", "fields"?}} with the pages\' message ids.'
    ),
    "VERSION": "1",
    # 3.1: a field that may be null is `oneOf: [{$ref}, {type: null}]`, which validators read
    # unambiguously (3.0's `nullable` beside an `allOf` is not).
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Several models have a "status" or a "kind": each choice set gets its own stable name.
    "ENUM_NAME_OVERRIDES": {
        "AttemptStatusEnum": "portal.submissions.models.Submission.Status",
        "RunStatusEnum": "portal.grading.models.GradingRun.Status",
        "ArchiveStatusEnum": "portal.reports.models.ReportArchive.Status",
        "AssignmentKindEnum": "portal.assessments.models.Assignment.Kind",
        "MaterialKindEnum": "portal.courses.models.Material.Kind",
    },
}

# --- Metrics: Datadog DogStatsD (portal/core/metrics.py); off unless an agent is named -------
DD_AGENT_HOST = envstr("DD_AGENT_HOST")
DD_DOGSTATSD_PORT = envint("DD_DOGSTATSD_PORT", 8125)
DOGSTATSD_URL = envstr("DOGSTATSD_URL")  # udp://host:port, instead of the two above
# Unified service tags, sent with every metric.
DD_ENV = envstr("DD_ENV")
DD_SERVICE = envstr("DD_SERVICE", "mle-portal")
DD_VERSION = envstr("DD_VERSION")

# --- Logging: one line per event on stderr, level from LOG_LEVEL ----------------------
# LOG_FORMAT=text (the laptop) or json: one object per line with the request, user, task and
# run ids (portal/core/logs.py). A Celery worker keeps its own text format unless json is
# chosen; then its handlers get the same formatter (portal/celery.py).
LOG_FORMAT = envstr("LOG_FORMAT", "text").strip().lower() or "text"
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.core.logs.JsonFormatter"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["stderr"], "level": envstr("LOG_LEVEL", "INFO")},
}
