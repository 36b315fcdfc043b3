"""Purchasing: POs, what they have received, backorders and receipts. No writes."""

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    RECEIVING,
    Document,
    DocumentStatus,
    Location,
    POLine,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Supplier,
    User,
    Variant,
    document_number,
)
from ..models.ledger import MAX_ID
from .catalogue import grids_by_style
from .pager import Page, fetch


def po_page(po: PurchaseOrder) -> dict:
    """A PO as its page shows it: per style a colour × size grid of ordered,
    received (approved receipts), cancelled and remaining (its receipts are
    ``receipt_list(po_id=…)``, a page at a time)."""
    received = po_received(po.id)
    lines = list(
        db.session.scalars(
            select(POLine)
            .where(POLine.po_id == po.id)
            .options(selectinload(POLine.variant).selectinload(Variant.style))
        )
    )
    cells = [
        {
            "line": line,
            "variant": line.variant,
            "received": received.get(line.variant_id, 0),
            "remaining": max(line.ordered - received.get(line.variant_id, 0) - line.cancelled, 0),
        }
        for line in lines
    ]
    return {
        "styles": grids_by_style(cells),
        "ordered": sum(c["line"].ordered for c in cells),
        "received": sum(c["received"] for c in cells),
        "remaining": sum(c["remaining"] for c in cells),
        "cancelled": sum(c["line"].cancelled for c in cells),
    }


def po_received(
    po_id: int,
    *,
    waiting: bool = False,
    excluding: int | None = None,
    decided_before=None,
) -> dict[int, int]:
    """Good pieces per variant from a PO's approved receipts: what it has received.

    ``waiting`` adds the receipts submitted and waiting for approval;
    ``excluding`` leaves one receipt out; ``decided_before`` keeps only receipts
    approved before that time (what was due when a receipt was approved).
    """
    states = [DocumentStatus.POSTED]
    if waiting:
        states.append(DocumentStatus.SUBMITTED)
    query = (
        select(ReceiptLine.variant_id, func.sum(ReceiptLine.received))
        .join(Receipt, Receipt.document_id == ReceiptLine.document_id)
        .join(Document, Document.id == Receipt.document_id)
        .where(Receipt.po_id == po_id, Document.status.in_(states))
        .group_by(ReceiptLine.variant_id)
    )
    if excluding is not None:
        query = query.where(Receipt.document_id != excluding)
    if decided_before is not None:
        query = query.where(Receipt.decided_at < decided_before)
    return dict(db.session.execute(query).all())


def po_list(
    *,
    statuses,
    search: str = "",
    page: int = 1,
    before: int | None = None,
    per_page: int = 50,
) -> Page:
    """One page of POs, newest first (keyset below ``before``), with ordered and
    received pieces."""
    query = (
        select(PurchaseOrder)
        .options(selectinload(PurchaseOrder.supplier))
        .where(PurchaseOrder.status.in_(statuses))
        .order_by(PurchaseOrder.id.desc())
    )
    if search:
        query = query.join(Supplier, Supplier.id == PurchaseOrder.supplier_id).where(
            or_(PurchaseOrder.number.ilike(f"%{search}%"), Supplier.name.ilike(f"%{search}%"))
        )
    paged = fetch(query, limit=per_page, number=page, before=before, by=PurchaseOrder.id)
    found = paged.rows
    totals = po_totals([po.id for po in found])
    return paged.with_rows([{"po": po, **totals[po.id]} for po in found])


def po_totals(po_ids: list[int]) -> dict[int, dict]:
    """Each PO's ordered, received, cancelled and remaining pieces and ordered value.

    Received counts what approved receipts brought of the PO's own variants (as
    ``po_received`` does for one PO), in one query for a whole page of POs.
    """
    totals = {
        po_id: {"ordered": 0, "received": 0, "cancelled": 0, "remaining": 0, "value": Decimal(0)}
        for po_id in po_ids
    }
    if not po_ids:
        return totals
    received = {
        (po_id, variant_id): qty
        for po_id, variant_id, qty in db.session.execute(
            select(Receipt.po_id, ReceiptLine.variant_id, func.sum(ReceiptLine.received))
            .join(Receipt, Receipt.document_id == ReceiptLine.document_id)
            .join(Document, Document.id == Receipt.document_id)
            .where(Receipt.po_id.in_(po_ids), Document.status == DocumentStatus.POSTED)
            .group_by(Receipt.po_id, ReceiptLine.variant_id)
        )
    }
    lines = db.session.execute(
        select(
            POLine.po_id, POLine.variant_id, POLine.ordered, POLine.cancelled, POLine.unit_cost
        ).where(POLine.po_id.in_(po_ids))
    )
    for po_id, variant_id, ordered, cancelled, unit_cost in lines:
        got = received.get((po_id, variant_id), 0)
        total = totals[po_id]
        total["ordered"] += ordered
        total["received"] += got
        total["cancelled"] += cancelled
        total["remaining"] += max(ordered - got - cancelled, 0)
        total["value"] += ordered * (unit_cost or 0)
    for total in totals.values():
        total["value"] = total["value"].quantize(Decimal("0.01"))
    return totals


def backorders() -> list[dict]:
    """POs still waiting for goods, soonest expected first (no date last)."""
    found = db.session.scalars(
        select(PurchaseOrder)
        .options(selectinload(PurchaseOrder.supplier), selectinload(PurchaseOrder.lines))
        .where(PurchaseOrder.status.in_(RECEIVING))
        .order_by(PurchaseOrder.expected_on.is_(None), PurchaseOrder.expected_on, PurchaseOrder.id)
    )
    found = list(found)
    totals = po_totals([po.id for po in found])
    return [{"po": po, **totals[po.id]} for po in found if totals[po.id]["remaining"]]


def receiving_pos(search: str) -> list[PurchaseOrder]:
    """POs waiting for goods that match a number, a supplier, or a scanned piece on them."""
    query = (
        select(PurchaseOrder)
        .options(selectinload(PurchaseOrder.supplier))
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.status.in_(RECEIVING))
        .order_by(PurchaseOrder.expected_on.is_(None), PurchaseOrder.expected_on, PurchaseOrder.id)
        .limit(50)
    )
    if search:
        piece = (
            select(POLine.po_id)
            .join(Variant, Variant.id == POLine.variant_id)
            .where(or_(Variant.sku == search, Variant.barcode == search))
        )
        query = query.where(
            or_(
                PurchaseOrder.number.ilike(f"%{search}%"),
                Supplier.name.ilike(f"%{search}%"),
                PurchaseOrder.id.in_(piece),
            )
        )
    return list(db.session.scalars(query))


def receipt_list(
    *,
    statuses=None,
    po_id: int | None = None,
    page: int = 1,
    before: int | None = None,
    per_page: int = 50,
) -> Page:
    """One page of receipts, newest first (keyset below ``before``), of a PO or in
    some states, with their pieces."""
    query = (
        select(Receipt, Document, PurchaseOrder.number, Supplier.name, User.username)
        .join(Document, Document.id == Receipt.document_id)
        .join(User, User.id == Document.operator_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == Receipt.po_id)
        .outerjoin(Supplier, Supplier.id == Receipt.supplier_id)
        .order_by(Document.id.desc())
    )
    if po_id is not None:
        query = query.where(Receipt.po_id == po_id)
    if statuses is not None:
        query = query.where(Document.status.in_(statuses))
    paged = fetch(
        query,
        limit=per_page,
        number=page,
        before=before,
        by=Document.id,
        key=lambda row: row.Document.id,
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
    codes = dict(
        db.session.execute(
            select(Location.id, Location.code).where(
                Location.id.in_({line.location_id for line in lines})
            )
        ).all()
    )
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
                "location": codes.get(line.location_id, ""),
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


def discrepancies_of(po: PurchaseOrder) -> list[dict]:
    """Every difference the PO's approved receipts recorded, for the supplier:
    short (still missing), over, damaged and wrong pieces, with reasons and notes."""
    received = po_received(po.id)
    ordered = {line.variant_id: line for line in po.lines}
    found = []
    for line in po.lines:
        got = received.get(line.variant_id, 0)
        if got < line.ordered:
            found.append({"kind": "short", "variant": line.variant, "qty": line.ordered - got})
        elif got > line.ordered:
            found.append({"kind": "over", "variant": line.variant, "qty": got - line.ordered})
    notes = db.session.execute(
        select(ReceiptLine, Document)
        .join(Receipt, Receipt.document_id == ReceiptLine.document_id)
        .join(Document, Document.id == Receipt.document_id)
        .where(Receipt.po_id == po.id, Document.status == DocumentStatus.POSTED)
        .options(selectinload(ReceiptLine.variant).selectinload(Variant.style))
        .order_by(ReceiptLine.id)
    ).all()
    for line, document in notes:
        if line.damaged:
            found.append(
                {
                    "kind": "damaged",
                    "variant": line.variant,
                    "qty": line.damaged,
                    "line": line,
                    "document": document,
                }
            )
        if line.variant_id not in ordered and line.received:
            found.append(
                {
                    "kind": "wrong",
                    "variant": line.variant,
                    "qty": line.received,
                    "line": line,
                    "document": document,
                }
            )
        elif line.reason and not line.damaged:
            found.append(
                {
                    "kind": line.reason,
                    "variant": line.variant,
                    "qty": None,
                    "line": line,
                    "document": document,
                }
            )
    return found


# --- what the API reads ---------------------------------------------------------------------


def supplier_exists(supplier_id: int) -> bool:
    found = select(Supplier.id).where(Supplier.id == supplier_id)
    return 0 < supplier_id <= MAX_ID and db.session.scalar(found) is not None


def supplier_named(name: str) -> bool:
    """Whether a supplier has this name, ignoring case."""
    found = select(Supplier.id).where(func.lower(Supplier.name) == name.lower())
    return bool(name) and db.session.scalar(found) is not None


def po_detail(po_id: int) -> dict | None:
    """A PO with its lines (received, remaining), what came that it did not order, and its
    receipts; None when there is no such PO."""
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        return None
    received = po_received(po.id)
    lines = db.session.execute(
        select(POLine, Variant.sku)
        .join(Variant, Variant.id == POLine.variant_id)
        .where(POLine.po_id == po.id)
        .order_by(POLine.id)
    ).all()
    on_po = {line.variant_id for line, _ in lines}
    unexpected = {v: qty for v, qty in received.items() if v not in on_po and qty}
    skus = _skus(unexpected)
    receipts = db.session.execute(
        select(Document.id, Document.kind, Document.status)
        .join(Receipt, Receipt.document_id == Document.id)
        .where(Receipt.po_id == po.id)
        .order_by(Document.id)
    )
    return {
        "id": po.id,
        "number": po.number,
        "supplier": {"id": po.supplier_id, "name": po.supplier.name},
        "expected_on": po.expected_on,
        "status": po.status,
        "note": po.note,
        "created_at": po.created_at.isoformat(),
        "closed_at": None if po.closed_at is None else po.closed_at.isoformat(),
        "lines": [
            {
                "sku": sku,
                "ordered": line.ordered,
                "received": received.get(line.variant_id, 0),
                "cancelled": line.cancelled,
                "remaining": max(
                    line.ordered - received.get(line.variant_id, 0) - line.cancelled, 0
                ),
                "unit_cost": line.unit_cost,
            }
            for line, sku in lines
        ],
        "unexpected": [
            {"sku": skus[variant_id], "received": qty}
            for variant_id, qty in sorted(unexpected.items(), key=lambda item: skus[item[0]])
        ],
        "receipts": [
            {"id": id_, "number": document_number(kind, id_), "status": status}
            for id_, kind, status in receipts
        ],
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
    return dict(
        db.session.execute(
            select(Variant.sku, Variant.id)
            .join(ReceiptLine, ReceiptLine.variant_id == Variant.id)
            .where(ReceiptLine.document_id == document_id)
        ).all()
    )


def _skus(variant_ids) -> dict[int, str]:
    if not variant_ids:
        return {}
    return dict(
        db.session.execute(
            select(Variant.id, Variant.sku).where(Variant.id.in_(list(variant_ids)))
        ).all()
    )


def _usernames(user_ids) -> dict[int, str]:
    ids = [user_id for user_id in user_ids if user_id is not None]
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _timestamp(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def supplier_by_id(supplier_id: int) -> Supplier | None:
    return db.session.get(Supplier, supplier_id)
