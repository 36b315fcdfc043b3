"""The read side of accounts: the API tokens (the managers' page and list-tokens), the
users with their last sign-in, and the audit trail."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import func, select

from ..database import utcnow
from ..extensions import db
from ..models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    AuditSubject,
    Role,
    TokenState,
    User,
    UserSession,
)
from . import pager
from .movements import day_bounds
from .pager import FIRST, Cursor, Page, fetch


@dataclass(frozen=True)
class TokenRow:
    id: int
    username: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: TokenState


def tokens() -> list[TokenRow]:
    """Every API token, newest first, with its user and whether it still works."""
    now = utcnow()
    rows = db.session.execute(
        select(
            ApiToken.id,
            User.username,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.expires_at,
            ApiToken.revoked_at,
        )
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.id.desc())
    )
    return [TokenRow(*row, state=_state(row, now)) for row in rows]


def _state(row, now: datetime) -> TokenState:
    if row.revoked_at is not None:
        return TokenState.REVOKED
    if row.expires_at is not None and row.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.LIVE


# ---------------------------------------------------------------- users


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    must_change_password: bool
    created_at: datetime
    # When they last signed in (any session's start); None: never.
    last_sign_in: datetime | None


_LAST_SIGN_IN = (
    select(func.max(UserSession.created_at))
    .where(UserSession.user_id == User.id)
    .correlate(User)
    .scalar_subquery()
)


_USER_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.active,
    User.must_change_password,
    User.created_at,
    _LAST_SIGN_IN.label("last_sign_in"),
)


def users(*, cursor: Cursor = FIRST, limit: int = 50) -> Page:
    """Users in the order they were made, keyset-paged by id, each with their last
    sign-in: one query a page."""
    found = fetch(select(*_USER_COLUMNS), by=User.id, limit=limit, cursor=cursor, descending=False)
    return found.with_rows([UserRow(*row) for row in found.rows])


def user(username: str) -> UserRow | None:
    """One user by name, as ``users`` lists them; None if unknown."""
    found = db.session.execute(select(*_USER_COLUMNS).where(User.username == username)).first()
    return None if found is None else UserRow(*found)


def active_usernames() -> list[str]:
    """The user names of active users, A → Z (who a new API token may be for)."""
    return list(
        db.session.scalars(select(User.username).where(User.active).order_by(User.username))
    )


# ---------------------------------------------------------------- the audit trail

# The actor filter's value for changes made in the terminal (a flask command).
TERMINAL = "-"


@dataclass(frozen=True)
class AuditCriteria:
    """What the audit trail shows. Empty fields filter nothing; dates are inclusive,
    local days."""

    subject: str = ""  # an AuditSubject value
    actor: str = ""  # a user name, or TERMINAL
    key: str = ""  # text in the subject's key (a style code, a user name …)
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str | None  # None: the terminal
    subject: AuditSubject
    subject_key: str
    action: AuditAction
    before: dict | None
    after: dict | None

    @property
    def fields(self) -> list[tuple[str, object, object]]:
        """Each field the change names: (name, before, after); a value it does not
        have is None."""
        before, after = self.before or {}, self.after or {}
        names = list(dict.fromkeys([*before, *after]))
        return [(name, before.get(name), after.get(name)) for name in names]


def audit_page(criteria: AuditCriteria, *, cursor: Cursor = FIRST, limit: int = 50) -> Page:
    """Audit rows newest first, keyset-paged by id: one query a page."""
    found = fetch(_audit_query(criteria), by=AuditEntry.id, limit=limit, cursor=cursor)
    return found.with_rows([_audit_row(row) for row in found.rows])


def each_audit_row(criteria: AuditCriteria, *, limit: int, batch: int = 1000):
    """Every audit row the criteria match, newest first, up to ``limit`` of them."""
    return pager.each(partial(audit_page, criteria), limit=limit, batch=batch)


def _audit_query(criteria: AuditCriteria):
    query = select(
        AuditEntry.id,
        AuditEntry.at,
        User.username,
        AuditEntry.subject,
        AuditEntry.subject_key,
        AuditEntry.action,
        AuditEntry.before,
        AuditEntry.after,
    ).outerjoin(User, User.id == AuditEntry.actor_id)
    if criteria.subject:
        query = query.where(AuditEntry.subject == AuditSubject(criteria.subject))
    if criteria.actor == TERMINAL:
        query = query.where(AuditEntry.actor_id.is_(None))
    elif criteria.actor:
        query = query.where(User.username == criteria.actor)
    if criteria.key:
        query = query.where(
            func.lower(AuditEntry.subject_key).contains(criteria.key.lower(), autoescape=True)
        )
    start, end = day_bounds(criteria.date_from, criteria.date_to)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return query


def _audit_row(row) -> AuditRow:
    subject, action = AuditSubject(row.subject), AuditAction(row.action)
    return AuditRow(
        row.id, row.at, row.username, subject, row.subject_key, action, row.before, row.after
    )
