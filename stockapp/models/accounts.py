"""Users, their roles, their sign-in sessions, API tokens and the failed-login throttle."""

from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .vocabulary import Vocabulary, stored_as

# A user name, as typed at sign-in.
MAX_USERNAME = 64
# The name shown in lists and logs (王小明), beside the user name.
MAX_DISPLAY_NAME = 64
# What a sign-in session keeps of where it came from: an IPv6 address with its zone
# fits in 64; a browser's user agent is cut to 255.
MAX_ADDRESS = 64
MAX_USER_AGENT = 255


class Role(Vocabulary):
    """Roles in rising order of power: each may do what the ones before it may."""

    VIEWER = "viewer", _l("Viewer")
    CLERK = "clerk", _l("Clerk")
    MANAGER = "manager", _l("Manager")

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class RoleCheck:
    """``has_role`` for whatever carries a ``role``: a user row, or who a request is
    signed in as."""

    def has_role(self, role: Role) -> bool:
        """True when this user's role is ``role`` or a more powerful one."""
        return Role(self.role).rank >= role.rank


@dataclass(frozen=True)
class SignedIn(RoleCheck, UserMixin):
    """Who a page request is signed in as (flask-login's ``current_user``): plain
    data read in one query, no ORM object to build or track on every request."""

    id: int
    username: str
    role: Role
    locale: str | None
    # True until the user replaces a first password a manager gave them.
    must_change_password: bool
    # The sign-in session it was loaded through: the session cookie holds its token.
    session_token: str
    # The stock version as the request began (``queries.stock_version``), read by the
    # same query: the live poll answers from it, so a poll costs one statement.
    stock_version: int

    def get_id(self) -> str:
        return self.session_token


class User(RoleCheck, UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(MAX_USERNAME), unique=True)
    # Empty: the user name is shown.
    display_name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_as(Role, 16))
    # None: follow the browser's language.
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # A first password handed over by a manager: every page asks for a new one until
    # the user has chosen it.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A manager who works in every warehouse, those added later included; anyone else
    # works in the warehouses ``user_warehouses`` gives them.
    all_warehouses: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_active(self) -> bool:
        return self.active

    # The sign-in session this user object was loaded through (not a column): the
    # session cookie holds its token, so flask-login's get_id() answers with it.
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: never expires.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Refreshed at most once a minute, not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TokenState(Vocabulary):
    """Where an API token stands (worked out from its times, not stored)."""

    LIVE = "live", _l("In use")
    EXPIRED = "expired", _l("Expired")
    REVOKED = "revoked", _l("Revoked")


class UserSession(db.Model):
    """One sign-in in one browser. The session cookie holds its random token; only the
    token's SHA-256 is kept. It ends at logout, when the user's password or role
    changes or the user is deactivated, after ``SESSION_IDLE_SECONDS`` without a
    request and ``SESSION_MAX_SECONDS`` after sign-in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed at most once a minute, not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(MAX_ADDRESS), default="")
    user_agent: Mapped[str] = mapped_column(String(MAX_USER_AGENT), default="")


class LoginThrottle(db.Model):
    """Sign-in attempts claimed per address (``username`` empty) and per address and
    user name, so that guessing passwords gets slow without locking the user out
    from anywhere else. An attempt is counted before its password is checked."""

    __tablename__ = "login_throttle"

    address: Mapped[str] = mapped_column(String(MAX_ADDRESS), primary_key=True)
    # Lower-cased; empty for the row that counts every name tried from the address.
    username: Mapped[str] = mapped_column(String(MAX_USERNAME), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditSubject(Vocabulary):
    """What an audit row is about: everything managers change that is not stock."""

    PRODUCT = "product", _l("Product")
    VARIANT = "variant", _l("Variant")
    SIZE_GROUP = "size_group", _l("Size group")
    COLOUR = "colour", _l("Colour")
    USER = "user", _l("User")
    TOKEN = "token", _l("API token")
    SETTING = "setting", _l("Setting")
    SUPPLIER = "supplier", _l("Supplier")
    LOCATION = "location", _l("Location")
    WAREHOUSE = "warehouse", _l("Warehouse")


class AuditAction(Vocabulary):
    CREATED = "created", _l("Added")
    CHANGED = "changed", _l("Changed")
    ARCHIVED = "archived", _l("Archived")
    RESTORED = "restored", _l("Restored")
    DEACTIVATED = "deactivated", _l("Deactivated")
    REACTIVATED = "reactivated", _l("Reactivated")
    REVOKED = "revoked", _l("Revoked")
    DELETED = "deleted", _l("Deleted")


# What an audit row names its subject by: a style code, a SKU, a user name, a
# setting's key, a supplier's or location's name.
MAX_AUDIT_KEY = 120


class AuditEntry(db.Model):
    """One change to something that is not stock (操作日志): who, when, what, the
    fields before and after. Written in the change's own transaction by
    ``services.audit.record``; never updated or deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject_id", "subject", "id"),
        Index("ix_audit_entries_actor_id_id", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: done in the terminal (a flask command), not by a signed-in user.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[AuditSubject] = mapped_column(stored_as(AuditSubject, 16))
    subject_key: Mapped[str] = mapped_column(String(MAX_AUDIT_KEY))
    action: Mapped[AuditAction] = mapped_column(stored_as(AuditAction, 16))
    # The fields that changed, as JSON objects: None before a creation, after a deletion.
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
