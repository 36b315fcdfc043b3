"""The read side of accounts: the API tokens, for the managers' page and list-tokens."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..models import ApiToken, TokenState, User


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
