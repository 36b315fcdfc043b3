"""Purchasing: POs, what they have received, backorders and receipts. No writes."""

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    RECEIVING,
    Document,
    DocumentStatus,
    POLine,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierReturn,
    Variant,
    document_number,
)
from ..models.ledger import MAX_ID
from ..models.purchasing import folded
from .catalogue import grids_by_style
from .pager import FIRST, Cursor, Page, fetch
from .search import Match, cursor_for, either, exactly, match, ranked
from .supplier_returns import po_returned


def po_page(po: PurchaseOrder) -> dict:
    """A PO as its page shows it: per style a colour × size grid of ordered,
    received (approved receipts), cancelled and remaining, and what receipts waiting
    for approval hold (``waiting``) with what is due after them (``due``: what a
    clerk may still expect to arrive), and what posted returns took back to the
    supplier (``returned``, of the variants it ordered and of any other). Its receipts are
    ``receipt_list(po_id=…)``, a page at a time."""
    received = po_received(po.id)
    counted = po_received(po.id, waiting=True)
    returned = po_returned(po.id)
    lines = list(
        db.session.scalars(
            select(POLine)
            .where(POLine.po_id == po.id)
            .options(selectinload(POLine.variant).selectinload(Variant.style))
        )
    )
    cells = []
    for line in lines:
        got = received.get(line.variant_id, 0)
        remaining = max(line.ordered - got - line.cancelled, 0)
        waiting = counted.get(line.variant_id, 0) - got
        cells.append(
            {
                "line": line,
                "variant": line.variant,
                "received": got,
                "remaining": remaining,
                "waiting": waiting,
                "due": max(remaining - waiting, 0),
                "returned": returned.get(line.variant_id, 0),
            }
        )
    return {
        "styles": grids_by_style(cells),
        "ordered": sum(c["line"].ordered for c in cells),
        "received": sum(c["received"] for c in cells),
        "remaining": sum(c["remaining"] for c in cells),
        "waiting": sum(c["waiting"] for c in cells),
        "due": sum(c["due"] for c in cells),
        "cancelled": sum(c["line"].cancelled for c in cells),
        "returned": sum(returned.values()),
    }


def po_received(
    po_id: int,
    *,
    waiting: bool = False,
    excluding: int | None = None,
    decided_before=None,
    damaged: bool = False,
) -> dict[int, int]:
    """Good pieces per variant from a PO's approved receipts: what it has received.

    ``waiting`` adds the receipts submitted and waiting for approval;
    ``excluding`` leaves one receipt out; ``decided_before`` keeps only receipts
    approved before that time (what was due when a receipt was approved); ``damaged``
    counts the damaged pieces too (all that came: what may go back to the supplier).
    """
    states = [DocumentStatus.POSTED]
    if waiting:
        states.append(DocumentStatus.SUBMITTED)
    pieces = ReceiptLine.received + ReceiptLine.damaged if damaged else ReceiptLine.received
    query = (
        select(ReceiptLine.variant_id, func.sum(pieces))
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
    statuses=None,
    search: str = "",
    cursor: Cursor = FIRST,
    per_page: int = 50,
) -> Page:
    """One page of POs, newest first (keyset by id), in ``statuses`` (None: all), with
    ordered and received pieces. A search (number or supplier containing it) is
    ranked, exact matches first (``search.match``), and then paged by number."""
    query = select(PurchaseOrder).options(selectinload(PurchaseOrder.supplier))
    if statuses is not None:
        query = query.where(PurchaseOrder.status.in_(statuses))
    if search:
        found = _number_or_supplier(search)
        query = ranked(query.join(Supplier, Supplier.id == PurchaseOrder.supplier_id), found)
        cursor = cursor_for(found, cursor)
    paged = fetch(query, by=PurchaseOrder.id, limit=per_page, cursor=cursor)
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
        .limit(50)
    )
    order = (PurchaseOrder.expected_on.is_(None), PurchaseOrder.expected_on, PurchaseOrder.id)
    if search:
        piece = (
            select(POLine.po_id)
            .join(Variant, Variant.id == POLine.variant_id)
            .where(or_(Variant.sku == search, Variant.barcode == search))
        )
        on_it = exactly(PurchaseOrder.id.in_(piece))
        query = ranked(query, either(_number_or_supplier(search), on_it))
    return list(db.session.scalars(query.order_by(*order)))


def _number_or_supplier(search: str) -> Match:
    """POs whose number or supplier's name contains ``search`` (Supplier joined)."""
    return either(match(search, PurchaseOrder.number), match(search, Supplier.name))


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
    found = select(Supplier.id).where(Supplier.name_key == folded(name))
    return bool(name) and db.session.scalar(found) is not None


def po_detail(po_id: int) -> dict | None:
    """A PO with its lines (received, remaining), what came that it did not order, and its
    receipts; None when there is no such PO."""
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        return None
    received = po_received(po.id)
    returned = po_returned(po.id)
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
    supplier_returns = db.session.execute(
        select(Document.id, Document.kind, Document.status)
        .join(SupplierReturn, SupplierReturn.document_id == Document.id)
        .where(SupplierReturn.po_id == po.id)
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
                "returned": returned.get(line.variant_id, 0),
                "unit_cost": line.unit_cost,
            }
            for line, sku in lines
        ],
        "unexpected": [
            {"sku": skus[variant_id], "received": qty, "returned": returned.get(variant_id, 0)}
            for variant_id, qty in sorted(unexpected.items(), key=lambda item: skus[item[0]])
        ],
        "receipts": _references(receipts),
        "supplier_returns": _references(supplier_returns),
    }


def _references(documents) -> list[dict]:
    return [
        {"id": id_, "number": document_number(kind, id_), "status": status}
        for id_, kind, status in documents
    ]


def _skus(variant_ids) -> dict[int, str]:
    if not variant_ids:
        return {}
    return dict(
        db.session.execute(
            select(Variant.id, Variant.sku).where(Variant.id.in_(list(variant_ids)))
        ).all()
    )


def supplier_by_id(supplier_id: int) -> Supplier | None:
    return db.session.get(Supplier, supplier_id)
