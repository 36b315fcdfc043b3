"""Receipts (入库单): the receipts list, a receipt's page, what the API reads of one. No writes."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Supplier,
    User,
    Variant,
)
from .catalogue import skus_on_lines
from .pager import FIRST, Cursor, Page, fetch
from .purchasing import po_received


def receipt_list(
    *,
    statuses=None,
    po_id: int | None = None,
    cursor: Cursor = FIRST,
    per_page: int = 50,
) -> Page:
    """One page of receipts, newest first (keyset by id), of a PO or in some states
    (None: all), with their pieces."""
    query = (
        select(Receipt, Document, PurchaseOrder.number, Supplier.name, User.username)
        .join(Document, Document.id == Receipt.document_id)
        .join(User, User.id == Document.operator_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == Receipt.po_id)
        .outerjoin(Supplier, Supplier.id == Receipt.supplier_id)
        .where(Document.kind == DocumentKind.RECEIPT)  # for the (kind, status, id) index
    )
    if po_id is not None:
        query = query.where(Receipt.po_id == po_id)
    if statuses is not None:
        query = query.where(Document.status.in_(statuses))
    paged = fetch(
        query, by=Document.id, limit=per_page, cursor=cursor, key=lambda row: row.Document.id
    )
    rows = paged.rows
    pieces = dict(
        db.session.execute(
            select(ReceiptLine.document_id, func.sum(ReceiptLine.received + ReceiptLine.damaged))
            .where(ReceiptLine.document_id.in_([r.Receipt.document_id for r in rows]))
            .group_by(ReceiptLine.document_id)
        ).all()
    )
    return paged.with_rows(
        [
            {
                "receipt": row.Receipt,
                "document": row.Document,
                "po_number": row.number,
                "supplier": row.name,
                "operator": row.username,
                "pieces": pieces.get(row.Receipt.document_id, 0),
            }
            for row in rows
        ]
    )


def receipt_page(receipt: Receipt) -> dict:
    """A receipt's lines beside its PO: what was ordered and still due before this
    receipt, what came, and where it differs (over, short, damaged, wrong, price)."""
    document = db.session.get(Document, receipt.document_id)
    po = db.session.get(PurchaseOrder, receipt.po_id) if receipt.po_id else None
    po_lines = {line.variant_id: line for line in po.lines} if po else {}
    # What was still due when this receipt came: approved receipts before it (all of
    # them while it waits), so its figures stay as they were once it is approved.
    decided = receipt.decided_at if document.status != DocumentStatus.SUBMITTED else None
    before = po_received(po.id, excluding=receipt.document_id, decided_before=decided) if po else {}
    lines = list(
        db.session.scalars(
            select(ReceiptLine)
            .where(ReceiptLine.document_id == receipt.document_id)
            .order_by(ReceiptLine.id)
            .options(selectinload(ReceiptLine.variant).selectinload(Variant.style))
        )
    )
    names = {
        location.id: location.shown_name
        for location in db.session.scalars(
            select(Location).where(Location.id.in_({line.location_id for line in lines}))
        )
    }
    rows = []
    for line in lines:
        po_line = po_lines.get(line.variant_id)
        due = None
        if po_line is not None:
            due = max(po_line.ordered - before.get(line.variant_id, 0), 0)
        rows.append(
            {
                "line": line,
                "variant": line.variant,
                "location": names.get(line.location_id, ""),
                "ordered": po_line.ordered if po_line else None,
                "due": due,
                "wrong": po is not None and po_line is None,
                "over": max(line.received - due, 0) if due is not None else 0,
                "short": max(due - line.received, 0) if due is not None else 0,
                "po_cost": po_line.unit_cost if po_line else None,
                "price_differs": po_line is not None
                and line.unit_cost is not None
                and po_line.unit_cost is not None
                and line.unit_cost != po_line.unit_cost,
            }
        )
    return {
        "document": document,
        "po": po,
        "lines": rows,
        "received": sum(line.received for line in lines),
        "damaged": sum(line.damaged for line in lines),
        "differences": sum(
            1
            for r in rows
            if r["wrong"] or r["over"] or r["short"] or r["line"].damaged or r["price_differs"]
        ),
    }


def receipt_exists(receipt_id: int) -> bool:
    found = select(Receipt.document_id).where(Receipt.document_id == receipt_id)
    return db.session.scalar(found) is not None


def receipt_detail(receipt_id: int) -> dict | None:
    """A receipt with its lines, its PO as it stands now, and who did what when."""
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None:
        return None
    document = db.session.get(Document, receipt_id)
    users = _usernames({document.operator_id, receipt.submitted_by, receipt.decided_by})
    supplier = db.session.get(Supplier, receipt.supplier_id) if receipt.supplier_id else None
    return {
        "id": document.id,
        "number": document.number,
        "status": document.status,
        "note": document.note,
        "po": receipt_po(receipt_id),
        "supplier": None if supplier is None else {"id": supplier.id, "name": supplier.name},
        "created_at": _timestamp(document.created_at),
        "created_by": users.get(document.operator_id),
        "submitted_at": _timestamp(receipt.submitted_at),
        "submitted_by": users.get(receipt.submitted_by),
        "decided_at": _timestamp(receipt.decided_at),
        "decided_by": users.get(receipt.decided_by),
        "reject_reason": receipt.reject_reason,
        "lines": receipt_lines(receipt_id),
    }


def receipt_lines(document_id: int) -> list[dict]:
    rows = db.session.execute(
        select(ReceiptLine, Variant.sku, Location.code)
        .join(Variant, Variant.id == ReceiptLine.variant_id)
        .join(Location, Location.id == ReceiptLine.location_id)
        .where(ReceiptLine.document_id == document_id)
        .order_by(ReceiptLine.id)
    )
    return [
        {
            "sku": sku,
            "received": line.received,
            "damaged": line.damaged,
            "location": code,
            "unit_cost": line.unit_cost,
            "reason": line.reason,
            "note": line.note,
        }
        for line, sku, code in rows
    ]


def receipt_po(document_id: int) -> dict | None:
    """The receipt's purchase order as it stands now, or None."""
    row = db.session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status)
        .join(Receipt, Receipt.po_id == PurchaseOrder.id)
        .where(Receipt.document_id == document_id)
    ).first()
    return None if row is None else {"id": row.id, "number": row.number, "status": row.status}


def receipt_skus(document_id: int) -> dict[str, int]:
    """SKU → variant id of the receipt's lines."""
    return skus_on_lines(ReceiptLine.variant_id, ReceiptLine.document_id == document_id)


def _usernames(user_ids) -> dict[int, str]:
    ids = [user_id for user_id in user_ids if user_id is not None]
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _timestamp(moment) -> str | None:
    return None if moment is None else moment.isoformat()
