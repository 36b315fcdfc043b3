"""Documents: what a group of movements belongs to (receipt, stocktake, reversal …)."""

from sqlalchemy import insert

from ..database import run, utcnow
from ..models import Document, DocumentKind, DocumentStatus, document_number

documents = Document.__table__
_INSERT = insert(documents).returning(documents.c.id)


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
