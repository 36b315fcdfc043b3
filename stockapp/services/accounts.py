"""Users, passwords, sign-in sessions, the failed-login throttle and API tokens."""

import hashlib
import math
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import Row, bindparam, case, delete, exists, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import Prepared, read_apart, run, upsert, utcnow, write_apart, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import ApiToken, AuditAction, AuditSubject, LoginThrottle, Role, User, UserSession
from ..models.accounts import (
    MAX_ADDRESS,
    MAX_DISPLAY_NAME,
    MAX_USER_AGENT,
    MAX_USERNAME,
    SignedIn,
)
from ..queries.stock import STOCK_VERSION
from . import audit, size_groups, warehouses
from .errors import InvalidInput, LastManager, LoginThrottled, NotFound

MIN_PASSWORD = 10
# Long passphrases are welcome; hashing megabytes is not.
MAX_PASSWORD = 200
# A session's last request and a token's last use are written at most this often:
# a write on SQLite takes the database's one write lock.
TOUCH_EVERY = timedelta(minutes=1)
# An API token's lifetime in days, at most (create-token --days).
MAX_TOKEN_DAYS = 3650
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


def any_user() -> bool:
    return bool(db.session.scalar(select(exists().where(User.id.is_not(None)))))


# ---------------------------------------------------------------- users


def password_problem(password: str, username: str):
    """Why ``password`` may not be ``username``'s password, or None when it may.

    At least ``MIN_PASSWORD`` characters (at most ``MAX_PASSWORD``), not the user name,
    and not one of the most common passwords (``data/common_passwords.txt``), ignoring
    case.
    """
    if len(password) < MIN_PASSWORD:
        return _l("Use at least %(min)d characters.", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _l("At most %(max)d characters.", max=MAX_PASSWORD)
    folded = password.strip().casefold()
    if folded == username.strip().casefold():
        return _l("The password cannot be the user name.")
    if folded in _common_passwords():
        return _l("This is one of the most common passwords: choose another.")
    return None


@cache
def _common_passwords() -> frozenset[str]:
    """The 1,780 passwords of at least 10 characters among the 20,000 most common ones
    (Royce Williams' list, as Django ships it in ``contrib/auth/common-passwords.txt.gz``;
    the shorter ones are refused by length anyway). Lower-case, one a line."""
    return frozenset(COMMON_PASSWORDS.read_text(encoding="utf-8").split("\n")) - {""}


def create_user(
    *,
    username: str,
    password: str,
    role: Role | str,
    display_name: str = "",
    must_change_password: bool = False,
    actor_id: int | None = None,
    first_run: bool = False,
) -> int:
    """Create an active user and return the id. Passwords are stored hashed. A manager
    works in every warehouse, anyone else in the main one to start with.

    With ``must_change_password`` the password is a first one handed over: every page
    asks the user for a new one until they have chosen it. With ``first_run``, the
    user is made only while there are no users at all, and two first-run requests at
    once cannot both succeed; the starting size groups come with it. The audit row
    names ``actor_id`` (the first manager made themselves).
    """
    errors = {}
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    if not 1 <= len(username) <= MAX_USERNAME:
        errors["username"] = _l("Enter a user name of at most 64 characters.")
    if len(display_name) > MAX_DISPLAY_NAME:
        errors["display_name"] = _l("At most %(max)d characters.", max=MAX_DISPLAY_NAME)
    problem = password_problem(password or "", username)
    if problem:
        errors["password"] = problem
    if role not in set(Role):
        errors["role"] = _l("Choose viewer, clerk or manager.")
    if errors:
        raise InvalidInput(_l("The user could not be saved."), errors)

    def taken() -> InvalidInput:  # made only when raised: a DomainError logs its refusal
        return InvalidInput(
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
                size_groups.add_starting_groups(session)
            if session.scalar(select(User.id).where(User.username == username)):
                raise taken()
            user = User(
                username=username,
                display_name=display_name,
                password_hash=_hash(password),
                role=Role(role),
                must_change_password=must_change_password,
            )
            session.add(user)
            session.flush()
            warehouses.give_starting_warehouses(session, user)
            after = {"display_name": display_name, "role": user.role, "active": True}
            audit.record(
                session,
                actor_id=user.id if first_run else actor_id,
                subject=AuditSubject.USER,
                key=username,
                action=AuditAction.CREATED,
                after=after | {"password": "set"},
            )
            return user.id
    except IntegrityError as clash:  # the same name, made a moment ago by someone else
        raise taken() from clash


def create_first_manager(*, username: str, password: str) -> int:
    """Create the first manager; refused once any user exists (first run only)."""
    return create_user(username=username, password=password, role=Role.MANAGER, first_run=True)


def change_user(
    *,
    username: str,
    actor_id: int | None = None,
    role: Role | str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
    password: str | None = None,
    first_password: bool = True,
) -> int:
    """Change what is given of a user, in one transaction; return the id.

    A new ``password`` follows the rule of a new user's; with ``first_password`` (a
    manager's reset) the user must choose another at their next sign-in. A new
    password or role ends every session they are signed in with; deactivating ends
    them and revokes every token too (reactivating brings neither back). The last
    active manager can be neither demoted nor deactivated (``LastManager``): the
    active managers' rows are locked first, so two managers demoting each other at
    once leave one. Each change writes its audit row: ``CHANGED`` with the fields
    before and after (a password only as ``"reset"``), ``DEACTIVATED`` or
    ``REACTIVATED``.
    """
    errors = {}
    if role is not None and role not in set(Role):
        errors["role"] = _l("Choose viewer, clerk or manager.")
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > MAX_DISPLAY_NAME:
            errors["display_name"] = _l("At most %(max)d characters.", max=MAX_DISPLAY_NAME)
    if password is not None:
        problem = password_problem(password, username or "")
        if problem:
            errors["password"] = problem
    if errors:
        raise InvalidInput(_l("The user could not be saved."), errors)
    with write_transaction() as session:
        managers = _lock_active_managers(session)
        user = _user_named(username)
        before = {"role": user.role, "active": user.active, "display_name": user.display_name}
        after = dict(before)
        if role is not None:
            after["role"] = Role(role)
        if active is not None:
            after["active"] = active
        if display_name is not None:
            after["display_name"] = display_name
        still_manager = after["role"] == Role.MANAGER and after["active"]
        if user.id in managers and len(managers) == 1 and not still_manager:
            raise LastManager(
                _l(
                    "%(name)s is the last active manager: make another user a manager first.",
                    name=user.username,
                )
            )
        old, new = audit.changes(before, after)
        activity = new.pop("active", None)
        old.pop("active", None)
        if user.role is Role.MANAGER and after["role"] != Role.MANAGER:
            kept = warehouses.keep_warehouses_when_demoted(session, user)
            old.update({key: True for key in kept})
            new.update(kept)
        user.role, user.active, user.display_name = (
            after["role"],
            after["active"],
            after["display_name"],
        )
        _known_roles().pop(user.id, None)
        warehouses.forget_works_in(user.id)
        if password is not None:
            user.password_hash = _hash(password)
            user.must_change_password = first_password
            new["password"] = "reset"
        if "role" in new or password is not None or activity is False:
            _end_sessions_of(user.id)
        if new:
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.USER,
                key=user.username,
                action=AuditAction.CHANGED,
                before=old,
                after=new,
            )
        if activity is not None:
            revoked = 0
            if activity is False:
                revoked = session.execute(
                    update(ApiToken)
                    .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                ).rowcount
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.USER,
                key=user.username,
                action=AuditAction.REACTIVATED if activity else AuditAction.DEACTIVATED,
                before={"active": not activity},
                after={"active": activity} | ({"tokens_revoked": revoked} if revoked else {}),
            )
        return user.id


def _lock_active_managers(session) -> set[int]:
    """The ids of the active managers, their rows locked (in id order) until commit.

    On PostgreSQL a second transaction waits here, then sees the first one's change;
    SQLite's write transaction already excludes every other writer."""
    return set(
        session.scalars(
            select(User.id)
            .where(User.role == Role.MANAGER, User.active)
            .order_by(User.id)
            .with_for_update()
        )
    )


def set_password(*, username: str, password: str, actor_id: int | None = None) -> int:
    """Give the user a new password (the same rule as a new user's) and end every
    session they are signed in with; from the terminal, so it is not a first password.
    Their API tokens keep working: a token is not made from the password."""
    return change_user(
        username=username, password=password or "", actor_id=actor_id, first_password=False
    )


def set_role(*, username: str, role: Role | str, actor_id: int | None = None) -> int:
    """Change the user's role and end every session they are signed in with."""
    return change_user(username=username, role=role, actor_id=actor_id)


def deactivate(*, username: str, actor_id: int | None = None) -> int:
    """Stop the user signing in or using the API: every session ends, every token is
    revoked (reactivating does not bring them back)."""
    return change_user(username=username, active=False, actor_id=actor_id)


def reactivate(*, username: str, actor_id: int | None = None) -> int:
    """Let a deactivated user sign in again (with a new session; old tokens stay revoked)."""
    return change_user(username=username, active=True, actor_id=actor_id)


def change_own_password(*, user_id: int, current: str, password: str, session_token: str) -> None:
    """The signed-in user replaces their password: ``current`` must be right, the new one
    follows the rule and differs from it. Every other session of theirs ends; the one
    ``session_token`` names stays signed in."""
    user = db.session.get(User, user_id)
    errors = {}
    if user is None or not check_password_hash(user.password_hash, current or ""):
        errors["current"] = _l("This is not your current password.")
    problem = password_problem(password or "", user.username if user else "")
    if problem:
        errors["password"] = problem
    elif password == current:
        errors["password"] = _l("Choose a password other than the current one.")
    if errors:
        raise InvalidInput(_l("The password could not be changed."), errors)
    with write_transaction() as session:
        user = session.get(User, user_id)
        user.password_hash = _hash(password)
        user.must_change_password = False
        _end_sessions(
            (UserSession.user_id == user_id)
            & (UserSession.token_hash != _token_hash(session_token))
        )
        audit.record(
            session,
            actor_id=user_id,
            subject=AuditSubject.USER,
            key=user.username,
            action=AuditAction.CHANGED,
            after={"password": "changed"},
        )


def _user_named(username: str) -> User:
    user = db.session.scalar(
        select(User)
        .where(User.username == (username or "").strip())
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound(_l("No user named %(name)s.", name=username))
    return user


def set_locale(user_id: int, locale: str | None) -> None:
    """The user's interface language; None follows the browser."""
    with write_transaction() as session:
        session.get(User, user_id).locale = locale


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the user name is unknown, so both cases take as long."""
    return generate_password_hash("not a password of anyone", method=method)


# ---------------------------------------------------------------- signing in


def authenticate(username: str, password: str, *, address: str) -> int | None:
    """The id of the active user with these credentials, or None.

    Each attempt is claimed before its password is checked, per ``address`` and per
    (``address``, user name), so that parallel tries are counted exactly. After
    ``LOGIN_FREE_ATTEMPTS`` for a name from an address, or
    ``LOGIN_ADDRESS_FREE_ATTEMPTS`` for every name from an address, further
    attempts from there are refused (``LoginThrottled``) for ``LOGIN_LOCKOUT_SECONDS``,
    twice as long with each one let through after a lock, up to
    ``LOGIN_LOCKOUT_MAX_SECONDS``. Another address is never held up. A success
    clears the name's count and gives the address its attempt back; counts are
    forgotten ``LOGIN_FAILURES_KEPT_SECONDS`` after the last attempt.
    """
    name = (username or "").strip()
    key = name.lower()[:MAX_USERNAME]
    address = (address or "")[:MAX_ADDRESS]
    _claim_attempt(address, key)
    user = db.session.scalar(select(User).where(User.username == name))
    valid = check_password_hash(
        user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]),
        password or "",
    )
    if not (valid and user is not None and user.active):
        return None
    user_id = user.id
    _give_back_attempt(address, key)
    return user_id


_throttle = LoginThrottle.__table__


@cache
def _claim_statement(dialect: str):
    """Count one more attempt unless the row is locked: RETURNING the count, or nothing."""
    insert = upsert(dialect)(_throttle).values(
        address=bindparam("address"),
        username=bindparam("username"),
        failures=1,
        last_attempt_at=bindparam("now"),
    )
    return insert.on_conflict_do_update(
        index_elements=["address", "username"],
        set_={
            "failures": case(
                (_throttle.c.last_attempt_at < bindparam("forget_before"), 1),
                else_=_throttle.c.failures + 1,
            ),
            "last_attempt_at": insert.excluded.last_attempt_at,
        },
        where=or_(_throttle.c.locked_until.is_(None), _throttle.c.locked_until <= bindparam("now")),
    ).returning(_throttle.c.failures)


def _claim_attempt(address: str, name: str) -> None:
    """Claim an attempt for the address and for (address, name), or raise
    ``LoginThrottled`` and claim neither. Committed before the password is checked."""
    config = current_app.config
    now = utcnow()
    params = {
        "address": address,
        "now": now,
        "forget_before": now - timedelta(seconds=config["LOGIN_FAILURES_KEPT_SECONDS"]),
    }
    limits = [("", config["LOGIN_ADDRESS_FREE_ATTEMPTS"])]
    if name:
        limits.append((name, config["LOGIN_FREE_ATTEMPTS"]))
    with write_transaction() as session:
        statement = _claim_statement(session.get_bind().dialect.name)
        for username, free in limits:  # always the address's row first: no deadlock
            row = _throttle.c.address == address, _throttle.c.username == username
            claimed = session.execute(statement, {**params, "username": username}).scalar()
            if claimed is None:  # locked: the exception rolls back the claims made
                locked_until = session.scalar(select(_throttle.c.locked_until).where(*row))
                raise LoginThrottled(max(1, math.ceil((locked_until - now).total_seconds())))
            over = claimed - free
            if over >= 0:
                seconds = min(
                    config["LOGIN_LOCKOUT_SECONDS"] * 2**over, config["LOGIN_LOCKOUT_MAX_SECONDS"]
                )
                locked_until = now + timedelta(seconds=seconds)
                session.execute(update(_throttle).where(*row).values(locked_until=locked_until))


def _give_back_attempt(address: str, name: str) -> None:
    """A success: the name's count is cleared, the address's attempt given back."""
    free = current_app.config["LOGIN_ADDRESS_FREE_ATTEMPTS"]
    with write_transaction() as session:
        session.execute(
            update(_throttle)
            .where(_throttle.c.address == address, _throttle.c.username == "")
            .values(
                failures=_throttle.c.failures - 1,
                locked_until=case(
                    (_throttle.c.failures - 1 < free, None), else_=_throttle.c.locked_until
                ),
            )
        )
        if name:
            pair = _throttle.c.address == address, _throttle.c.username == name
            session.execute(delete(_throttle).where(*pair))


# ---------------------------------------------------------------- sessions


def start_session(user_id: int, *, address: str, user_agent: str) -> str:
    """A new sign-in session for the user; returns its token, for the session cookie."""
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.add(
            UserSession(
                token_hash=_token_hash(token),
                user_id=user_id,
                address=(address or "")[:MAX_ADDRESS],
                user_agent=(user_agent or "")[:MAX_USER_AGENT],
            )
        )
    return token


def end_session(token: str) -> None:
    """Sign out: the session ends, and its cookie is refused from then on."""
    with write_transaction():
        _end_sessions(UserSession.token_hash == _token_hash(token))


def _end_sessions_of(user_id: int) -> None:
    _end_sessions(UserSession.user_id == user_id)


def _end_sessions(which) -> None:
    """End the live sessions ``which`` picks, in the caller's write transaction."""
    db.session.execute(
        update(UserSession).where(which, UserSession.ended_at.is_(None)).values(ended_at=utcnow())
    )


_sessions, _users = UserSession.__table__, User.__table__
# Built once: every page request runs it (flask-login's user loader).
_SESSION_USER = Prepared(
    select(
        _users.c.id,
        _users.c.username,
        _users.c.locale,
        _users.c.must_change_password,
        _sessions.c.id,
        _sessions.c.last_seen_at,
        STOCK_VERSION.scalar_subquery(),
        *warehouses.WORKS_IN_COLUMNS,
    )
    .select_from(warehouses.WITH_WAREHOUSES)
    .join(_sessions, _sessions.c.user_id == _users.c.id)
    .where(
        _sessions.c.token_hash == bindparam("token_hash"),
        _sessions.c.ended_at.is_(None),
        _sessions.c.last_seen_at > bindparam("idle_since"),
        _sessions.c.created_at > bindparam("started_since"),
        _users.c.active,
    )
)
_TOUCH_SESSION = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("row_id"), _sessions.c.last_seen_at < bindparam("stale"))
    .values(last_seen_at=bindparam("now"))
)


def user_for_session(token: str, *, apart: bool = False) -> SignedIn | None:
    """The active user of a live session, in one query; None once the session has
    ended, been idle ``SESSION_IDLE_SECONDS`` or lasted ``SESSION_MAX_SECONDS``.
    ``apart``: read on a connection of its own, not the request's session's.

    Its last request is written at most once a minute, in a transaction of its own.
    """
    config = current_app.config
    now = utcnow()
    rows = (read_apart if apart else run)(
        _SESSION_USER,
        {
            "token_hash": _token_hash(token),
            "idle_since": now - timedelta(seconds=config["SESSION_IDLE_SECONDS"]),
            "started_since": now - timedelta(seconds=config["SESSION_MAX_SECONDS"]),
        },
    ).all()
    if not rows:
        return None
    user_id, username, locale, must_change, session_id, last_seen_at, version, role = rows[0][:8]
    if not apart:  # for this request's checks of role and warehouse
        _known_roles()[user_id] = role
        warehouses.remember_works_in(user_id, rows)
    stale = now - TOUCH_EVERY
    if last_seen_at <= stale:
        write_apart(_TOUCH_SESSION, {"row_id": session_id, "now": now, "stale": stale})
    return SignedIn(user_id, username, Role(role), locale, must_change, token, version)


# ---------------------------------------------------------------- API tokens


def create_token(
    username: str, *, days: int | None = None, actor_id: int | None = None
) -> tuple[int, str]:
    """A new API token for the active user: ``(id, token)``. Only its hash is kept. It
    expires after ``days`` (1 to ``MAX_TOKEN_DAYS``); None: never."""
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            _l("The token could not be made."),
            {"days": _l("Enter a whole number from 1 to %(max)d.", max=MAX_TOKEN_DAYS)},
        )
    token = "sa_" + secrets.token_urlsafe(32)
    with write_transaction() as session:
        user = _user_named(username)
        if not user.active:
            raise InvalidInput(
                _l("The token could not be made."),
                {"username": _l("%(name)s is deactivated.", name=user.username)},
            )
        row = ApiToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + timedelta(days=days) if days else None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.TOKEN,
            key=f"#{row.id}",
            action=AuditAction.CREATED,
            after={"user": user.username, "expires_at": row.expires_at},
        )
        return row.id, token


def revoke_token(token_or_id: str, *, actor_id: int | None = None) -> int:
    """Revoke a token, given itself or its id; returns the id. Revoking one already
    revoked changes nothing."""
    with write_transaction() as session:
        condition = (
            ApiToken.id == int(token_or_id)
            if token_or_id.isdigit()
            else ApiToken.token_hash == _token_hash(token_or_id)
        )
        row = session.scalar(select(ApiToken).where(condition))
        if row is None:
            raise NotFound(_l("No such token."))
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(
                session,
                actor_id=actor_id,
                subject=AuditSubject.TOKEN,
                key=f"#{row.id}",
                action=AuditAction.REVOKED,
                before={"revoked_at": None},
                after={"revoked_at": row.revoked_at},
            )
        return row.id


_tokens = ApiToken.__table__
# Built once: every API request runs it.
_TOKEN_USER = Prepared(
    select(
        _users.c.id,
        _users.c.username,
        *warehouses.WORKS_IN_COLUMNS,
        _tokens.c.id.label("token_id"),
        _tokens.c.last_used_at,
    )
    .select_from(warehouses.WITH_WAREHOUSES)
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.revoked_at.is_(None),
        or_(_tokens.c.expires_at.is_(None), _tokens.c.expires_at > bindparam("now")),
        _users.c.active,
    )
)
_TOUCH_TOKEN = (
    update(_tokens)
    .where(
        _tokens.c.id == bindparam("row_id"),
        or_(_tokens.c.last_used_at.is_(None), _tokens.c.last_used_at < bindparam("stale")),
    )
    .values(last_used_at=bindparam("now"))
)


def user_for_token(token: str) -> Row | None:
    """``(id, username, role, …)`` of the active user a live, unexpired token belongs
    to, or None: one query. Its last use is written at most once a minute."""
    now = utcnow()
    rows = run(_TOKEN_USER, {"token_hash": _token_hash(token), "now": now}).all()
    if not rows:
        return None
    found = rows[0]
    _known_roles()[found.id] = found.role
    warehouses.remember_works_in(found.id, rows)
    stale = now - TOUCH_EVERY
    if found.last_used_at is None or found.last_used_at <= stale:
        write_apart(_TOUCH_TOKEN, {"row_id": found.token_id, "now": now, "stale": stale})
    return found


def role_of(user_id: int) -> Role | None:
    """A user's role, None if there is no such user. The request's own user's role
    comes from the query that signed the request in (``user_for_token``), so a hot
    write that asks (is the operator a manager?) costs no statement of its own."""
    role = _known_roles().get(user_id) or run(_ROLE, {"id": user_id}).scalar()
    return None if role is None else Role(role)


def is_manager(user_id: int) -> bool:
    """Whether a user is a manager (who posts what others submit for approval)."""
    role = role_of(user_id)
    return role is not None and role.rank >= Role.MANAGER.rank


def _known_roles() -> dict:
    # The session lives for one request (or one CLI command): so does what it holds.
    return db.session().info.setdefault(KNOWN_ROLES, {})


KNOWN_ROLES = "stockapp_known_roles"
_ROLE = select(_users.c.role).where(_users.c.id == bindparam("id"))


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough to keep them secret at rest.
    return hashlib.sha256(token.encode()).hexdigest()
