"""Documents: what a group of movements belongs to (receipt, stocktake, reversal …)."""

from sqlalchemy import insert

from ..database import Prepared, run, utcnow
from ..i18n import lazy_gettext as _l
from ..models import Document, DocumentKind, DocumentStatus, document_number
from ..models.ledger import MAX_LINES
from .errors import InvalidInput

documents = Document.__table__
# The API's contracts say the same (contracts.shared): one cap for every way in.
LINE_CAP = _l("At most %(n)d lines per request.", n=MAX_LINES)
_INSERT = Prepared(insert(documents).returning(documents.c.id))


def create(
    kind: DocumentKind,
    *,
    operator_id: int,
    note: str = "",
    status: DocumentStatus = DocumentStatus.POSTED,
    reverses_id: int | None = None,
    order_id: int | None = None,
) -> dict:
    """Insert a document in the current transaction and return it as plain data."""
    created_at = utcnow()
    document_id = run(
        _INSERT,
        {
            "kind": kind,
            "status": status,
            "note": note,
            "operator_id": operator_id,
            "reverses_id": reverses_id,
            "order_id": order_id,
            "created_at": created_at,
        },
    ).scalar_one()
    return {
        "id": document_id,
        "number": document_number(kind, document_id),
        "kind": kind,
        "status": status,
        "note": note,
        "created_at": created_at.isoformat(),
    }


def within_line_cap(lines) -> None:
    """Refuse a document of more than ``MAX_LINES`` lines (``InvalidInput`` on ``lines``),
    before any lock is taken: what one document asks of the database stays bounded."""
    if len(lines) > MAX_LINES:
        raise InvalidInput(LINE_CAP, {"lines": LINE_CAP})
