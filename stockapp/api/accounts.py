"""Users and the audit trail over the API (managers only): the list of users, a new
user, a change to one, the audit rows newest first."""

from dataclasses import asdict

from flask import g

from ..access import Reads
from ..contracts.accounts import (
    AuditPage,
    AuditQuery,
    NewUser,
    User,
    UserChange,
    UserPage,
    UsersQuery,
)
from ..i18n import lazy_gettext as _l
from ..models import Role
from ..queries import accounts as account_queries
from ..queries.pager import Cursor
from ..services import accounts
from ..services.errors import NotFound
from . import api
from .access import requires
from .reading import answer, body, query


@api.get("/users")
@requires(Reads.ACCOUNTS)
def list_users():
    asked = query(UsersQuery)
    found = account_queries.users(
        cursor=Cursor(after=int(asked.cursor) if asked.cursor else None), limit=asked.limit
    )
    items = [_user(row) for row in found.rows]
    return answer(UserPage, {"items": items, "next_cursor": _next(found)})


@api.post("/users")
@requires(Role.MANAGER)
def create_user():
    found, refusal = body(NewUser)
    refusal.finish()
    accounts.create_user(
        username=found.username,
        display_name=found.display_name,
        role=found.role,
        password=found.password,
        must_change_password=True,
        actor_id=g.api_user.id,
    )
    return answer(User, _user(account_queries.user(found.username)), 201)


@api.patch("/users/<name>")
@requires(Role.MANAGER)
def change_user(name: str):
    found, refusal = body(UserChange)
    if account_queries.user(name) is None:
        raise NotFound(_l("No user named %(name)s.", name=name))
    refusal.finish()
    accounts.change_user(
        username=name, actor_id=g.api_user.id, **found.model_dump(exclude_none=True)
    )
    return answer(User, _user(account_queries.user(name)))


@api.get("/audit")
@requires(Reads.ACCOUNTS)
def list_audit():
    asked = query(AuditQuery)
    found = account_queries.audit_page(
        account_queries.AuditCriteria(subject=asked.subject or ""),
        cursor=Cursor(before=int(asked.cursor) if asked.cursor else None),
        limit=asked.limit,
    )
    items = [asdict(row) | {"at": row.at.isoformat()} for row in found.rows]
    return answer(AuditPage, {"items": items, "next_cursor": _next(found)})


def _user(row: account_queries.UserRow) -> dict:
    return asdict(row) | {
        "created_at": row.created_at.isoformat(),
        "last_sign_in": row.last_sign_in.isoformat() if row.last_sign_in else None,
    }


def _next(found) -> str | None:
    return str(found.next_cursor) if found.next_cursor is not None else None
