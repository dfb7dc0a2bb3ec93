"""Settings for every environment, read from environment variables (see README's table).

With no DATABASE_URL / REDIS_URL the embedded PostgreSQL and Redis are started (development);
with them set, those servers are used (production, docker-compose, CI with services).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from leadvibe import embedded
from leadvibe.metrics_dir import configure_metrics_dir
from leadvibe.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

embedded.activate()

configure_metrics_dir()

# --- Core ---------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not embedded.is_active():
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set")
    SECRET_KEY = "insecure-development-key-for-the-embedded-stack-only"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
ROOT_URLCONF = "leadvibe.urls"
WSGI_APPLICATION = "leadvibe.wsgi.application"
ASGI_APPLICATION = "leadvibe.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgunits.Member"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "leadvibe",
    "orgunits",
    "scoring",
    "segments",
    "triggers",
    "demo",
]

MIDDLEWARE = [
    "leadvibe.middleware.RequestContextMiddleware",
    "leadvibe.audit.AuditLogMiddleware",
    "leadvibe.middleware.JsonErrorMiddleware",
    "leadvibe.middleware.SecurityHeadersMiddleware",
    "leadvibe.middleware.HttpMetricsMiddleware",
    "leadvibe.middleware.PathAndQueryValidationMiddleware",
    "leadvibe.middleware.ApiRateLimitMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "leadvibe.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

STATIC_URL = "static/"
# The API docs page's static content; served from the installed packages.
WHITENOISE_USE_FINDERS = True
# The admin app's committed build (frontend/, `npm run build`), served at /app/. Its assets
# carry content hashes in their names, so browsers may keep them for good.
# LEADVIBE_WEBROOT serves another build instead (a page under development, `vite build
# --outDir <dir>/app`), so the committed one is rebuilt only once, with every change.
WHITENOISE_ROOT = Path(os.environ.get("LEADVIBE_WEBROOT") or BASE_DIR / "leadvibe" / "webroot")
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/app/assets/"
ADMIN_APP_INDEX = WHITENOISE_ROOT / "app" / "index.html"

# --- Data stores --------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"],
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)

REDIS_URL = os.environ["REDIS_URL"]
# The application's Redis calls (rate limiter, credential revocations, doorbell, live events,
# audit push) give up after REDIS_TIMEOUT_MS, then skip Redis for the circuit breaker's
# cool-down (leadvibe/redis_client.py). Connections off the request path wait longer.
REDIS_SOCKET_TIMEOUT = env_int("REDIS_TIMEOUT_MS", 50) / 1000
REDIS_BREAKER_COOLDOWN_SECONDS = env_int("REDIS_BREAKER_COOLDOWN_MS", 1000) / 1000
REDIS_BACKGROUND_SOCKET_TIMEOUT = 2
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "lv",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_BACKGROUND_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_BACKGROUND_SOCKET_TIMEOUT,
        },
    }
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": REDIS_BACKGROUND_SOCKET_TIMEOUT}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Notifications have a queue of their own, so a worker started with `-Q deliveries` sends them
# while the others score (a scoring task can run for seconds under load). Workers started
# without -Q take both.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("deliveries"))
# Each task declares its queue (leadvibe.task_decorator.instrumented_task).
CELERY_TASK_ROUTES = ("leadvibe.task_decorator.task_queue_route",)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict = {
    # Audit log: Redis list -> PostgreSQL. A run not started within 10 s is dropped (the next
    # one drains the same list), so a stopped worker does not pile runs up in the broker.
    "audit-log-flush": {
        "task": "leadvibe.tasks.audit_log_flush_task",
        "schedule": 2.0,
        "options": {"expires": 10},
    },
    "audit-log-prune": {
        "task": "leadvibe.tasks.audit_log_prune_task",
        "schedule": timedelta(days=1),
        "options": {"expires": 3600},
    },
    # Decay (architecture.md §4.6): steps that fell due since the last run, recorded at their
    # own times, so the period only bounds how late a decay becomes visible.
    "scoring-decay-sweep": {
        "task": "scoring.tasks.decay_sweep_task",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    "scoring-expire-idempotency-keys": {
        "task": "scoring.tasks.expire_idempotency_keys_task",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Durable jobs (leadvibe.jobs) whose task was lost (Redis down) or whose worker died.
    "jobs-sweep": {
        "task": "leadvibe.tasks.jobs_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
}
# Every worker sweeps PostgreSQL for work whose Redis doorbell was lost this often (seconds);
# it needs no Redis, so events ingested while Redis is down are scored within this period.
WORKER_SWEEP_SECONDS = env_int("WORKER_SWEEP_SECONDS", 10)
# A durable job's worker holds it this long past its last heartbeat (leadvibe.jobs): a dead
# worker's job is taken over once it ran out.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 300)
# Connections the decay sweep spreads its chunks of leads over (PostgreSQL runs them in
# parallel).
DECAY_SWEEP_CONNECTIONS = env_int("DECAY_SWEEP_CONNECTIONS", 2)
# Days audit-log entries are kept; 0 keeps them forever.
AUDIT_LOG_RETENTION_DAYS = env_int("AUDIT_LOG_RETENTION_DAYS", 90)

# --- API ----------------------------------------------------------------------------------
API_PREFIX = "api/v1/"
# Request bodies larger than this are answered 413 before they are read.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 10 * 1024 * 1024)
# Largest CSV file POST /events/import accepts.
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 50 * 1024 * 1024)
# Uploaded CSV files wait here for a worker: in production, a folder web and worker share.
IMPORT_STORAGE_DIR = Path(env_str("IMPORT_STORAGE_DIR") or embedded.default_data_dir() / "imports")
# Larger limits for routes that take uploads: {path: bytes}.
REQUEST_BODY_LIMITS_BY_PATH: dict[str, int] = {
    # The file plus room for the multipart envelope around it.
    f"/{API_PREFIX}events/import": IMPORT_MAX_FILE_BYTES + 64 * 1024,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
APPEND_SLASH = False

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["leadvibe.api.renderers.JSONRenderer"],
    # JSON only: the one upload (the CSV import) names its own multipart parser.
    "DEFAULT_PARSER_CLASSES": ["leadvibe.api.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    # Fail closed: a view that names no permission refuses everyone (authentication comes
    # from orgunits.api.base.ApiView); the public views say `AllowAny` themselves.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "leadvibe.api.errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "leadvibe.api.negotiation.FallbackContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "leadvibe.api.schema.ErrorDocumentingAutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_LIFETIME_SECONDS", 900)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_REFRESH_LIFETIME_SECONDS", 86400)),
    "ROTATE_REFRESH_TOKENS": True,
    # A refresh token works once: replaying a used one is refused.
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "member_id",
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    # The schema and docs pages are public.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "TITLE": "Leadvibe API",
    "DESCRIPTION": (
        "Lead-engagement scoring engine: event ingestion, scoring, segments, triggers and "
        "organization-unit workflows. Every OU-scoped route answers for the caller's active "
        'OU only. Errors are JSON: {"status", "error", "details"?}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # GET /stream is a plain async Django view, which drf-spectacular does not see.
        "orgunits.api.stream_views.stream_schema_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OURoleEnum": ["Owner", "Operator", "Viewer"],
        "OrgRoleEnum": ["admin", "member"],
        "SurgeModeEnum": "scoring.models.SurgePolicy.Mode",
        "ConditionOperatorEnum": "scoring.engine.conditions.OPERATORS",
        "SlackTargetKindEnum": "triggers.models.Trigger.SlackTargetKind",
        "SegmentRuleOperatorEnum": "segments.rules.OPERATORS",
    },
}

# --- Live stream (GET /api/v1/stream) ------------------------------------------------------
# A comment goes to each open stream after this many seconds without events, so that proxies
# and load balancers do not close it as idle.
LIVE_STREAM_HEARTBEAT_SECONDS = float(env_str("LIVE_STREAM_HEARTBEAT_SECONDS", "15"))

# --- Security -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
# Sent on HTTPS requests only (X-Forwarded-Proto: https from the proxy, see above).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
X_FRAME_OPTIONS = "DENY"
# On HTML pages (the docs page, the admin app). Scripts only from our origin, none inline.
# Styles need 'unsafe-inline': Swagger UI and Mantine (the admin app's components) set
# `style` attributes, and Mantine injects its CSS variables as a <style> element; styles
# cannot run code, and scripts stay locked down.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Responses under these paths carry tokens or secrets: `Cache-Control: no-store`.
NO_STORE_PATH_PREFIXES = (
    f"/{API_PREFIX}auth/",
    f"/{API_PREFIX}secrets",
    f"/{API_PREFIX}settings/webhook-secret",
)

# --- Observability ------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "leadvibe.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "leadvibe.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # 4xx lines are in our access log; 5xx keep their traceback here.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # a line per webhook request; deliveries are rows
    },
}

PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Rate limiting (defaults; each organization may override) -----------------------------
RATE_LIMIT_MODE = env_str("RATE_LIMIT_MODE", "enforce")
RATE_LIMIT_KEY_BY = env_str("RATE_LIMIT_KEY_BY", "org")
RATE_LIMIT_RPS = float(env_str("RATE_LIMIT_RPS", "200"))
RATE_LIMIT_BURST = env_int("RATE_LIMIT_BURST", 400)
ACTIVE_OU_COOKIE_MAX_AGE = 30 * 24 * 3600
# How long a web process trusts a verified API credential without asking the database; also
# the longest a revoked credential keeps working in processes other than the revoking one.
CREDENTIAL_CACHE_SECONDS = env_int("CREDENTIAL_CACHE_SECONDS", 5)

# --- Triggers and delivery (architecture.md §5) -------------------------------------------
# Keys that encrypt secrets at rest (Slack, webhook signing); the first encrypts, all decrypt.
# Empty: derived from SECRET_KEY.
SECRETS_ENCRYPTION_KEYS = env_list("SECRETS_ENCRYPTION_KEYS", [])
# Webhook, Teams and Slack URLs must resolve to public addresses unless listed here
# (`loopback`, `private`: for development and tests only).
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 15)
SLACK_API_BASE_URL = env_str("SLACK_API_BASE_URL", "https://slack.com/api/")
SLACK_OAUTH_AUTHORIZE_URL = env_str(
    "SLACK_OAUTH_AUTHORIZE_URL", "https://slack.com/oauth/v2/authorize"
)
SLACK_OAUTH_STATE_SECONDS = env_int("SLACK_OAUTH_STATE_SECONDS", 600)
# Where the Slack OAuth callback sends the browser back to (the SPA's integrations page).
SPA_INTEGRATIONS_URL = env_str("SPA_INTEGRATIONS_URL", "/home")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Leadvibe <notifications@localhost>")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "") or None  # the file backend's folder
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
