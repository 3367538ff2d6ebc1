"""Settings for carereview.

Everything that differs between machines comes from the environment; the defaults are
only safe for local use (DEBUG on, a throwaway secret key). The database has no default:
DATABASE_URL names it, and `python -m ops.postgres` starts one for local use and sets it.
`DJANGO_ENV=production` turns on everything `manage.py check --deploy` asks for
(README, "Deploying").
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Constants only, importing nothing: the request limits below follow the documented ones.
from responses import limits

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG shows stack traces to anyone: it cannot be on in production.")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment when DEBUG is off.")
    SECRET_KEY = "local-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Browsing is open unless this is on; then every page and export needs a signed-in user.
CAREREVIEW_REQUIRE_LOGIN = env_bool("CAREREVIEW_REQUIRE_LOGIN", False)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Requests per client to the API (api/access.py), as ninja reads a rate: "300/min".
CAREREVIEW_API_RATE = os.environ.get("CAREREVIEW_API_RATE", "300/min")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "simple_history",
    "csp",
    "axes",
    "recommendations",
    "responses",
    "browse",
    "ops",
    "api",
    # For the API docs' Swagger UI, served from the wheel's static files, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    # First, so that every response and every log line of a request carries its id.
    "carereview.request_context.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "carereview.middleware.ContentSecurityPolicyMiddleware",
    # Serves static files ahead of sessions, auth and views, so no separate web server is needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that may read the database: a 503 page while it is unreachable.
    "carereview.outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "carereview.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "carereview.urls"

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
                "carereview.context_processors.csp_nonce",
                "browse.context_processors.data_version",
            ],
        },
    },
]

WSGI_APPLICATION = "carereview.wsgi.application"

# Lower case, so that it is not a setting: the debug page would show its password.
database_url = os.environ.get("DATABASE_URL", "")
if not database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Run through `make run` or `make test`, or "
        "`python -m ops.postgres -- COMMAND...`, which start PostgreSQL and set it; or set "
        "DATABASE_URL to a PostgreSQL database, e.g. postgres://user:password@host:5432/name."
    )
conn_max_age = int(os.environ.get("CONN_MAX_AGE", "0"))
DATABASES = {
    "default": dj_database_url.parse(
        database_url,
        conn_max_age=conn_max_age,
        # A kept connection is checked before a request reuses it, so one that a database
        # restart broke is replaced at once rather than failing that request.
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", conn_max_age > 0),
    )
}
# An unreachable host fails in seconds rather than holding a thread for minutes.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What the heaviest pages compute, kept per state of the data (browse/caching.py). In
# each process's memory: every gunicorn worker has its own. An entry is a page's data or
# its rendered table, up to a few hundred kilobytes; entries under an old data version
# are never read again and go when the cache is full or after the timeout.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "carereview-pages",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 300},
    }
}
# With several app servers, one Redis shared by all of them: a page is computed once per
# state of the data for the whole site. Redis has no entry limit of its own here: give it
# `maxmemory` and `maxmemory-policy allkeys-lru` (README, "Several app servers").
redis_url = os.environ.get("REDIS_URL", "")
if redis_url:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url,
        "TIMEOUT": 24 * 3600,
    }

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins while a username and address are locked out, before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for an hour.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# Behind a proxy every request comes from the proxy's address; the client's is the last in
# X-Forwarded-For, appended by the proxy, and anything before it the client sent and could
# forge. django-axes reads it through django-ipware (without which every client would share
# the proxy's lockout). ipware counts the proxies listed after the client: here none. Not
# strict (a django-ipware 8 setting), so that ipware passes over what the client put first
# rather than refuse the header. Trust the header only when told to.
if env_bool("BEHIND_PROXY", False):
    AXES_IPWARE_PROXY_COUNT = 0
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    IPWARE_STRICT = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles")
# In production static files are compressed and named by their hash, so they can be cached
# for ever; that needs `collectstatic` first, which development and tests do without.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "carereview.staticfiles.CompressedHashedStaticFilesStorage"
    },
}

# Apps' static files without what no page serves (carereview/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "carereview.staticfiles.ServedAppDirectoriesFinder",
]

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Django refuses a larger request before any view sees it (2.5 MB by default, which a
# document of 3,000,000 characters exceeds). Set from the documented limits, so that admin
# accepts every document within them (responses/limits.py says how the figure is reached);
# carereview.views.bad_request names the limit to whoever exceeds it.
DATA_UPLOAD_MAX_MEMORY_SIZE = limits.REQUEST_BYTES
CAREREVIEW_DOCUMENT_TEXT_CHARS = limits.DOCUMENT_TEXT_CHARS

# Security headers, on every response in every environment.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
# Pages send the CSRF token in a header from the page itself, never read from the cookie.
CSRF_COOKIE_HTTPONLY = True
# No inline script, no eval, no inline style: the one inline-free script is nonce'd and
# htmx comes from this site (`{% htmx_script %}` with the nonce).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A load balancer checks the app servers directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    if env_bool("BEHIND_PROXY", False):
        # The proxy terminates TLS and says so; without a proxy this header could be forged.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Errors go to standard error with the request's id, method, path and user, so a report
# ("reference 3f9c…" on the error page) leads to its traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "carereview.request_context.RequestContextFilter"}},
    "formatters": {
        "context": {
            "format": "%(asctime)s %(levelname)s %(name)s [request %(request_id)s "
            "%(request_method)s %(request_path)s user=%(request_user)s] %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": "context",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own loggers through the same handler, once (its default adds another).
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}
