"""Returns to the supplier (退供应商): the list, one return, and what went back against a
purchase order. No writes."""

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..models import (
    Document,
    DocumentKind,
    DocumentStatus,
    POStatus,
    PurchaseOrder,
    Supplier,
    SupplierReturn,
    SupplierReturnLine,
    User,
    Variant,
    Warehouse,
)
from .movements import reversal_of
from .pager import FIRST, Cursor, Page, fetch

_decider = aliased(User)


def po_returned(
    po_id: int, *, waiting: bool = False, excluding: int | None = None
) -> dict[int, int]:
    """Pieces per variant that posted returns took back to the supplier against a PO
    (with ``waiting``, those waiting for approval too; ``excluding`` leaves one out). A
    reversed or rejected return took nothing."""
    states = [DocumentStatus.POSTED]
    if waiting:
        states.append(DocumentStatus.SUBMITTED)
    query = (
        select(SupplierReturnLine.variant_id, func.sum(SupplierReturnLine.qty))
        .join(SupplierReturn, SupplierReturn.document_id == SupplierReturnLine.document_id)
        .join(Document, Document.id == SupplierReturn.document_id)
        .where(SupplierReturn.po_id == po_id, Document.status.in_(states))
        .group_by(SupplierReturnLine.variant_id)
    )
    if excluding is not None:
        query = query.where(SupplierReturn.document_id != excluding)
    return dict(db.session.execute(query).all())


def _returns():
    return (
        select(
            SupplierReturn,
            Document,
            User.username,
            _decider.username.label("decider"),
            Supplier,
            PurchaseOrder.number.label("po_number"),
            Warehouse.code.label("warehouse"),
        )
        .join(Document, Document.id == SupplierReturn.document_id)
        .join(User, User.id == Document.operator_id)
        .outerjoin(_decider, _decider.id == SupplierReturn.decided_by)
        .join(Supplier, Supplier.id == SupplierReturn.supplier_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == SupplierReturn.po_id)
        .join(Warehouse, Warehouse.id == SupplierReturn.warehouse_id)
        .where(Document.kind == DocumentKind.SUPPLIER_RETURN)  # the (kind, status, id) index
    )


def supplier_return_list(
    *,
    statuses=None,
    warehouse_ids=None,
    po_id: int | None = None,
    cursor: Cursor = FIRST,
    per_page: int = 50,
) -> Page:
    """One page of returns to suppliers, newest first (keyset by id), in some states
    (None: all), out of some warehouses (None: all), or against one PO; with their
    pieces."""
    query = _returns()
    if warehouse_ids is not None:
        query = query.where(SupplierReturn.warehouse_id.in_(warehouse_ids))
    if statuses is not None:
        query = query.where(Document.status.in_(statuses))
    if po_id is not None:
        query = query.where(SupplierReturn.po_id == po_id)
    paged = fetch(
        query, by=Document.id, limit=per_page, cursor=cursor, key=lambda row: row.Document.id
    )
    ids = [row.SupplierReturn.document_id for row in paged.rows]
    pieces = dict(
        db.session.execute(
            select(SupplierReturnLine.document_id, func.sum(SupplierReturnLine.qty))
            .where(SupplierReturnLine.document_id.in_(ids))
            .group_by(SupplierReturnLine.document_id)
        ).all()
    )
    return paged.with_rows(
        [
            {
                "supplier_return": row.SupplierReturn,
                "document": row.Document,
                "operator": row.username,
                "supplier": row.Supplier,
                "po_number": row.po_number,
                "warehouse": row.warehouse,
                "pieces": pieces.get(row.SupplierReturn.document_id, 0),
            }
            for row in paged.rows
        ]
    )


def supplier_return_detail(document_id: int) -> dict | None:
    """One return as its page, its slip and the API show it, with its reversal
    (``movements.reversal_of``); None if there is none. Its lines by style, colour and
    size, then bin."""
    row = db.session.execute(
        _returns()
        .where(SupplierReturn.document_id == document_id)
        .options(
            selectinload(SupplierReturn.lines).selectinload(SupplierReturnLine.location),
            selectinload(SupplierReturn.lines)
            .selectinload(SupplierReturnLine.variant)
            .selectinload(Variant.style),
        )
    ).first()
    if row is None:
        return None
    header, document = row.SupplierReturn, row.Document
    decided = header.decided_at
    lines = sorted(
        header.lines, key=lambda line: (line.variant.style_id, line.variant_id, line.location.code)
    )
    return {
        "id": document.id,
        "number": document.number,
        "status": document.status,
        "document": document,
        "supplier": row.Supplier,
        "po": None if header.po_id is None else {"id": header.po_id, "number": row.po_number},
        "warehouse": row.warehouse,
        "warehouse_id": header.warehouse_id,
        "reason": header.reason,
        "note": document.note,
        "created_at": document.created_at.isoformat(),
        "created_by": row.username,
        "decided_at": decided.isoformat() if decided else None,
        "decided_by": row.decider,
        "reject_reason": header.reject_reason,
        **reversal_of(document),
        "lines": [
            {
                "variant": line.variant,
                "sku": line.variant.sku,
                "qty": line.qty,
                "location": line.location.code,
                "place": line.location,
            }
            for line in lines
        ],
    }


# How many of a supplier's purchase orders the return form offers, newest first.
MAX_PO_CHOICES = 100


def pos_of_supplier(supplier_id: int) -> list[PurchaseOrder]:
    """A supplier's purchase orders that goods may have come on (not drafts), newest first:
    what a return may go back against."""
    return list(
        db.session.scalars(
            select(PurchaseOrder)
            .where(
                PurchaseOrder.supplier_id == supplier_id,
                PurchaseOrder.status != POStatus.DRAFT,
            )
            .order_by(PurchaseOrder.id.desc())
            .limit(MAX_PO_CHOICES)
        )
    )
