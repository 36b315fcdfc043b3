"""Run a unit of work at most once per idempotency key."""

import hashlib
import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import IdempotencyRecord
from .errors import IdempotencyKeyReused


def run_once(work: Callable[[], dict], *, user_id: int, key: str | None, request: dict) -> dict:
    """Run ``work`` in one write transaction and return its result.

    With a key, the key and the result are stored in that same transaction: the
    same user sending the same key again gets the first result back and nothing
    is posted twice. The key row is inserted before the work runs, so a second
    request racing the first waits on the unique index (PostgreSQL) or the write
    lock (SQLite) and then finds the stored result. A failed request stores
    nothing, so it may be retried with its key. Reusing a key for a different
    request is refused with ``IdempotencyKeyReused``.
    """
    if key is None:
        with write_transaction():
            return work()
    request_hash = hashlib.sha256(
        json.dumps(request, sort_keys=True, default=str).encode()
    ).hexdigest()
    try:
        return _run_once(work, user_id, key, request_hash)
    except IntegrityError:
        # Another request with this key committed between our look-up and insert.
        return _run_once(work, user_id, key, request_hash)


def _run_once(work, user_id: int, key: str, request_hash: str) -> dict:
    with write_transaction() as session:
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )
        if record is not None:
            if record.request_hash != request_hash:
                raise IdempotencyKeyReused(
                    _l("This Idempotency-Key was already used for a different request.")
                )
            return record.result
        record = IdempotencyRecord(user_id=user_id, key=key, request_hash=request_hash)
        session.add(record)
        session.flush()
        result = work()
        record.result = result
        db.session.flush()
        return result
