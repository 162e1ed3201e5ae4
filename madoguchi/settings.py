"""Settings for madoguchi, driven by the environment variables of SPEC §3."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

from madoguchi.logging import install_record_factory

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MADOGUCHI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("DEBUG")
PORT = int(os.environ.get("PORT", "8000"))


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # Without SECRET_KEY a key is made once and kept under var/, so links in
    # emails keep working across restarts of a development server.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "console.apps.StaffAdminConfig",  # Django's admin, behind the staff login and second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "madoguchi",
    "offices",
    "bookings",
    "front",
    "api",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "madoguchi.access_records.AccessRecords",  # R10: outside the rest, to see each final answer
    "madoguchi.middleware.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "madoguchi.urls"
WSGI_APPLICATION = "madoguchi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madoguchi.context_processors.booking_rules",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'madoguchi.sqlite3'}"),
        # Reuse connections (opening one to PostgreSQL costs more than a query).
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the database lock when the transaction begins, so two
        # bookings for one slot are serialised instead of failing on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # WAL lets readers go on while one writer commits; FULL syncs every
        # commit, so a confirmed booking survives a power cut too.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# The task queue: embedded SQLite storage by default, Redis when REDIS_URL is set.
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        # Deployments sharing one Redis need their own queue name.
        "name": os.environ.get("MADOGUCHI_QUEUE_NAME", "madoguchi"),
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "madoguchi",
        "filename": str(VAR_DIR / "tasks.sqlite3"),
        "immediate": False,
    }

# Staff accounts (SPEC §9). django-axes counts failed logins per username,
# in the database so that every app node sees the same count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
AXES_ENABLED = True  # also when MADOGUCHI_RATE_LIMITS=off (SPEC §9)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locked for 15 minutes from the fifth failure; more tries do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "madoguchi.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "console.views.auth.locked_out"
AXES_VERBOSE = False
# axes.W006 asks to lock by address too; SPEC §9 locks a username wherever the tries come
# from, and an address lock would let one person lock out a whole office behind its NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
OTP_TOTP_ISSUER = "madoguchi"
# A session lasts a working day at most.
SESSION_COOKIE_AGE = 8 * 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("英語"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even when serving from finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Mail: SMTP when EMAIL_HOST is set, otherwise the local dev mailbox under var/.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "bookings.mailbox.MailboxBackend"
MADOGUCHI_MAILBOX_DIR = VAR_DIR / "mailbox"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "madoguchi <no-reply@madoguchi.invalid>")

MADOGUCHI_BASE_URL = os.environ.get("MADOGUCHI_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
MADOGUCHI_CONFIRM_WINDOW_SECONDS = int(os.environ.get("MADOGUCHI_CONFIRM_WINDOW_SECONDS", "3600"))
# R10/R11: how long personal data of past bookings and access records are kept.
MADOGUCHI_RETENTION_DAYS = int(os.environ.get("MADOGUCHI_RETENTION_DAYS", "365"))
MADOGUCHI_ACCESS_LOG_DAYS = int(os.environ.get("MADOGUCHI_ACCESS_LOG_DAYS", "90"))
MADOGUCHI_RATE_LIMITS = os.environ.get("MADOGUCHI_RATE_LIMITS", "on").strip().lower() != "off"
MADOGUCHI_TRUSTED_PROXIES = frozenset(
    p.strip() for p in os.environ.get("MADOGUCHI_TRUSTED_PROXIES", "").split(",") if p.strip()
)

RATELIMIT_ENABLE = MADOGUCHI_RATE_LIMITS


SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = _flag("MADOGUCHI_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Tokens in URLs never reach a log line, through any logger (SPEC §5).
install_record_factory()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_tokens": {"()": "madoguchi.logging.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_tokens"]},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # huey's consumer prints through its own handler; once is enough.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
