"""Settings for madoguchi, driven by the environment variables of SPEC §3."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

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
    if key := os.environ.get("SECRET_KEY", "").strip():
        return key
    if not DEBUG:
        # Production: every node must share one key (links mailed by one node's worker are
        # opened on another). Left empty, Django refuses every use of it, and `serve`,
        # `run_worker` and the WSGI application refuse to start (madoguchi/production.py).
        return ""
    # DEBUG without SECRET_KEY (`make run`): a key is made once and kept under var/, so
    # links in emails keep working across restarts of a development server.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Keys being retired, newest first: sessions, CSRF and link tokens made under them still work.
SECRET_KEY_FALLBACKS = [k.strip() for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]

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
    "madoguchi.middleware.ForwardedProto",  # before anything asks request.is_secure()
    "madoguchi.health.HealthProbes",  # /healthz and /readyz for a load balancer, before all else
    "django.middleware.security.SecurityMiddleware",
    "madoguchi.access_records.AccessRecords",  # R10: outside the rest, to see each final answer
    "madoguchi.middleware.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "madoguchi.middleware.RefuseNul",  # before any view can pass a NUL to PostgreSQL
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "madoguchi.middleware.StaffIdleTimeout",
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
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        # Values sent apart from the SQL, so that psycopg prepares a query the connection
        # has run five times: the booking's facts cost PostgreSQL more to plan than to run.
        "server_side_binding": True,
        "prepare_threshold": 5,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Deployments sharing one Redis keep apart by their queue name, cache included.
            "KEY_PREFIX": os.environ.get("MADOGUCHI_QUEUE_NAME", "madoguchi"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# The office page's calendar, kept under a digest of everything it shows (front.views): in
# each process, so that a booking rush, which changes the digest with every booking, cannot
# fill Redis or the cache folder with calendars nobody will ask for again.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "calendars",
    "TIMEOUT": 300,
    "OPTIONS": {"MAX_ENTRIES": 100},
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
        # huey's SqliteHuey, syncing the queue file less often (see madoguchi/task_queue.py).
        "huey_class": "madoguchi.task_queue.QueueHuey",
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
# Staff sessions end after this long without a request (madoguchi.middleware.StaffIdleTimeout).
MADOGUCHI_STAFF_IDLE_SECONDS = 30 * 60

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
# Production serves the files `collectstatic` gathered (`serve` runs it before gunicorn)
# under hashed names, cached for good by browsers; DEBUG serves them from the apps as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

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
# How long a worker's claim on an outgoing mail keeps others off it; after that the mail is
# due again (its worker died mid-send). Far longer than one send can take (EMAIL_TIMEOUT per step).
MADOGUCHI_MAIL_LEASE_SECONDS = int(os.environ.get("MADOGUCHI_MAIL_LEASE_SECONDS", "600"))

MADOGUCHI_BASE_URL = os.environ.get("MADOGUCHI_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
MADOGUCHI_CONFIRM_WINDOW_SECONDS = int(os.environ.get("MADOGUCHI_CONFIRM_WINDOW_SECONDS", "3600"))
# R10/R11: how long personal data of past bookings and access records are kept.
MADOGUCHI_RETENTION_DAYS = int(os.environ.get("MADOGUCHI_RETENTION_DAYS", "365"))
MADOGUCHI_ACCESS_LOG_DAYS = int(os.environ.get("MADOGUCHI_ACCESS_LOG_DAYS", "90"))
MADOGUCHI_RATE_LIMITS = os.environ.get("MADOGUCHI_RATE_LIMITS", "on").strip().lower() != "off"
MADOGUCHI_TRUSTED_PROXIES = frozenset(
    p.strip() for p in os.environ.get("MADOGUCHI_TRUSTED_PROXIES", "").split(",") if p.strip()
)
# Public rate limits (madoguchi/ratelimits.py): atomic counters in this SQLite file on the
# embedded default, in Redis under this prefix when REDIS_URL is set.
MADOGUCHI_RATE_LIMIT_FILE = VAR_DIR / "ratelimits.sqlite3"
MADOGUCHI_RATE_LIMIT_PREFIX = os.environ.get("MADOGUCHI_QUEUE_NAME", "madoguchi") + ":ratelimit:"


SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# SPEC §3: with DEBUG off, production is HTTPS (directly, or behind a proxy named in
# MADOGUCHI_TRUSTED_PROXIES) unless MADOGUCHI_PLAIN_HTTP=1 (tests, a closed network).
MADOGUCHI_PLAIN_HTTP = _flag("MADOGUCHI_PLAIN_HTTP")
HTTPS_ONLY = not DEBUG and not MADOGUCHI_PLAIN_HTTP
if HTTPS_ONLY:
    SECURE_SSL_REDIRECT = True
    # One year. includeSubDomains reaches only names under the host that serves the site
    # (yoyaku.example.go.jp covers *.yoyaku.example.go.jp), none of which should speak plain
    # http. Preloading needs the header on the registrable domain itself: a decision for its
    # owner, not for this application, hence security.W021 silenced below.
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
SESSION_COOKIE_SECURE = HTTPS_ONLY and _flag("MADOGUCHI_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if MADOGUCHI_TRUSTED_PROXIES:
    # The TLS proxy says the request came over https. Believed only from the proxies named
    # (madoguchi.middleware.ForwardedProto drops the header from anyone else).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Form posts check Origin against the site's own (behind a TLS proxy Django sees only http).
_base = urlsplit(MADOGUCHI_BASE_URL)
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"] if _base.scheme and _base.netloc else []

# Tokens in URLs never reach a log line, through any logger (SPEC §5).
install_record_factory()

# One line per event, each starting with its UTC time (ISO 8601). The access line of a request
# is gunicorn's (madoguchi/access_log.py): nothing here logs requests a second time.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_tokens": {"()": "madoguchi.logging.RedactTokens"},
        "quiet_periodic": {"()": "madoguchi.worker.QuietPeriodic"},
    },
    "formatters": {"utc": {"()": "madoguchi.logging.UTCFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "utc", "filters": ["no_tokens"]},
        # An idle worker prints nothing: no line per periodic job, every minute.
        "worker": {
            "class": "logging.StreamHandler",
            "formatter": "utc",
            "filters": ["no_tokens", "quiet_periodic"],
        },
        "silent": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # 4xx answers already have their access line; keep this logger for 5xx and their traces.
        "django.request": {"level": "ERROR"},
        # A request for a host not in ALLOWED_HOSTS: its 400 access line says enough.
        "django.security.DisallowedHost": {"handlers": ["silent"], "level": "CRITICAL", "propagate": False},
        "axes": {"level": "WARNING"},
        # huey's consumer prints through its own handler; once is enough.
        "huey": {"handlers": ["worker"], "level": "INFO", "propagate": False},
    },
}
