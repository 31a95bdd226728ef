"""PostGov settings: everything that varies between machines comes from the environment."""

from __future__ import annotations

import sys
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from postgov.lib.env import (
    env_bool,
    env_int,
    env_list,
    env_outbound_url,
    env_secret,
    env_str,
    require_for_production,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("POSTGOV_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules
# Fails closed: a process that is not told otherwise runs as production, where every
# secret and host must be given (deploy/ sets them). Development — generated secrets,
# the demo — only when said explicitly: `make run`, the tests, bench/ and bin/ do.
ENVIRONMENT = env_str("POSTGOV_ENV", "production")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"POSTGOV_ENV={ENVIRONMENT!r}: use development or production.")
DEV = ENVIRONMENT == "development"
if not DEV:
    require_for_production(
        secrets=("SECRET_KEY", "IDENTITY_SECRET", "AUDIT_CHAIN_KEY"),
        values=("ALLOWED_HOSTS", "SITE_URL"),
    )
# Off unless asked for, in development too: the demo shows the pages people will see (a
# friendly 404, not the URL list). `make run DEBUG=1` for Django's debug pages.
DEBUG = env_bool("DEBUG", False)
if DEBUG and not DEV:
    # The debug pages show settings, SQL and local variables to whoever causes an error.
    raise ImproperlyConfigured("DEBUG is refused in production (POSTGOV_ENV=production).")

SECRET_KEY = env_secret("SECRET_KEY", dev_file=DATA_DIR / ".secret_key" if DEV else None)
# Previous keys, still accepted after a rotation: signed values and the tracking tokens
# printed in labels' QR codes keep working while their key is listed here.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEV else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public address of the site, used in links printed on labels (tracking QR) and in
# messages sent to citizens.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django_tasks",
    "django_tasks_db",
    # Before postgov.identity, whose admin replaces DOT's registrations.
    "oauth2_provider",
    # Our apps come before Django's own: for a phrase both translate, ours wins (Django
    # looks translations up in INSTALLED_APPS order), e.g. "Log out" is "Đăng xuất".
    "postgov.maps",
    "postgov.audit",
    "postgov.places",
    "postgov.catalog",
    "postgov.agencies",
    "postgov.identity",
    "postgov.notify",
    "postgov.queues",
    "postgov.registers",
    "postgov.dossiers",
    "postgov.delivery",
    "postgov.statemail",
    "postgov.exchange",
    "postgov.assisted",
    "postgov.reports",
    "postgov.training",
    "postgov.ops",
    # The project package itself: shared templates, static files, translations, commands.
    "postgov",
    # Only for its templates and static files: the API docs page serves Swagger UI from this
    # site (without the app it loads it from a CDN with an inline script, which the
    # Content-Security-Policy refuses).
    "ninja",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # First: every response, redirects and refusals included, gets its request id, is
    # counted in the metrics and leaves one log line.
    "postgov.ops.middleware.RequestObservationMiddleware",
    # A view that fails for want of the database answers 503 with a Retry-After.
    "postgov.ops.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "postgov.lib.transport.StrictTransportSecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "postgov.identity.middleware.SessionTimeoutMiddleware",
    "postgov.identity.middleware.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "postgov.identity.middleware.SecondFactorMiddleware",
    "postgov.identity.middleware.PasswordChangeMiddleware",
    # Drops a trainee's practice switch once the class closes or they leave it.
    "postgov.training.middleware.PracticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "postgov.api.ProblemDetailsMiddleware",
    # The report pages that tolerate a lag read from the replica when there is one.
    "postgov.lib.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "postgov.urls"
WSGI_APPLICATION = "postgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "postgov.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'postgov.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web server read while the other writes; the busy timeout
    # makes a writer wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_bool("DB_PREPARED_STATEMENTS", True):
    # PostgreSQL: parameters bound on the server, so each connection keeps the plans of
    # the statements it repeats (prepared at their second use). The dossier pages' query
    # with a dozen joins spent 7 ms planning for 1 ms of work. Behind a transaction-mode
    # pooler that cannot keep prepared statements, set DB_PREPARED_STATEMENTS=false.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
# PostgreSQL's synchronous_commit for this process's connections (decision 0031): the task
# workers run with "off", so a commit does not wait for the disk. A database crash may
# then forget the last fraction of a second of the worker's commits, which puts the work
# back as a killed worker leaves it (sent again, at least once; a receiver tells a repeat
# by its id). The web processes keep the server's default: a sealed dossier is on disk
# before the clerk is told.
if DB_SYNCHRONOUS_COMMIT := env_str("DB_SYNCHRONOUS_COMMIT", ""):
    if DB_SYNCHRONOUS_COMMIT not in ("on", "off", "local", "remote_write", "remote_apply"):
        raise ImproperlyConfigured(
            "DB_SYNCHRONOUS_COMMIT: on, off, local, remote_write or remote_apply"
        )
    if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c synchronous_commit={DB_SYNCHRONOUS_COMMIT}"
        )
# A streaming standby of the primary, for the report pages' reads that tolerate a lag
# (postgov.lib.replica, docs/operations.md "A read replica for the reports").
if REPLICA_URL := env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # Tests never make a database of their own for it: it is the primary's copy.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["postgov.lib.replica.ReplicaRouter"]
REPLICA_READ_APPS = {"reports", "dossiers", "places", "agencies", "catalog"}
REPLICA_READ_VIEWS = {
    "reports:dashboard",
    "reports:sla",
    "reports:volumes",
    "reports:service_figures",
    "reports:volumes_pdf",
    "reports:assisted",
    "reports:point_map",
}
# Above this many rows (the planner's estimate) the migrations that partition the logs by
# month refuse to copy them under a lock: `manage.py partition_online` does it first.
PARTITION_IN_MIGRATION_MAX_ROWS = env_int("PARTITION_IN_MIGRATION_MAX_ROWS", 1_000_000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared between processes (rate limits): the database by default, Redis when REDIS_URL is
# set. Never per-process memory: any number of web nodes must see the same counters.
if REDIS_URL := env_str("REDIS_URL", ""):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from Redis, written through to the database (which stays the record:
    # "sign out elsewhere" deletes through the session store, so both go). Saves a query
    # on every signed-in request; with the database cache it would add one.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "postgov_cache",
        }
    }

AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "identity:login"
PASSWORD_HASHERS = [
    "postgov.identity.hashers.PostGovArgon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_HASHERS += ["postgov.identity.hashers.ClientSecretHasher"]
# NIST SP 800-63B 5.1.1.2: at least 8 characters, at most a generous maximum, checked
# against a bundled list of common and breached passwords and the account's own data;
# no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "postgov.identity.passwords.MaximumLengthValidator"},
    {"NAME": "postgov.identity.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# The base map under every map (postgov/maps, docs/operations.md "Base map"): an XYZ tile
# URL template ({z}/{x}/{y}, optionally {s}), or a raster PMTiles archive on this machine
# that the site serves by byte ranges (the archive wins when both are set), or neither:
# points and commune centres on a plain background.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_PMTILES_PATH = env_str("MAP_PMTILES_PATH", "")
MAP_ATTRIBUTION = env_str("MAP_ATTRIBUTION", "")
MAP_MAX_ZOOM = env_int("MAP_MAX_ZOOM", 18)
MAP_IMG_SOURCES: list[str] = []
if MAP_TILE_URL and not MAP_PMTILES_PATH:
    _tiles = urlsplit(MAP_TILE_URL)
    if _tiles.scheme not in {"http", "https"} or not _tiles.netloc or "{z}" not in MAP_TILE_URL:
        raise ImproperlyConfigured(
            "MAP_TILE_URL: give an http(s) template with {z}, {x} and {y}, "
            "e.g. https://tile.example.org/{z}/{x}/{y}.png."
        )
    # Subdomain placeholders ({s}.tile.example.org) become a wildcard host.
    MAP_IMG_SOURCES.append(f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}")
if MAP_PMTILES_PATH:
    # The PMTiles reader hands each tile it cut from the archive to <img> as a blob: URL.
    MAP_IMG_SOURCES.append("blob:")

# Sessions: idle and absolute timeouts (seconds), enforced by SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 10 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEV)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # The __Host- prefix makes the browser refuse these cookies unless they are Secure,
    # for this exact host and path "/": a sibling subdomain cannot plant or overwrite them.
    SESSION_COOKIE_NAME = "__Host-postgov_session"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy: the page runs only the scripts and styles this site serves as
# files (no inline <script>, no on...= handlers, no style="..." in our templates; htmx is
# told not to eval and not to inject its own <style>, base.html), so an injected tag or
# attribute does nothing. Images may also be data: URIs (Bootstrap's icons in its CSS, a
# drawn signature). No page may be framed (clickjacking; the OpenID and passkey flows
# are top-level pages). No form-action: browsers apply it to the redirects after a POST,
# and the consent and logout forms end at each portal's own address.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MAP_IMG_SOURCES],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
# How many reverse proxies (nginx, a load balancer) stand in front of the app: the client
# address is read that many places from the right of X-Forwarded-For. 0: the socket peer.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
if env_bool("BEHIND_TLS_PROXY", False):
    # Only the proxy knows the scheme the browser used: trust its header, and redirect
    # plain http to https (without the header this would redirect forever).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and the metrics scraper talk to the web node directly, over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# HSTS in production, with or without BEHIND_TLS_PROXY: production is only ever served
# over https, and a browser that once saw the site must never be talked into plain http
# again (a downgrade on a café's network). Sent on every response
# (StrictTransportSecurityMiddleware), not only those Django sees as https, so a TLS proxy
# nobody declared cannot switch it off; browsers ignore it over plain http, so it cannot
# lock out a site still being set up. Subdomains and preload are the domain owner's call.
SECURE_HSTS_SECONDS = 0 if DEV else 365 * 24 * 60 * 60

# Login throttling: failures per (account, address) slow that pair down; failures per
# address across accounts slow a sprayer; failures per account from everywhere slow a
# distributed guesser. IPv6 addresses count by /64. A browser that completed a login for
# the account before (a signed cookie kept LOGIN_KNOWN_DEVICE_DAYS) is slowed only by its
# own failures, so a shared post-office NAT or an attacker elsewhere does not lock it out.
LOGIN_THROTTLE_PAIR_FREE = env_int("LOGIN_THROTTLE_PAIR_FREE", 5)
LOGIN_THROTTLE_ADDRESS_FREE = env_int("LOGIN_THROTTLE_ADDRESS_FREE", 30)
LOGIN_THROTTLE_ACCOUNT_FREE = env_int("LOGIN_THROTTLE_ACCOUNT_FREE", 50)
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 60 * 60)
LOGIN_THROTTLE_MAX_DELAY = env_int("LOGIN_THROTTLE_MAX_DELAY", 15 * 60)
LOGIN_KNOWN_DEVICE_DAYS = env_int("LOGIN_KNOWN_DEVICE_DAYS", 180)

# PostID (identity/): one secret from which the keys sealing TOTP secrets, signing keys and
# enrolment codes, and the pairwise-subject key, are derived. It must never change once
# accounts exist (docs/decisions/0002-oidc-provider.md).
IDENTITY_SECRET = env_secret(
    "IDENTITY_SECRET", dev_file=DATA_DIR / ".identity_secret" if DEV else None
)
# The audit trail's chain is keyed (HMAC-SHA-256) so that someone who can write to the
# database but does not hold the key cannot rewrite events and recompute the chain. The key
# lives outside the database: AUDIT_CHAIN_KEY or AUDIT_CHAIN_KEY_FILE, whitespace-separated
# keys of 32 characters or more. The first chains new events; the others, older keys kept
# after a rotation, only verify the events chained with them. Development: a fixed key.
AUDIT_CHAIN_KEYS = tuple(
    env_secret(
        "AUDIT_CHAIN_KEY",
        dev_default="development-audit-chain-key-not-a-secret" if DEV else None,
    ).split()
)
if not AUDIT_CHAIN_KEYS or any(len(key) < 32 for key in AUDIT_CHAIN_KEYS):
    raise ImproperlyConfigured(
        "AUDIT_CHAIN_KEY: give keys of at least 32 characters, separated by spaces (make one "
        "with: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
    )
# The OpenID Connect issuer: the public address of this site.
OIDC_ISSUER = env_str("OIDC_ISSUER", SITE_URL).rstrip("/")
# Seconds a second factor counts for level 2 (loa:2). 0: every authorization asking for
# level 2 demands a fresh second factor (no silent single sign-on at level 2, as SPID).
OIDC_LOA2_MFA_MAX_AGE = env_int("OIDC_LOA2_MFA_MAX_AGE", 0)
IDENTITY_OTP_TTL = env_int("IDENTITY_OTP_TTL", 5 * 60)
IDENTITY_OTP_MAX_ATTEMPTS = env_int("IDENTITY_OTP_MAX_ATTEMPTS", 5)
IDENTITY_OTP_PER_HOUR = env_int("IDENTITY_OTP_PER_HOUR", 5)
# Codes sent to one phone number or e-mail address an hour, whatever the account: a
# number is not made to receive messages it did not ask for (SMS pumping).
IDENTITY_OTP_PER_DESTINATION_PER_HOUR = env_int("IDENTITY_OTP_PER_DESTINATION_PER_HOUR", 10)
# Self-registration: codes sent for registrations from one client an hour and to one
# number a day; after this many posts of the form from one client in an hour, each
# further one passes the challenge (lib/challenge.py: proof of work, or a wait without
# JavaScript) first.
REGISTER_PER_ADDRESS_PER_HOUR = env_int("REGISTER_PER_ADDRESS_PER_HOUR", 10)
REGISTER_PER_PHONE_PER_DAY = env_int("REGISTER_PER_PHONE_PER_DAY", 3)
REGISTER_CHALLENGE_AFTER = env_int("REGISTER_CHALLENGE_AFTER", 3)
CHALLENGE_BITS = env_int("CHALLENGE_BITS", 16)
CHALLENGE_WAIT_SECONDS = env_int("CHALLENGE_WAIT_SECONDS", 20)
IDENTITY_REAUTH_SECONDS = env_int("IDENTITY_REAUTH_SECONDS", 10 * 60)
# Wrong second factors per account, counted in the database whatever the session or the
# password: the first MFA_FREE_FAILURES are free, then each further one doubles a wait
# starting at MFA_BACKOFF_SECONDS; at MFA_MAX_FAILURES second-factor attempts stop for
# MFA_STOP_SECONDS (0: until an administrator lifts the stop) and the holder is told.
IDENTITY_MFA_FREE_FAILURES = env_int("IDENTITY_MFA_FREE_FAILURES", 3)
IDENTITY_MFA_BACKOFF_SECONDS = env_int("IDENTITY_MFA_BACKOFF_SECONDS", 30)
IDENTITY_MFA_MAX_FAILURES = env_int("IDENTITY_MFA_MAX_FAILURES", 10)
IDENTITY_MFA_STOP_SECONDS = env_int("IDENTITY_MFA_STOP_SECONDS", 24 * 60 * 60)
IDENTITY_ENROLMENT_CODE_DAYS = env_int("IDENTITY_ENROLMENT_CODE_DAYS", 7)
# Passkeys (WebAuthn). The relying party id is the domain passkeys are bound to; empty:
# the host the page was served from (fine for one public name; set it when the site
# answers on several). Origins: the exact scheme://host[:port] browsers report; empty:
# the request's own. A passkey made for one RP id never works for another.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")
WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "PostID")
WEBAUTHN_ORIGINS = env_list("WEBAUTHN_ORIGINS", [])

OAUTH2_PROVIDER_APPLICATION_MODEL = "identity.RelyingParty"
OAUTH2_PROVIDER_GRANT_MODEL = "identity.AuthorizationCode"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "postgov.identity.oidc.validator.PostGovValidator",
    "OIDC_ENABLED": True,
    "SCOPES_BACKEND_CLASS": "postgov.identity.oidc.claims.PostGovScopes",
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OIDC_ACCESS_TOKEN_SECONDS", 10 * 60),
    "ID_TOKEN_EXPIRE_SECONDS": env_int("OIDC_ID_TOKEN_SECONDS", 10 * 60),
    # A refresh token dies this long after its access token expired (sliding).
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OIDC_REFRESH_TOKEN_SECONDS", 8 * 60 * 60),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "CLIENT_SECRET_HASHER": "postgov_client_secret",
    # Portals receive codes over TLS only; `http` is for relying parties on a developer's
    # machine (and loopback callbacks in the tests).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEV else ["https"],
    # The authorization response names its issuer (RFC 9207); the authorization view
    # puts in the one the discovery document and the ID tokens give.
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    # `check --deploy` fails, rather than warns, on a production setting that would allow
    # `http` or wildcard redirect URIs or codes without PKCE.
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": not DEV,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
}

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEV
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEV

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default", "notify"],
    }
}

# Requests to addresses people configure (agencies' webhooks, the national portal,
# upstream identity providers, the SMS gateway) go to public internet addresses only, over
# https (postgov/lib/outbound.py). Development and the tests run their stand-ins on the
# loopback: there private addresses and plain http are allowed. Never in production.
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", DEV)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PostGov <no-reply@postgov.local>")
# Which gateway sends SMS: "console" (logs, for development), or "http" with the URL and
# token of a generic HTTP SMS gateway.
SMS_GATEWAY = env_str("SMS_GATEWAY", "console")
SMS_HTTP_URL = env_outbound_url("SMS_HTTP_URL", "", allow_private=OUTBOUND_ALLOW_PRIVATE)
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", "")

# Logs: one JSON object a line in production (LOG_FORMAT=json), each with the request's id
# (postgov/ops/logs.py); plain lines in development unless asked.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEV else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "postgov.ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "postgov.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING" if TESTING else "INFO"},
        # One line a request; gunicorn's access log says the same without the id.
        "postgov.request": {
            "level": "WARNING" if TESTING else env_str("REQUEST_LOG_LEVEL", "INFO")
        },
        # fpdf2's font subsetting tells about every table of every font, on every PDF.
        "fontTools": {"level": "WARNING"},
    },
}

# Prometheus metrics at /metrics (postgov/ops/metrics.py): for a scraper sending
# `Authorization: Bearer <METRICS_TOKEN>`, or connecting directly (not through a proxy)
# from one of METRICS_ALLOWED_NETWORKS (comma-separated, e.g. 10.0.5.0/24). Neither set:
# the page does not exist. Never open to the public.
METRICS_TOKEN = (
    env_secret("METRICS_TOKEN")
    if env_str("METRICS_TOKEN", "") or env_str("METRICS_TOKEN_FILE", "")
    else ""
)
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN: give a token of at least 32 characters.")
try:
    METRICS_ALLOWED_NETWORKS = [
        ip_network(value, strict=False) for value in env_list("METRICS_ALLOWED_NETWORKS", [])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None

# UPU S10 item IDs: a service indicator from the operator's reserved domestic range.
S10_SERVICE_INDICATOR = env_str("S10_SERVICE_INDICATOR", "HC")
S10_COUNTRY = env_str("S10_COUNTRY", "VN")

# Return of results: failed delivery attempts before the result is held at the
# post office, and working days it is held there before going back to the agency.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 2)
# Days an e-mail's attached documents (a citizen's Form 01, an agency's letter) are kept
# after the message was sent or given up: enough to answer "I did not get it".
MESSAGE_ATTACHMENT_DAYS = env_int("MESSAGE_ATTACHMENT_DAYS", 30)
RESULT_HOLD_DAYS = env_int("RESULT_HOLD_DAYS", 10)

# National public service portal (docs/domain.md §3.4). Empty PORTAL_URL: messages wait in the queue
# (and in the sync report). In development the app's own simulator plays the portal.
PORTAL_SIMULATOR = env_bool("PORTAL_SIMULATOR", DEV and not TESTING)
PORTAL_URL = env_outbound_url(
    "PORTAL_URL",
    f"{SITE_URL}/_simulator/portal" if PORTAL_SIMULATOR else "",
    allow_private=OUTBOUND_ALLOW_PRIVATE,
).rstrip("/")
PORTAL_USERNAME = env_str("PORTAL_USERNAME", "postgov")
PORTAL_PASSWORD = (
    env_secret("PORTAL_PASSWORD")
    if env_str("PORTAL_PASSWORD", "") or env_str("PORTAL_PASSWORD_FILE", "")
    else ("postgov" if DEV else "")
)
PORTAL_UNIT_CODE = env_str("PORTAL_UNIT_CODE", "000.00.00.G12")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_CLASS = "postgov.pagination.BoundedLimitOffset"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

if TESTING:
    # Tests are fast: MD5 is fine for throw-away test passwords.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "postgov.identity.hashers.ClientSecretHasher",
    ]

# Dossier intake: scans attached at the counter (PDF, JPEG, PNG) up to this size, and the
# public lookups' rate limits (requests per address per minute; bookings per hour).
SCAN_MAX_BYTES = env_int("SCAN_MAX_BYTES", 10 * 1024 * 1024)
TRACK_LIMIT_PER_MINUTE = env_int("TRACK_LIMIT_PER_MINUTE", 30)
# Tracking's anomaly brake: over this many failed lookups a minute across all clients,
# a client with this many failures in ten minutes waits until they are over.
TRACK_ANOMALY_MISSES_PER_MINUTE = env_int("TRACK_ANOMALY_MISSES_PER_MINUTE", 60)
TRACK_ANOMALY_MISSES_PER_CLIENT = env_int("TRACK_ANOMALY_MISSES_PER_CLIENT", 3)
PICKUP_BOOKINGS_PER_HOUR = env_int("PICKUP_BOOKINGS_PER_HOUR", 5)
# The commune picker's suggestions (a request a few keystrokes): per client and minute.
COMMUNE_SEARCH_PER_MINUTE = env_int("COMMUNE_SEARCH_PER_MINUTE", 120)
# Open home-pickup bookings a post office takes for one day and time window (booking and
# moving a booking both stop there).
PICKUP_CAPACITY_PER_WINDOW = env_int("PICKUP_CAPACITY_PER_WINDOW", 8)
