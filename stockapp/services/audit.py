"""The audit trail (操作日志): a row for every change to something that is not stock.

A service that changes a product, a user, a setting, a supplier or a location calls
``record`` inside its own ``write_transaction()``, so the row is written with the
change or not at all. Rows are only ever added.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy.orm import Session

from ..models import AuditAction, AuditEntry, AuditSubject


def record(
    session: Session,
    *,
    actor_id: int | None,
    subject: AuditSubject,
    key: str,
    action: AuditAction,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Add the audit row of one change to ``session``'s transaction. ``actor_id`` is
    the signed-in user (None in the terminal); ``key`` names the subject (a style
    code, a SKU, a user name …); ``before`` and ``after`` hold the fields as they
    were and as they are, in plain values (see ``plain``)."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            subject=subject,
            subject_key=key,
            action=action,
            before=_plain_fields(before),
            after=_plain_fields(after),
        )
    )


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields whose value differs between ``before`` and ``after``, as the pair
    ``record`` takes: ``({"name": "old"}, {"name": "new"})``."""
    changed = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


def plain(value):
    """A value as JSON keeps it: prices as strings ("12.50"), times in ISO 8601, an
    enum as its stored value, lists and dicts element by element."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def _plain_fields(fields: dict | None) -> dict | None:
    return None if fields is None else plain(fields)
