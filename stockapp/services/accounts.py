"""Users, passwords, the failed-login throttle and API tokens."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Row, bindparam, exists, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import run, utcnow, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import ApiToken, LoginThrottle, Role, User
from .errors import InvalidInput, LoginThrottled, NotFound

MIN_PASSWORD = 8


def any_user() -> bool:
    return bool(db.session.scalar(select(exists().where(User.id.is_not(None)))))


def create_user(*, username: str, password: str, role: Role | str, first_run: bool = False) -> int:
    """Create an active user and return the id. Passwords are stored hashed.

    With ``first_run``, the user is made only while there are no users at all,
    and two first-run requests at once cannot both succeed.
    """
    errors = {}
    username = (username or "").strip()
    if not 1 <= len(username) <= 64:
        errors["username"] = _l("Enter a user name of at most 64 characters.")
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = _l("Use at least %(min)d characters.", min=MIN_PASSWORD)
    if role not in set(Role):
        errors["role"] = _l("Choose viewer, clerk or manager.")
    if errors:
        raise InvalidInput(_l("The user could not be saved."), errors)
    taken = InvalidInput(
        _l("The user could not be saved."), {"username": _l("This user name is taken.")}
    )
    try:
        with write_transaction() as session:
            if first_run:
                if session.get_bind().dialect.name == "postgresql":
                    # SQLite's write transaction already excludes every other writer.
                    session.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
                if any_user():
                    raise InvalidInput(_l("StockApp is already set up."))
            if session.scalar(select(User.id).where(User.username == username)):
                raise taken
            user = User(username=username, password_hash=_hash(password), role=Role(role))
            session.add(user)
            session.flush()
            return user.id
    except IntegrityError as clash:  # the same name, made a moment ago by someone else
        raise taken from clash


def create_first_manager(*, username: str, password: str) -> int:
    """Create the first manager; refused once any user exists (first run only)."""
    return create_user(username=username, password=password, role=Role.MANAGER, first_run=True)


def authenticate(username: str, password: str) -> int | None:
    """The id of the active user with these credentials, or None.

    After ``LOGIN_FREE_ATTEMPTS`` failures for a user name, each further failure
    locks that name for twice as long as the last (``LoginThrottled``), up to
    ``LOGIN_LOCKOUT_MAX_SECONDS``. A success clears the count.
    """
    key = (username or "").strip().lower()[:64]
    throttle = db.session.get(LoginThrottle, key)
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise LoginThrottled(int((throttle.locked_until - now).total_seconds()) + 1)
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    valid = check_password_hash(
        user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]),
        password or "",
    )
    ok = valid and user is not None and user.active
    user_id = user.id if ok else None
    with write_transaction() as session:
        throttle = session.get(LoginThrottle, key)
        if ok:
            if throttle is not None:
                session.delete(throttle)
            return user_id
        if throttle is None:
            throttle = LoginThrottle(username=key, failures=0)
            session.add(throttle)
        throttle.failures += 1
        config = current_app.config
        over = throttle.failures - config["LOGIN_FREE_ATTEMPTS"]
        if over >= 0:
            seconds = min(
                config["LOGIN_LOCKOUT_SECONDS"] * 2**over, config["LOGIN_LOCKOUT_MAX_SECONDS"]
            )
            throttle.locked_until = now + timedelta(seconds=seconds)
    return None


def create_token(username: str) -> tuple[int, str]:
    """A new API token for the user: ``(id, token)``. Only its hash is kept."""
    token = "sa_" + secrets.token_urlsafe(32)
    with write_transaction() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(_l("No user named %(name)s.", name=username))
        row = ApiToken(user_id=user_id, token_hash=_token_hash(token))
        session.add(row)
        session.flush()
        return row.id, token


def revoke_token(token_or_id: str) -> int:
    """Revoke a token, given itself or its id; returns the id."""
    with write_transaction() as session:
        condition = (
            ApiToken.id == int(token_or_id)
            if token_or_id.isdigit()
            else ApiToken.token_hash == _token_hash(token_or_id)
        )
        row = session.scalar(select(ApiToken).where(condition))
        if row is None:
            raise NotFound(_l("No such token."))
        row.revoked_at = row.revoked_at or utcnow()
        return row.id


_users, _tokens = User.__table__, ApiToken.__table__
# Built once: every API request runs it.
_TOKEN_USER = (
    select(_users.c.id, _users.c.username, _users.c.role)
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.revoked_at.is_(None),
        _users.c.active,
    )
)


def user_for_token(token: str) -> Row | None:
    """``(id, username, role)`` of the active user a live token belongs to, or None."""
    return run(_TOKEN_USER, {"token_hash": _token_hash(token)}).first()


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the user name is unknown, so both cases take as long."""
    return generate_password_hash("not a password of anyone", method=method)


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough to keep them secret at rest.
    return hashlib.sha256(token.encode()).hexdigest()


def set_locale(user_id: int, locale: str | None) -> None:
    """The user's interface language; None follows the browser."""
    with write_transaction() as session:
        session.get(User, user_id).locale = locale
