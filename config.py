"""Venture's settings, read from the environment with safe defaults.

Loaded by ``venture.create_app`` with ``app.config.from_pyfile``; every
upper-case name below becomes a Flask config key. Tests pass their own
mapping to ``create_app`` on top of these.
"""
import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# "development" (the default, for `make run`) or "production".
ENV = os.environ.get("VENTURE_ENV", "development")
DEBUG = _flag("VENTURE_DEBUG", False)
TESTING = False

INSTANCE_PATH = os.environ.get("VENTURE_INSTANCE", str(_ROOT / "instance"))

# SQLite in instance/ unless DATABASE_URL names another database, e.g.
# postgresql+psycopg://user@127.0.0.1:5432/venture
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "sqlite:///" + str(Path(INSTANCE_PATH) / "venture.sqlite3")
)
DATABASE_ECHO = _flag("DATABASE_ECHO", False)

# Venture's own log records at this level and above, as JSON lines on
# standard error (see venture/logs.py): DEBUG, INFO, WARNING, ERROR.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

# Left unset, a random key is generated once into instance/secret_key.
SECRET_KEY = os.environ.get("SECRET_KEY") or None

# The Ed25519 key that signs the audit checkpoints: a file outside the database,
# readable by the site's user only. Empty: instance/audit-signing.key. Production
# refuses to start without it: create it with `python -m venture.audit.signing`.
AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE", "")
# A daily checkpoint is signed by `calls tick` when the newest is older than this.
AUDIT_CHECKPOINT_HOURS = _int("AUDIT_CHECKPOINT_HOURS", 24)

UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(Path(INSTANCE_PATH) / "uploads"))
SEARCH_INDEX_FOLDER = os.environ.get(
    "SEARCH_INDEX_FOLDER", str(Path(INSTANCE_PATH) / "search-index")
)
MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 64 * 1024 * 1024)

# Mail: "outbox" writes every message as an .eml file into MAIL_OUTBOX_FOLDER
# (readable by a developer); "smtp" sends through MAIL_SMTP_HOST.
MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp" if os.environ.get("MAIL_SMTP_HOST") else "outbox")
MAIL_OUTBOX_FOLDER = os.environ.get("MAIL_OUTBOX_FOLDER", str(Path(INSTANCE_PATH) / "outbox"))
MAIL_SMTP_HOST = os.environ.get("MAIL_SMTP_HOST", "")
MAIL_SMTP_PORT = _int("MAIL_SMTP_PORT", 587)
MAIL_SMTP_USER = os.environ.get("MAIL_SMTP_USER", "")
MAIL_SMTP_PASSWORD = os.environ.get("MAIL_SMTP_PASSWORD", "")
MAIL_SMTP_STARTTLS = _flag("MAIL_SMTP_STARTTLS", True)
MAIL_SMTP_TIMEOUT = _int("MAIL_SMTP_TIMEOUT", 10)
MAIL_FROM = os.environ.get("MAIL_FROM", "Venture <no-reply@venture.local>")

# The address links in e-mails point to.
BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:" + os.environ.get("PORT", "5000"))

DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Asia/Shanghai")
DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "zh_CN")
LANGUAGES = ("zh_CN", "en")

# Redis, for rate-limit counters shared by every worker on every server.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Where rate-limit counters live: "redis" (the default with REDIS_URL),
# "database" (the default without: a table every worker shares) or "memory"
# (one process only; refused in production and by gunicorn with several workers).
RATE_LIMIT_STORE = os.environ.get("RATE_LIMIT_STORE", "")

# Cookies. SESSION_COOKIE_SECURE follows HTTPS_ONLY (on by default in production).
HTTPS_ONLY = _flag("HTTPS_ONLY", ENV == "production")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS_ONLY
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = HTTPS_ONLY
REMEMBER_DAYS = _int("REMEMBER_DAYS", 30)
SESSION_HOURS = _int("SESSION_HOURS", 12)

# Organizers and site admins must turn on two-factor sign-in (an authenticator
# app) before they can use the site; on by default in production.
REQUIRE_2FA_FOR_STAFF = _flag("REQUIRE_2FA_FOR_STAFF", ENV == "production")

# Password hashing (Argon2id). Tests lower the cost; production keeps these.
ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)
ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 2)

# Failed log-ins allowed in LOGIN_WINDOW seconds (see venture/accounts/attempts.py):
# per account from one client address (and per trusted device), per client
# address on any accounts, and per account from everywhere (past that, a new
# device confirms the log-in through a link mailed to the account).
LOGIN_LIMIT_PER_ACCOUNT = _int("LOGIN_LIMIT_PER_ACCOUNT", 10)
LOGIN_LIMIT_PER_ADDRESS = _int("LOGIN_LIMIT_PER_ADDRESS", 30)
LOGIN_LIMIT_ACCOUNT_TOTAL = _int("LOGIN_LIMIT_ACCOUNT_TOTAL", 50)
LOGIN_WINDOW = _int("LOGIN_WINDOW", 15 * 60)
# Other sensitive forms (register, password reset, invitations) per address per hour.
FORM_LIMIT_PER_ADDRESS = _int("FORM_LIMIT_PER_ADDRESS", 20)
# Reset links and "already registered" notes sent to one e-mail address per hour, whoever asks.
RESET_MAILS_PER_ADDRESS = _int("RESET_MAILS_PER_ADDRESS", 5)

VERIFY_TOKEN_HOURS = _int("VERIFY_TOKEN_HOURS", 72)
RESET_TOKEN_MINUTES = _int("RESET_TOKEN_MINUTES", 60)
INVITATION_DAYS = _int("INVITATION_DAYS", 14)

# Number of trusted reverse proxies in front of the app (for the client address).
PROXY_COUNT = _int("PROXY_COUNT", 0)

WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

# Attachments: the largest single file and the most per proposal, in bytes.
ATTACHMENT_MAX_BYTES = _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
PROPOSAL_ATTACHMENTS_MAX_BYTES = _int("PROPOSAL_ATTACHMENTS_MAX_BYTES", 30 * 1024 * 1024)

# Comments: posts (and replies) allowed per user, per user whose account is younger
# than COMMENT_NEW_ACCOUNT_HOURS, and per client address, in COMMENT_WINDOW seconds.
COMMENT_LIMIT_PER_USER = _int("COMMENT_LIMIT_PER_USER", 10)
COMMENT_LIMIT_NEW_ACCOUNT = _int("COMMENT_LIMIT_NEW_ACCOUNT", 3)
COMMENT_LIMIT_PER_ADDRESS = _int("COMMENT_LIMIT_PER_ADDRESS", 30)
COMMENT_WINDOW = _int("COMMENT_WINDOW", 10 * 60)
COMMENT_NEW_ACCOUNT_HOURS = _int("COMMENT_NEW_ACCOUNT_HOURS", 24)

# Search: how long a worker waits for the index's write lock before leaving
# the update queued for the next drain (seconds).
# whoosh (a local folder, the embedded default) or postgresql (shared by several
# servers; needs DATABASE_URL on PostgreSQL).
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
SEARCH_LOCK_TIMEOUT = float(os.environ.get("SEARCH_LOCK_TIMEOUT", "1"))
# Map the index files into memory (faster reads; the pages a search touched
# count in every worker's resident memory) instead of reading them.
SEARCH_INDEX_MMAP = _flag("SEARCH_INDEX_MMAP", False)
# Processes that analyse and index the text in `search rebuild` (0: up to 2 cores).
SEARCH_REBUILD_PROCS = _int("SEARCH_REBUILD_PROCS", 0)
