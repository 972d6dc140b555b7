"""Configuration: defaults, then `instance/config.py`, then `ERP_*` environment variables."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    SECRET_KEY = None  # set by `init` in instance/config.py, or ERP_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled from ERP_DATABASE_URL or the instance folder
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Python packages whose sub-folders are modules; pip-installed modules come from the
    # `erp.modules` entry points as well.
    ERP_MODULE_PACKAGES = ["modules"]
    ERP_MODULE_ENTRY_POINTS = True
    ERP_DEFAULT_LOCALE = "en"
    ERP_DEFAULT_TIMEZONE = "UTC"
    ERP_LOCALES = ["en", "vi", "zh_CN"]
    # ISO 4217, until Settings → General chooses another; shown in the viewer's locale
    ERP_CURRENCY = "USD"
    # Look and feel: folders under themes/ (see themes/README.md). The default is what
    # Settings → General stores, else this.
    ERP_THEMES_DIR = None  # default: themes/ beside core/
    ERP_DEFAULT_THEME = "light"
    ERP_RUN_SCHEDULER = False  # run the job scheduler inside the web process (embedded mode)
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Keep me signed in" lasts this long (seconds) after signing in, in the cookie and on
    # the server; a session without it ends after this long without a request.
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    ERP_SESSION_IDLE_SECONDS = 24 * 3600
    # Served over HTTPS (None: when PREFERRED_URL_SCHEME is "https"): Secure cookies and
    # Strict-Transport-Security for this many seconds.
    ERP_HTTPS = None
    ERP_HSTS_SECONDS = 365 * 24 * 3600
    # Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For, -Proto and
    # -Host are believed; 0 believes none (the app faces clients directly).
    ERP_TRUSTED_PROXIES = 0
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    ERP_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    ERP_ATTACHMENTS_DIR = None  # default: instance/attachments
    ERP_PG_BIN_DIR = None  # pg_dump and pg_restore (default: newest PostgreSQL's, or PATH)
    # Login limits (core/ratelimit.py): attempts per account from one address before each
    # next one waits 2, 4, 8... seconds (at most ERP_LOGIN_MAX_DELAY_SECONDS); and failures
    # per address across all accounts per window (a burst, then window/limit apart).
    ERP_LOGIN_WINDOW_SECONDS = 300
    ERP_LOGIN_FAILURES_PER_ACCOUNT = 5
    ERP_LOGIN_ATTEMPTS_PER_ADDRESS = 30
    ERP_LOGIN_MAX_DELAY_SECONDS = 900
    # Outgoing mail (the outbox job delivers it)
    ERP_SMTP_HOST = "127.0.0.1"
    ERP_SMTP_PORT = 25
    ERP_SMTP_STARTTLS = False
    ERP_SMTP_USER = None
    ERP_SMTP_PASSWORD = None
    ERP_MAIL_FROM = "erp@localhost"
    # Links in mail start with this (e.g. https://erp.example.com); default: the address the
    # request came to. A password reset link works this long (seconds), and once.
    ERP_BASE_URL = None
    ERP_PASSWORD_RESET_SECONDS = 3600
    ERP_MAIL_MAX_ATTEMPTS = 10  # then the mail is given up (failed; Settings → Outgoing mail)
    ERP_MAIL_RETRY_SECONDS = 60  # the wait after a first failure, doubled after each other
    # Background tasks (core.tasks, Huey): a queue in the instance folder, or in Redis when
    # several hosts share the work. ERP_TASKS_IMMEDIATE runs each task in the process that
    # queues it, at its commit (None: only when TESTING).
    ERP_TASKS_REDIS_URL = None  # e.g. redis://127.0.0.1:6379/1
    ERP_TASKS_QUEUE = "erp"  # the queue's name (several deployments may share one Redis)
    ERP_TASKS_IMMEDIATE = None
    ERP_RUN_WORKER = False  # run a task worker inside the web process (embedded mode)
    ERP_TASKS_KEEP_DAYS = 30  # finished tasks are deleted after this many days
    ERP_IMPORT_INLINE_ROWS = 200  # CSV imports of more rows are applied by a background task
    ERP_EXPORT_INLINE_ROWS = 20000  # CSV exports of more rows are written by a background task
    ERP_TRANSFER_FILES_HOURS = 24  # import previews and exported files kept this long
    ERP_RATELIMIT_REDIS_URL = None  # e.g. redis://127.0.0.1:6379/0, shared by all workers
    # Without Redis the limits are kept in the "database" (shared by the workers and hosts
    # using it); "memory" keeps them per process (tests, a single worker)
    ERP_RATELIMIT_STORAGE = "database"


# Environment variables read as configuration, with how to parse each.
_ENV = {
    "ERP_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "ERP_SECRET_KEY": ("SECRET_KEY", str),
    "ERP_MODULE_PACKAGES": ("ERP_MODULE_PACKAGES", lambda v: [p for p in v.split(",") if p]),
    "ERP_DEFAULT_LOCALE": ("ERP_DEFAULT_LOCALE", str),
    "ERP_DEFAULT_TIMEZONE": ("ERP_DEFAULT_TIMEZONE", str),
    "ERP_DEFAULT_THEME": ("ERP_DEFAULT_THEME", str),
    "ERP_RATELIMIT_REDIS_URL": ("ERP_RATELIMIT_REDIS_URL", str),
    "ERP_RATELIMIT_STORAGE": ("ERP_RATELIMIT_STORAGE", str),
    "ERP_SMTP_HOST": ("ERP_SMTP_HOST", str),
    "ERP_SMTP_PORT": ("ERP_SMTP_PORT", int),
    "ERP_SMTP_USER": ("ERP_SMTP_USER", str),
    "ERP_SMTP_PASSWORD": ("ERP_SMTP_PASSWORD", str),
    "ERP_MAIL_FROM": ("ERP_MAIL_FROM", str),
    "ERP_BASE_URL": ("ERP_BASE_URL", str),
    "ERP_RUN_SCHEDULER": ("ERP_RUN_SCHEDULER", lambda v: v.lower() in ("1", "true", "yes")),
    "ERP_RUN_WORKER": ("ERP_RUN_WORKER", lambda v: v.lower() in ("1", "true", "yes")),
    "ERP_TASKS_REDIS_URL": ("ERP_TASKS_REDIS_URL", str),
    "ERP_TASKS_QUEUE": ("ERP_TASKS_QUEUE", str),
    "ERP_TRUSTED_PROXIES": ("ERP_TRUSTED_PROXIES", int),
    "ERP_ATTACHMENTS_DIR": ("ERP_ATTACHMENTS_DIR", str),
    "ERP_PG_BIN_DIR": ("ERP_PG_BIN_DIR", str),
    "ERP_HTTPS": ("ERP_HTTPS", lambda v: v.lower() in ("1", "true", "yes")),
}


def load(app, overrides: dict | None) -> None:
    """Fill `app.config` from the three layers, then the test or caller's overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for var, (key, parse) in _ENV.items():
        if var in os.environ:
            app.config[key] = parse(os.environ[var])
    if overrides:
        app.config.update(overrides)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "erp.sqlite3"
        )
    if app.config.get("ERP_HTTPS") is None:
        app.config["ERP_HTTPS"] = app.config.get("PREFERRED_URL_SCHEME") == "https"
    if app.config["ERP_HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                          PREFERRED_URL_SCHEME="https")
    if not app.config["SECRET_KEY"]:
        # Without `init` there is no key yet; a per-process one keeps the app usable for
        # commands, and sessions simply do not survive a restart.
        app.config["SECRET_KEY"] = os.urandom(32).hex()
        app.config["ERP_EPHEMERAL_SECRET"] = True
