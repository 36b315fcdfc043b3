"""Configuration: defaults here, then ``instance/config.py``, then the environment."""

import os
import secrets
from pathlib import Path


class Defaults:
    # A request body larger than this is refused with 413 before any parsing.
    MAX_CONTENT_LENGTH = 256 * 1024
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "zh_CN"
    # Times are stored in UTC and shown, filtered and exported in this zone.
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # A sign-in session ends after this long without a request (a floor shift), and
    # this long after sign-in whatever happens; the session cookie lasts as long
    # (PERMANENT_SESSION_LIFETIME is set from it) and is not renewed on each request.
    SESSION_IDLE_SECONDS = 12 * 3600
    SESSION_MAX_SECONDS = 7 * 24 * 3600
    SESSION_REFRESH_EACH_REQUEST = False
    # Sign-in attempts allowed per address and user name, and per address over every
    # name, before a lock-out of LOGIN_LOCKOUT_SECONDS; each attempt let through after
    # a lock doubles it, up to the maximum. Counts are forgotten a day after the last.
    LOGIN_FREE_ATTEMPTS = 5
    LOGIN_ADDRESS_FREE_ATTEMPTS = 20
    LOGIN_LOCKOUT_SECONDS = 30
    LOGIN_LOCKOUT_MAX_SECONDS = 15 * 60
    LOGIN_FAILURES_KEPT_SECONDS = 24 * 3600
    PAGE_SIZE = 50
    # werkzeug's method for password hashes; the tests use a faster one.
    PASSWORD_HASH_METHOD = "scrypt"
    # Application log level (stockapp.app_logging); STOCKAPP_LOG_LEVEL overrides it.
    LOG_LEVEL = "INFO"
    # The shop serves StockApp behind an HTTPS reverse proxy (STOCKAPP_HTTPS=1): cookies
    # are sent over HTTPS only, browsers are told to come back over HTTPS only (HSTS),
    # and the proxy's X-Forwarded-For/-Proto/-Host are trusted. Only ever with a proxy in
    # front and gunicorn reachable by the proxy alone: anyone else could forge them.
    HTTPS = False


def is_on(value: str) -> bool:
    """An environment switch: 1, true, yes or on (any case) is on; anything else off."""
    return value.strip().lower() in ("1", "true", "yes", "on")


def normalise_database_url(url: str) -> str:
    """Give ``postgres://`` and ``postgresql://`` URLs the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def instance_secret_key(instance_path: str) -> str:
    """Read the secret key kept in the instance folder, creating it on first start.

    Several gunicorn workers may start at once: the key is written to a private
    temporary file and hard-linked into place, so exactly one key wins and every
    worker reads that one.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        Path(instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
