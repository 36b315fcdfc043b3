"""Users and the audit trail over the API: a new user, a change to one, the pages."""

from typing import Annotated

from pydantic import StringConstraints

from ..i18n import lazy_gettext as _l
from ..models import AuditAction, AuditSubject, Role
from ..models.accounts import MAX_DISPLAY_NAME, MAX_USERNAME
from ..services.accounts import MAX_PASSWORD
from .shared import (
    BLANK_IS_LEFT_OUT,
    NO_NUL,
    Answer,
    Contract,
    Cursor,
    Flag,
    Timestamp,
    optional_text,
    quantity,
    text,
    values_of,
    vocabulary,
)

RoleName = vocabulary(Role, _l("Unknown role. Use one of: %(roles)s.", roles=values_of(Role)))
# A password as typed: spaces are part of it; the service checks the rule.
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD, pattern=NO_NUL)]


class NewUser(Contract):
    """A user with a first password to hand over: they choose their own at their first
    sign-in in the browser."""

    username: text(MAX_USERNAME)
    display_name: optional_text(MAX_DISPLAY_NAME) = ""
    role: RoleName
    password: Password


class UserChange(Contract):
    """What to change of a user; what is left out stays. ``password`` is a new first
    password (they choose their own at the next sign-in; their sessions end);
    ``active: false`` deactivates (sessions end, tokens are revoked)."""

    role: RoleName = None
    active: Flag = None
    display_name: optional_text(MAX_DISPLAY_NAME) = None  # "": the user name is shown
    password: Password = None


class UsersQuery(Contract):
    limit: quantity(1, 500, in_query=True) = 50
    cursor: Cursor = None


class User(Answer):
    username: str
    display_name: str
    role: vocabulary(Role)
    active: bool
    must_change_password: bool
    created_at: Timestamp
    last_sign_in: Timestamp | None


class UserPage(Answer):
    """Users in the order they were made; ``next_cursor`` reads the next page."""

    items: list[User]
    next_cursor: str | None


class AuditQuery(Contract):
    subject: Annotated[
        vocabulary(
            AuditSubject,
            _l("Unknown subject. Use one of: %(subjects)s.", subjects=values_of(AuditSubject)),
        ),
        BLANK_IS_LEFT_OUT,
    ] = None
    limit: quantity(1, 500, in_query=True) = 50
    cursor: Cursor = None


class AuditEntry(Answer):
    id: int
    at: Timestamp
    actor: str | None  # None: done in the terminal (a flask command)
    subject: vocabulary(AuditSubject)
    subject_key: str
    action: vocabulary(AuditAction)
    before: dict | None
    after: dict | None


class AuditPage(Answer):
    """Audit rows newest first; ``next_cursor`` reads the next (older) page."""

    items: list[AuditEntry]
    next_cursor: str | None
