"""The read side: stock figures, catalogue look-ups and movement history. No writes."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from .database import run
from .extensions import db
from .models import (
    ACTIVE,
    RECEIVING,
    Balance,
    Document,
    DocumentStatus,
    Location,
    Movement,
    Order,
    OrderLine,
    OrderStatus,
    POLine,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    StockVersion,
    Style,
    Supplier,
    User,
    Variant,
    document_number,
)


@dataclass(frozen=True)
class StockLevel:
    on_hand: int = 0
    # What open and picking allocation orders have ordered.
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def as_dict(self) -> dict:
        return {"on_hand": self.on_hand, "reserved": self.reserved, "available": self.available}


def _quarantine():
    """Locations for damaged goods: their stock is not sellable, so not on hand."""
    return select(Location.id).where(Location.is_quarantine).scalar_subquery()


def stock_levels(variant_ids) -> dict[int, StockLevel]:
    """On hand, reserved and available per variant, summed over sellable locations."""
    ids = list(variant_ids)
    rows = db.session.execute(
        select(Balance.variant_id, func.sum(Balance.qty))
        .where(Balance.variant_id.in_(ids), Balance.location_id.not_in(_quarantine()))
        .group_by(Balance.variant_id)
    )
    on_hand = dict(rows.all())
    reserved = _reserved(ids)
    return {v: StockLevel(on_hand=on_hand.get(v, 0), reserved=reserved.get(v, 0)) for v in ids}


def _reserved(variant_ids, *, before_order: int | None = None) -> dict[int, int]:
    """Pieces reserved per variant by open and picking orders (older than ``before_order``)."""
    query = (
        select(OrderLine.variant_id, func.sum(OrderLine.ordered))
        .where(OrderLine.variant_id.in_(variant_ids), OrderLine.reserving)
        .group_by(OrderLine.variant_id)
    )
    if before_order is not None:
        query = query.where(OrderLine.order_id < before_order)
    return dict(db.session.execute(query).all())


def stock_version() -> int:
    """A number that rises with every committed change of stock, reservations or picks."""
    return db.session.scalar(select(func.coalesce(func.sum(StockVersion.n), 0)))


def stock_by_location(variant_id: int) -> list[dict]:
    rows = db.session.execute(
        select(Location.code, Balance.qty)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.variant_id == variant_id, Balance.qty != 0)
        .order_by(Location.code)
    )
    return [{"location": code, "on_hand": qty} for code, qty in rows]


def style_by_code(code: str) -> Style | None:
    return db.session.scalar(select(Style).where(Style.code == code))


_variants = Variant.__table__
_VARIANT_IDS = select(_variants.c.sku, _variants.c.id).where(
    _variants.c.sku.in_(bindparam("skus", expanding=True)), ~_variants.c.archived
)


def variant_ids_by_sku(skus) -> dict[str, int]:
    """Active variants' ids for the SKUs that exist; unknown SKUs are left out."""
    return dict(run(_VARIANT_IDS, {"skus": list(set(skus))}).all())


def variant_by_sku(sku: str) -> Variant | None:
    return db.session.scalar(select(Variant).where(Variant.sku == sku))


def movements(*, sku=None, kind=None, before_id=None, limit=50) -> list[dict]:
    """Movements newest first, filtered; ``before_id`` continues a page (keyset)."""
    query = (
        select(
            Movement.id,
            Variant.sku,
            Movement.kind,
            Movement.delta,
            Movement.balance_after,
            User.username.label("operator"),
            Movement.note,
            Document.kind.label("document_kind"),
            Movement.document_id,
            Movement.created_at,
            Movement.reverses_id.label("reverses"),
        )
        .join(Variant, Variant.id == Movement.variant_id)
        .join(User, User.id == Movement.operator_id)
        .outerjoin(Document, Document.id == Movement.document_id)
        .order_by(Movement.id.desc())
        .limit(limit)
    )
    if sku is not None:
        query = query.where(Variant.sku == sku)
    if kind is not None:
        query = query.where(Movement.kind == kind)
    if before_id is not None:
        query = query.where(Movement.id < before_id)
    found = []
    for row in db.session.execute(query):
        item = dict(row._mapping)
        kind, document_id = item.pop("document_kind"), item.pop("document_id")
        item["document"] = document_number(kind, document_id) if document_id else None
        item["created_at"] = row.created_at.isoformat()
        found.append(item)
    return found


def style_page(*, search: str = "", category: str = "", page: int = 1, per_page: int = 50):
    """One page of styles matching a search (code, name, SKU or barcode), by code.

    Returns ``(styles, has_next)``; each style is a dict with its sizes, the
    on-hand per size (summed over colours and locations), the total, and how
    many of its variants are at or below their low-stock threshold.
    """
    query = (
        select(Style).options(selectinload(Style.variants)).where(Style.active).order_by(Style.code)
    )
    if search:
        pattern = f"%{search}%"
        by_variant = select(Variant.style_id).where(
            or_(Variant.sku == search, Variant.barcode == search)
        )
        query = query.where(
            or_(Style.code.ilike(pattern), Style.name.ilike(pattern), Style.id.in_(by_variant))
        )
    if category:
        query = query.where(Style.category == category)
    styles = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    has_next = len(styles) > per_page
    styles = styles[:per_page]
    levels = stock_levels(v.id for style in styles for v in style.variants if not v.archived)
    pages = []
    for style in styles:
        per_size = dict.fromkeys(style.sizes, 0)
        low = 0
        for variant in style.variants:
            if variant.archived:
                continue
            per_size[variant.size] += levels[variant.id].on_hand
            low += is_low(variant, levels[variant.id])
        pages.append(
            {
                "code": style.code,
                "name": style.name,
                "category": style.category,
                "sizes": list(per_size.items()),
                "total": sum(per_size.values()),
                "low": low,
            }
        )
    return pages, has_next


def is_low(variant: Variant, level: StockLevel) -> bool:
    """Available at or below the variant's low-stock threshold (库存预警)."""
    threshold = variant.low_stock_threshold
    return threshold is not None and level.available <= threshold


def style_code_for(text: str) -> str | None:
    """The style a scan or an exact entry names: its style code, a SKU or a barcode.

    Three look-ups, each on its own unique index, rather than one OR across a join.
    """
    if db.session.scalar(select(Style.code).where(Style.code == text)):
        return text
    for column in (Variant.sku, Variant.barcode):
        code = db.session.scalar(
            select(Style.code).join(Variant, Variant.style_id == Style.id).where(column == text)
        )
        if code:
            return code
    return None


def stock_matrix(style: Style) -> dict:
    """The colour × size grid of a style's stock, with row and column totals.

    ``cells[(colour, size)]`` holds the variant and its StockLevel (absent where
    the style has no such variant, or it is archived).
    """
    variants = [v for v in style.variants if not v.archived]
    levels = stock_levels(v.id for v in variants)
    cells = {
        (v.colour, v.size): {"variant": v, "level": levels[v.id], "low": is_low(v, levels[v.id])}
        for v in variants
    }
    colours, sizes = style.colours, style.sizes

    def total(cells_in) -> StockLevel:
        cells_in = list(cells_in)
        return StockLevel(
            on_hand=sum(c["level"].on_hand for c in cells_in),
            reserved=sum(c["level"].reserved for c in cells_in),
        )

    return {
        "colours": colours,
        "sizes": sizes,
        "cells": cells,
        "row_totals": {c: total(v for (cc, _), v in cells.items() if cc == c) for c in colours},
        "column_totals": {s: total(v for (_, ss), v in cells.items() if ss == s) for s in sizes},
        "total": total(cells.values()),
    }


def categories() -> list[str]:
    return list(
        db.session.scalars(
            select(Style.category).where(Style.category != "").distinct().order_by(Style.category)
        )
    )


def order_page(order: Order) -> dict:
    """An order as its page shows it: per style a colour × size grid of its lines.

    Each cell holds the line, the variant, its StockLevel and the shortfall:
    for an open or picking order, how much of the line the stock cannot cover
    after older orders take their share (first come, first served); for a
    completed one, what was ordered but not shipped (short-shipped).
    """
    lines = list(
        db.session.scalars(
            select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .options(selectinload(OrderLine.variant).selectinload(Variant.style))
        )
    )
    variant_ids = [line.variant_id for line in lines]
    levels = stock_levels(variant_ids)
    active = order.status in ACTIVE
    earlier = _reserved(variant_ids, before_order=order.id) if active else {}
    cells = []
    for line in lines:
        level = levels[line.variant_id]
        if active:
            free = max(level.on_hand - earlier.get(line.variant_id, 0), 0)
            short = max(line.ordered - free, 0)
        elif order.status == OrderStatus.COMPLETED:
            short = line.ordered - line.shipped
        else:
            short = 0
        cells.append({"line": line, "variant": line.variant, "level": level, "short": short})
    groups = _grids_by_style(cells)
    for group in groups:
        group["ordered"] = sum(c["line"].ordered for c in group["cells"].values())
        group["picked"] = sum(c["line"].picked for c in group["cells"].values())
    return {
        "styles": groups,
        "ordered": sum(line.ordered for line in lines),
        "picked": sum(line.picked for line in lines),
        "shipped": sum(line.shipped for line in lines),
        "returned": sum(line.returned for line in lines),
        "short": sum(c["short"] for g in groups for c in g["cells"].values()),
    }


def _ordered(ranked: set[tuple[int, str]]) -> list[str]:
    return [label for _, label in sorted(ranked)]


def order_by_number(number: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.number == number))


def order_list(*, statuses, search: str = "", page: int = 1, per_page: int = 50):
    """One page of orders, newest first, with their piece counts: ``(rows, has_next)``.

    The page is chosen first and only its orders' lines are summed.
    """
    query = (
        select(Order)
        .where(Order.status.in_([s.value for s in statuses]))
        .order_by(Order.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    if search:
        query = query.where(
            or_(Order.number.ilike(f"%{search}%"), Order.customer.ilike(f"%{search}%"))
        )
    found = list(db.session.scalars(query))
    has_next = len(found) > per_page
    found = found[:per_page]
    totals = {
        order_id: (ordered, picked, shipped)
        for order_id, ordered, picked, shipped in db.session.execute(
            select(
                OrderLine.order_id,
                func.sum(OrderLine.ordered),
                func.sum(OrderLine.picked),
                func.sum(OrderLine.shipped),
            )
            .where(OrderLine.order_id.in_([order.id for order in found]))
            .group_by(OrderLine.order_id)
        )
    }
    rows = []
    for order in found:
        ordered, picked, shipped = totals.get(order.id, (0, 0, 0))
        rows.append({"order": order, "ordered": ordered, "picked": picked, "shipped": shipped})
    return rows, has_next


def locations_of(variant_ids) -> dict[int, list[str]]:
    """The location codes that hold each variant, for a picking list."""
    rows = db.session.execute(
        select(Balance.variant_id, Location.code)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.variant_id.in_(list(variant_ids)), Balance.qty > 0)
        .order_by(Location.code)
    )
    found: dict[int, list[str]] = {}
    for variant_id, code in rows:
        found.setdefault(variant_id, []).append(code)
    return found


# ---------------------------------------------------------------- purchasing


def po_page(po: PurchaseOrder) -> dict:
    """A PO as its page shows it: per style a colour × size grid of ordered,
    received (approved receipts), cancelled and remaining, and its receipts."""
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
        "styles": _grids_by_style(cells),
        "ordered": sum(c["line"].ordered for c in cells),
        "received": sum(c["received"] for c in cells),
        "remaining": sum(c["remaining"] for c in cells),
        "cancelled": sum(c["line"].cancelled for c in cells),
        "receipts": receipt_list(po_id=po.id),
    }


def _grids_by_style(cells: list[dict]) -> list[dict]:
    """Cells (each with its ``variant``) grouped per style, with colours and sizes in order."""
    styles: dict[int, dict] = {}
    for cell in cells:
        variant = cell["variant"]
        group = styles.setdefault(variant.style_id, {"style": variant.style, "cells": {}})
        group["cells"][(variant.colour, variant.size)] = cell
    groups = []
    for group in sorted(styles.values(), key=lambda g: g["style"].code):
        members = group["cells"].values()
        group["colours"] = _ordered(
            {(c["variant"].colour_rank, c["variant"].colour) for c in members}
        )
        group["sizes"] = _ordered({(c["variant"].size_rank, c["variant"].size) for c in members})
        groups.append(group)
    return groups


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
    states = [DocumentStatus.POSTED.value]
    if waiting:
        states.append(DocumentStatus.SUBMITTED.value)
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


def po_list(*, statuses, search: str = "", page: int = 1, per_page: int = 50):
    """One page of POs, newest first, with ordered and received pieces: ``(rows, has_next)``."""
    query = (
        select(PurchaseOrder)
        .options(selectinload(PurchaseOrder.supplier))
        .where(PurchaseOrder.status.in_([s.value for s in statuses]))
        .order_by(PurchaseOrder.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    if search:
        query = query.join(Supplier, Supplier.id == PurchaseOrder.supplier_id).where(
            or_(PurchaseOrder.number.ilike(f"%{search}%"), Supplier.name.ilike(f"%{search}%"))
        )
    found = list(db.session.scalars(query))[: per_page + 1]
    has_next = len(found) > per_page
    found = found[:per_page]
    totals = po_totals([po.id for po in found])
    return [{"po": po, **totals[po.id]} for po in found], has_next


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
            .where(Receipt.po_id.in_(po_ids), Document.status == DocumentStatus.POSTED.value)
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
        .where(PurchaseOrder.status.in_([s.value for s in RECEIVING]))
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
        .where(PurchaseOrder.status.in_([s.value for s in RECEIVING]))
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


def receipt_list(*, statuses=None, po_id: int | None = None, page: int = 1, per_page: int = 50):
    """Receipts newest first (of a PO, or in some states), with their pieces."""
    query = (
        select(Receipt, Document, PurchaseOrder.number, Supplier.name, User.username)
        .join(Document, Document.id == Receipt.document_id)
        .join(User, User.id == Document.operator_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == Receipt.po_id)
        .outerjoin(Supplier, Supplier.id == Receipt.supplier_id)
        .order_by(Document.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    if po_id is not None:
        query = query.where(Receipt.po_id == po_id)
    if statuses is not None:
        query = query.where(Document.status.in_([s.value for s in statuses]))
    rows = db.session.execute(query).all()
    pieces = dict(
        db.session.execute(
            select(ReceiptLine.document_id, func.sum(ReceiptLine.received + ReceiptLine.damaged))
            .where(ReceiptLine.document_id.in_([r.Receipt.document_id for r in rows]))
            .group_by(ReceiptLine.document_id)
        ).all()
    )
    return [
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
        .where(Receipt.po_id == po.id, Document.status == DocumentStatus.POSTED.value)
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
