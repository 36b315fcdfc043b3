"""Write-offs (报损): damaged, lost or sampled pieces leave stock, from any location
(quarantine included), as a document of their own.

A write-off is a document of kind write_off with a header (``WriteOff``: its
location, reason and decision) and lines (``WriteOffLine``: variant, pieces).
States: submitted → posted (approved: the pieces leave stock) or rejected (with a
reason; nothing posts). A clerk's write-off waits for a manager when the setting
``write_offs_need_approval`` says so (the default); a manager's own, and a clerk's
when approval is off, post as they are submitted.
"""

from collections.abc import Sequence

from sqlalchemy import insert

from ..database import mark_stock_changed, run, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    DocumentKind,
    DocumentStatus,
    MovementKind,
    WriteOff,
    WriteOffLine,
    WriteOffReason,
)
from . import accounts, documents, ledger, settings
from .errors import InvalidInput, NotFound
from .idempotency import run_once
from .warehouses import require_location


def submit(
    *,
    location_id: int,
    lines: Sequence[tuple[int, int]],
    reason: str,
    operator_id: int,
    note: str = "",
    idempotency_key: str | None = None,
) -> dict:
    """Record a write-off of ``(variant_id, qty)`` lines out of one location.

    Refused, with nothing written: a location the operator may not use
    (``NotPermitted``) or that does not exist (``NotFound``); an unknown reason
    (``InvalidInput`` on ``reason``); a line that names no variant, lists one twice
    or takes fewer than 1 piece (``lines[i]``); more than the location holds
    (``InsufficientStock``). Posts at once for a manager, or when the settings ask
    no approval; else waits, submitted. Returns ``{"document", "movements"}``; with
    an idempotency key, a repeat returns the first write-off and records nothing.
    """
    documents.within_line_cap(lines)

    def work() -> dict:
        location = require_location(operator_id, location_id)
        if reason not in set(WriteOffReason):
            raise InvalidInput(_l("Some fields need attention."), {"reason": UNKNOWN_REASON})
        documents.check_pieces(lines)
        posts = accounts.is_manager(operator_id) or not settings.get("write_offs_need_approval")
        status = DocumentStatus.POSTED if posts else DocumentStatus.SUBMITTED
        document = documents.create(
            DocumentKind.WRITE_OFF, operator_id=operator_id, note=note, status=status
        )
        run(
            insert(WriteOff.__table__),
            {
                "document_id": document["id"],
                "location_id": location.id,
                "reason": reason,
                "decided_by": operator_id if posts else None,
                "decided_at": utcnow() if posts else None,
                "reject_reason": "",
            },
        )
        run(
            insert(WriteOffLine.__table__),
            [{"document_id": document["id"], "variant_id": v, "qty": qty} for v, qty in lines],
        )
        if posts:
            return _post(document, location.id, lines, operator_id)
        # Waiting for pieces that are not there helps nobody.
        ledger.check_held([ledger.Line(v, location.id, -qty) for v, qty in lines])
        mark_stock_changed()  # the managers' to-do shows it
        return {"document": document, "movements": []}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "write_off": location_id,
            "lines": [list(line) for line in lines],
            "reason": reason,
            "note": note,
        },
    )


UNKNOWN_REASON = _l("Unknown reason.")


def approve(document_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """submitted → posted: the pieces leave the location, in one ledger post. The
    stock may have changed since the write-off was submitted: if the location no
    longer holds them, ``InsufficientStock`` and nothing changes (it stays
    submitted). A second approval posts nothing and raises ``AlreadyApproved``."""

    def work() -> dict:
        write_off = _write_off(document_id)
        require_location(operator_id, write_off.location_id)
        documents.claim(document_id, DocumentStatus.SUBMITTED, DocumentStatus.POSTED)
        write_off.decided_by = operator_id
        write_off.decided_at = utcnow()
        document = documents.read(document_id)
        lines = [(line.variant_id, line.qty) for line in write_off.lines]
        return _post(document, write_off.location_id, lines, operator_id)

    return run_once(
        work, user_id=operator_id, key=idempotency_key, request={"approve_write_off": document_id}
    )


def reject(
    document_id: int, *, operator_id: int, reason: str, idempotency_key: str | None = None
) -> dict:
    """submitted → rejected, with a reason; nothing posts."""

    def checked(write_off_id: int) -> WriteOff:
        write_off = _write_off(write_off_id)
        require_location(operator_id, write_off.location_id)
        return write_off

    def work() -> dict:
        return documents.reject(
            document_id,
            checked,
            operator_id=operator_id,
            reason=reason,
            missing=_l("Say why the write-off is rejected."),
        )

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"reject_write_off": document_id, "reason": reason},
    )


def _post(document: dict, location_id: int, lines, operator_id: int) -> dict:
    """The write-off's pieces out of its location; ``{"document", "movements"}``."""
    movements = ledger.post(
        [ledger.Line(variant_id, location_id, -qty) for variant_id, qty in lines],
        kind=MovementKind.WRITE_OFF,
        operator_id=operator_id,
        document_id=document["id"],
        note=document["note"],
    )
    return {"document": document, "movements": movements}


def _write_off(document_id: int) -> WriteOff:
    write_off = db.session.get(WriteOff, document_id, populate_existing=True)
    if write_off is None:
        raise NotFound(_l("Write-off %(id)s does not exist.", id=document_id))
    return write_off
