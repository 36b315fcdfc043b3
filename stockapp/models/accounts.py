"""Users, their roles, API tokens and the failed-login throttle."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .vocabulary import Vocabulary, stored_as

# A user name, as typed at sign-in.
MAX_USERNAME = 64


class Role(Vocabulary):
    """Roles in rising order of power: each may do what the ones before it may."""

    VIEWER = "viewer", _l("Viewer")
    CLERK = "clerk", _l("Clerk")
    MANAGER = "manager", _l("Manager")

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(MAX_USERNAME), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_as(Role, 16))
    # None: follow the browser's language.
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, role: Role) -> bool:
        """True when this user's role is ``role`` or a more powerful one."""
        return Role(self.role).rank >= role.rank


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(db.Model):
    """Failed logins per user name, so guessing passwords gets slow."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(MAX_USERNAME), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
