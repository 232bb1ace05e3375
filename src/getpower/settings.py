"""Django settings.

The database comes from ``GETPOWER_DATABASE_URL`` (``sqlite:////abs/file`` or
``postgresql://user@host:port/db``); without it, an SQLite file under ``var/``.
"""

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
# An editable install keeps the package in <project>/src/getpower; var/ lives in the project root.
PROJECT_DIR = Path(os.environ.get("GETPOWER_HOME", PACKAGE_DIR.parent.parent))
VAR_DIR = PROJECT_DIR / "var"

SECRET_KEY = os.environ.get("GETPOWER_SECRET_KEY", "getpower-dev-key-change-me-in-production")
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
    "getpower.core",
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
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Uploads: ledger files may be large; the importer enforces its own limit with a clear message.
GETPOWER_IMPORT_MAX_BYTES = int(os.environ.get("GETPOWER_IMPORT_MAX_BYTES", 200 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The filing centre opens monthly filing periods from this month on (the platform's go-live).
GETPOWER_FILINGS_FIRST_MONTH = os.environ.get("GETPOWER_FILINGS_FIRST_MONTH", "2026-10")

EMAIL_BACKEND = os.environ.get("GETPOWER_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
