"""Django settings.

The database comes from ``GETPOWER_DATABASE_URL`` (``sqlite:////abs/file`` or
``postgresql://user@host:port/db``); without it, an SQLite file under ``var/``.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
# An editable install keeps the package in <project>/src/getpower; var/ lives in the project root.
PROJECT_DIR = Path(os.environ.get("GETPOWER_HOME", PACKAGE_DIR.parent.parent))
VAR_DIR = PROJECT_DIR / "var"

# The development key: `getpower serve` refuses to start with it (only `getpower demo` may use it).
DEV_SECRET_KEY = "getpower-dev-key-change-me-in-production"
SECRET_KEY = os.environ.get("GETPOWER_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = os.environ.get("GETPOWER_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("GETPOWER_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",  # login throttling (docs/security.md); before getpower.core, whose admin extends axes' admin
    "ninja",  # serves Swagger UI for /api/docs from its own static files (no CDN)
    "django_q",  # the job queue (django-q2, ORM broker: docs/decisions.md)
    "getpower.core",
    "getpower.jobs",
    "getpower.workdays",
    "getpower.rulebook",
    "getpower.ledgers",
    "getpower.grid",
    "getpower.outages",
    "getpower.connections",
    "getpower.arrears",
    "getpower.filings",
    "getpower.cockpit",
    "getpower.disclosure",
    "getpower.web",
]

MIDDLEWARE = [
    "getpower.web.security.ContentSecurityPolicyMiddleware",  # outermost: every response, even early ones
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into the Chinese lock-out page
]

ROOT_URLCONF = "getpower.urls"
WSGI_APPLICATION = "getpower.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "getpower.web.context.navigation",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].update({"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"})
    return config


DATABASE_URL = os.environ.get("GETPOWER_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'getpower.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches (docs/decisions.md). "default" lives in each server process (the cockpit's rendered boards: a
# miss only costs a render). "throttle" lives in the database: shared by every server process and kept
# across restarts, so that a limit counted by one process holds in the others (the public progress
# lookup's per-address counters). Its table is made by `getpower migrate` (createcachetable after migrate).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "getpower_throttle_cache",
                 "OPTIONS": {"MAX_ENTRIES": 100_000}},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "getpower.core.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks for a lock-out before any password is compared (login page, Django admin).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Throttled logins (docs/security.md): an account is locked after GETPOWER_LOGIN_FAILURE_LIMIT failures,
# an address after GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT failures (of any account, or of API tokens), for
# GETPOWER_LOGIN_COOLOFF_MINUTES after the last counted failure; an administrator can lift it sooner.
GETPOWER_LOGIN_FAILURE_LIMIT = int(os.environ.get("GETPOWER_LOGIN_FAILURE_LIMIT", 5))
GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("GETPOWER_LOGIN_ADDRESS_FAILURE_LIMIT", 20))
GETPOWER_LOGIN_COOLOFF_MINUTES = int(os.environ.get("GETPOWER_LOGIN_COOLOFF_MINUTES", 15))
AXES_FAILURE_LIMIT = GETPOWER_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=GETPOWER_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "getpower.core.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "getpower.core.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "getpower.core.lockout.client_ip"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock lasts the cool-off, attempts do not extend it
AXES_VERBOSE = False

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True


def https_settings(environ) -> dict:
    """Cookie, HSTS and proxy settings: ``GETPOWER_HTTPS=1`` when users reach the platform over HTTPS
    (through a reverse proxy that terminates TLS and sets ``X-Forwarded-Proto`` and ``X-Forwarded-For``).
    ``GETPOWER_SSL_REDIRECT=1`` also redirects plain HTTP; ``GETPOWER_TRUSTED_PROXIES`` is the number of
    proxies in front (1 by default with HTTPS, else 0), used to find the client's address for throttling."""
    https = environ.get("GETPOWER_HTTPS", "0") == "1"
    proxies = int(environ.get("GETPOWER_TRUSTED_PROXIES", "1" if https else "0"))
    return {
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600 if https else 0,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if https else None,
        "SECURE_SSL_REDIRECT": https and environ.get("GETPOWER_SSL_REDIRECT", "0") == "1",
        "GETPOWER_TRUSTED_PROXIES": proxies,
    }


globals().update(https_settings(os.environ))
SESSION_COOKIE_HTTPONLY = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Uploads: ledger files may be large; the importer enforces its own limit with a clear message.
GETPOWER_IMPORT_MAX_BYTES = int(os.environ.get("GETPOWER_IMPORT_MAX_BYTES", 200 * 1024 * 1024))
# An .xlsx is a zip: the limit above counts its compressed bytes. Before a workbook is parsed, its unpacked
# size, each part's compression ratio and the read sheet's rows, columns and cells (rows × columns of the
# range) are checked too (ledgers/reader.py; the defaults and their measurements: docs/security.md).
GETPOWER_IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("GETPOWER_IMPORT_MAX_UNPACKED_BYTES", 512 * 1024 * 1024))
GETPOWER_IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("GETPOWER_IMPORT_MAX_COMPRESSION_RATIO", 100))
GETPOWER_IMPORT_MAX_ROWS = int(os.environ.get("GETPOWER_IMPORT_MAX_ROWS", 1_048_576))
GETPOWER_IMPORT_MAX_COLUMNS = int(os.environ.get("GETPOWER_IMPORT_MAX_COLUMNS", 200))
GETPOWER_IMPORT_MAX_CELLS = int(os.environ.get("GETPOWER_IMPORT_MAX_CELLS", 10_000_000))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The filing centre opens monthly filing periods from this month on (the platform's go-live).
GETPOWER_FILINGS_FIRST_MONTH = os.environ.get("GETPOWER_FILINGS_FIRST_MONTH", "2026-10")

# Background jobs (getpower.jobs, docs/architecture.md "Jobs"): django-q2 with its ORM broker, so the queue
# lives in the platform's own database (SQLite or PostgreSQL) and needs no other server. `getpower worker` runs
# the cluster; `getpower serve` and `getpower demo` start one unless --no-worker.
# GETPOWER_JOBS_SYNC=1 runs every job inline in the process that asks for it (tests, scripts).
GETPOWER_JOBS_SYNC = os.environ.get("GETPOWER_JOBS_SYNC", "0") == "1"
# Findings follow the data: a committed import queues one evaluation per rule that reads the ledger; it
# waits this long so that the imports of the next seconds join it (coalescing, docs/decisions.md).
GETPOWER_EVALUATE_DELAY_SECONDS = float(os.environ.get("GETPOWER_EVALUATE_DELAY_SECONDS", 5))
# Off: imports queue no re-evaluation (the test suite's fixtures evaluate at fixed days; its own tests turn it on).
GETPOWER_REEVALUATE_ON_IMPORT = os.environ.get("GETPOWER_REEVALUATE_ON_IMPORT", "1") == "1"
# The daily evaluation of every rule as of that day, and the filings tick (China time).
GETPOWER_DAILY_AT = os.environ.get("GETPOWER_DAILY_AT", "00:30")
# A running job's worker writes a heartbeat this often; a job whose worker is gone (same host, no such
# process) or whose heartbeat is older than GETPOWER_JOB_STALE_SECONDS is retried (up to
# GETPOWER_JOB_MAX_ATTEMPTS attempts in all) or failed with the reason. The stale limit must exceed the
# longest write transaction on SQLite (the heartbeat waits for it).
GETPOWER_JOB_HEARTBEAT_SECONDS = float(os.environ.get("GETPOWER_JOB_HEARTBEAT_SECONDS", 5))
GETPOWER_JOB_STALE_SECONDS = float(os.environ.get("GETPOWER_JOB_STALE_SECONDS", 180))
GETPOWER_JOB_MAX_ATTEMPTS = int(os.environ.get("GETPOWER_JOB_MAX_ATTEMPTS", 3))
GETPOWER_JOB_TIMEOUT_SECONDS = int(os.environ.get("GETPOWER_JOB_TIMEOUT_SECONDS", 3 * 3600))
# One worker process on SQLite (one writer at a time anyway), two on PostgreSQL.
GETPOWER_WORKERS = int(os.environ.get("GETPOWER_WORKERS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 2))
Q_CLUSTER = {
    "name": "getpower",
    "orm": "default",
    "workers": GETPOWER_WORKERS,
    "timeout": GETPOWER_JOB_TIMEOUT_SECONDS,
    "retry": GETPOWER_JOB_TIMEOUT_SECONDS + 600,  # a task not acknowledged by then is handed out again
    "ack_failures": True,  # a job records its own failure (getpower.jobs): never re-run by the broker
    "max_attempts": GETPOWER_JOB_MAX_ATTEMPTS,
    "save_limit": -1,  # the Job row is the record; django-q2 keeps only its failures
    "catch_up": False,  # a schedule missed while no worker ran runs once, not once per missed day
    "poll": 0.5,
    "label": "任务队列（django-q2）",
    "log_level": "WARNING",
}

EMAIL_BACKEND = os.environ.get("GETPOWER_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
