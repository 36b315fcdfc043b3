"""API endpoints for suppliers, purchase orders (采购单) and receipts (入库单).

Like the other endpoints: each parses its input, naming every bad field at
once, calls one service (``services.suppliers``, ``services.purchasing``,
``services.receiving``) and renders its result. The services decide what a
state allows and who may go over a purchase order's tolerance.

Checks that depend on what is stored and may change once the request has
succeeded (a number or a name taken) are left to the service when they are
the only error: a repeat with its Idempotency-Key must reach the service to
get its first result back. With other errors, they are named beside them.
"""

import re
from datetime import date, datetime
from decimal import Decimal

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import queries
from ..extensions import db
from ..models import (
    Document,
    Location,
    POLine,
    POStatus,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    ReceiptReason,
    Role,
    Supplier,
    User,
    Variant,
    document_number,
)
from ..services import purchasing, receiving, suppliers
from ..services.errors import NotFound
from ..services.idempotency import run_once
from ..services.warehouses import main_warehouse_id
from . import api
from .orders import MAX_ID, number_or_id
from .routes import CURSOR, idempotency_key, json_body, posted_movements, requires, resolve_skus
from .schemas import MAX_NOTE, Reader

PO = f"/purchase-orders/<int(max={MAX_ID}):po_id>"
RECEIPT = f"/receipts/<int(max={MAX_ID}):receipt_id>"
MAX_NUMBER = 40  # PurchaseOrder.number
MAX_LOCATION = 32  # Location.code
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
STATUSES = tuple(status.value for status in POStatus)
REASONS = tuple(reason.value for reason in ReceiptReason)


# --- suppliers -------------------------------------------------------------------------------


@api.post("/suppliers")
@requires(Role.MANAGER)
def create_supplier():
    reader = Reader(json_body())
    fields = {
        name: reader.text(name, max_length=limit, required=name == "name")
        for name, limit in suppliers.LIMITS.items()
    }
    if reader.errors and "name" not in reader.errors and _supplier_named(fields["name"]):
        reader.fail("name", _l("A supplier of this name exists already."))
    reader.finish()

    def work() -> dict:
        return _supplier(db.session.get(Supplier, suppliers.save(**fields)))

    result = run_once(
        work,
        user_id=g.api_user.id,
        key=idempotency_key(),
        request={"create_supplier": fields},
    )
    return jsonify(result), 201


@api.get("/suppliers")
def list_suppliers():
    return jsonify({"items": [_supplier(supplier) for supplier in suppliers.listing()]})


# --- purchase orders -------------------------------------------------------------------------


@api.post("/purchase-orders")
@requires(Role.MANAGER)
def create_purchase_order():
    reader = Reader(json_body())
    number = reader.text("number", max_length=MAX_NUMBER)
    supplier_id = _supplier_id(reader)
    expected_on = _date(reader, "expected_on")
    note = reader.text("note", max_length=MAX_NOTE, required=False)
    place = _flag(reader, "place", default=True)
    parsed = []
    for path, line in reader.lines():
        qty = reader.integer(line.get("qty"), f"{path}.qty", minimum=1)
        unit_cost = _within(reader, path, line, lambda fields: fields.price("unit_cost"))
        parsed.append((path, line, qty, unit_cost))
    variant_ids = resolve_skus(reader, [(path, line) for path, line, _, _ in parsed])
    if reader.errors and "number" not in reader.errors and _po_id(PurchaseOrder.number == number):
        reader.fail("number", _l("Purchase order %(number)s already exists.", number=number))
    reader.finish()
    result = purchasing.create(
        number=number,
        supplier_id=supplier_id,
        lines=[
            purchasing.OrderedLine(variant_ids[line["sku"]], qty, unit_cost)
            for _, line, qty, unit_cost in parsed
        ],
        operator_id=g.api_user.id,
        expected_on=expected_on,
        note=note,
        place=place,
        idempotency_key=idempotency_key(),
    )
    return jsonify(_po_ref(result)), 201


@api.get("/purchase-orders")
def list_purchase_orders():
    """Newest first, keyset-paginated like /movements, each with its totals."""
    reader = Reader(dict(request.args))
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        reader.fail(
            "status", _l("Unknown status. Use one of: %(statuses)s.", statuses=", ".join(STATUSES))
        )
    limit = reader.integer(
        _as_int(request.args.get("limit", "50")), "limit", minimum=1, maximum=500
    )
    cursor = request.args.get("cursor") or None
    if cursor is not None and not CURSOR.fullmatch(cursor):
        reader.fail("cursor", _l("Use the next_cursor of the previous page."))
    reader.finish()
    query = (
        select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrder.status,
            PurchaseOrder.expected_on,
            PurchaseOrder.created_at,
            Supplier.id.label("supplier_id"),
            Supplier.name.label("supplier_name"),
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .order_by(PurchaseOrder.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    if cursor is not None:
        # Bound to the column's 32 bits: PostgreSQL refuses a larger integer.
        query = query.where(PurchaseOrder.id <= min(int(cursor) - 1, MAX_ID))
    rows = db.session.execute(query).all()
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    rows = rows[:limit]
    totals = queries.po_totals([row.id for row in rows])
    items = [
        {
            "id": row.id,
            "number": row.number,
            "supplier": {"id": row.supplier_id, "name": row.supplier_name},
            "status": row.status,
            "expected_on": _day(row.expected_on),
            "created_at": _timestamp(row.created_at),
            **totals[row.id],
        }
        for row in rows
    ]
    return jsonify({"items": items, "next_cursor": next_cursor})


@api.get(PO)
def get_purchase_order(po_id: int):
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        raise NotFound(_l("Purchase order %(id)s does not exist.", id=po_id))
    received = purchasing.received_by_variant(po.id)
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
    return jsonify(
        {
            "id": po.id,
            "number": po.number,
            "supplier": {"id": po.supplier_id, "name": po.supplier.name},
            "expected_on": _day(po.expected_on),
            "status": po.status,
            "note": po.note,
            "created_at": _timestamp(po.created_at),
            "closed_at": _timestamp(po.closed_at),
            "lines": [_po_line(line, sku, received.get(line.variant_id, 0)) for line, sku in lines],
            "unexpected": [
                {"sku": skus[variant_id], "received": qty}
                for variant_id, qty in sorted(unexpected.items(), key=lambda item: skus[item[0]])
            ],
            "receipts": [
                {"id": id_, "number": document_number(kind, id_), "status": status}
                for id_, kind, status in receipts
            ],
        }
    )


@api.post(f"{PO}/place")
@requires(Role.MANAGER)
def place_purchase_order(po_id: int):
    result = purchasing.place(po_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return jsonify(_po_ref(result))


@api.post(f"{PO}/close")
@requires(Role.MANAGER)
def close_purchase_order(po_id: int):
    result = purchasing.close(po_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return jsonify(_po_ref(result))


# --- receipts --------------------------------------------------------------------------------


@api.post("/receipts")
@requires(Role.CLERK)
def create_receipt():
    reader = Reader(json_body())
    po_id = _po_of(reader)
    note = reader.text("note", max_length=MAX_NOTE, required=False)
    submit = _flag(reader, "submit", default=False)
    found = reader.lines()
    locations = _main_locations(
        line["location"].strip() for _, line in found if isinstance(line.get("location"), str)
    )
    parsed = []
    for path, line in found:
        received = reader.integer(line.get("received"), f"{path}.received", minimum=0)
        damaged = 0
        if line.get("damaged") is not None:
            damaged = reader.integer(line["damaged"], f"{path}.damaged", minimum=0)
        reason = _reason(reader, f"{path}.reason", line.get("reason"))
        # A line with nothing arrived says why (short); any other line says how many.
        counted = {f"{path}.received", f"{path}.damaged"}.isdisjoint(reader.errors)
        if counted and received + damaged == 0 and not line.get("reason"):
            reader.fail(
                f"{path}.received",
                _l("Give how many arrived (received or damaged), or a reason."),
            )
        location_id = _location_id(reader, f"{path}.location", line.get("location"), locations)
        unit_cost = _within(reader, path, line, lambda fields: fields.price("unit_cost"))
        line_note = _within(
            reader,
            path,
            line,
            lambda fields: fields.text("note", max_length=MAX_NOTE, required=False),
        )
        parsed.append((path, line, received, damaged, location_id, unit_cost, reason, line_note))
    variant_ids = resolve_skus(reader, [(path, line) for path, line, *_ in parsed])
    reader.finish()
    result = receiving.create(
        lines=[
            receiving.ArrivedLine(
                variant_id=variant_ids[line["sku"]],
                received=received,
                damaged=damaged,
                location_id=location_id,
                unit_cost=unit_cost,
                reason=reason,
                note=line_note,
            )
            for _, line, received, damaged, location_id, unit_cost, reason, line_note in parsed
        ],
        operator_id=g.api_user.id,
        po_id=po_id,
        note=note,
        submit=submit,
        idempotency_key=idempotency_key(),
    )
    document_id = result["document"]["id"]
    return jsonify(
        {
            "receipt": result["document"],
            "lines": _receipt_lines(document_id),
            "movements": posted_movements(result, variant_ids),
            "po": _po_state(document_id),
        }
    ), 201


@api.get(RECEIPT)
def get_receipt(receipt_id: int):
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(_l("Receipt %(id)s does not exist.", id=receipt_id))
    document = db.session.get(Document, receipt_id)
    users = _usernames({document.operator_id, receipt.submitted_by, receipt.decided_by})
    supplier = db.session.get(Supplier, receipt.supplier_id) if receipt.supplier_id else None
    return jsonify(
        {
            "id": document.id,
            "number": document.number,
            "status": document.status,
            "note": document.note,
            "po": _po_state(receipt_id),
            "supplier": None if supplier is None else {"id": supplier.id, "name": supplier.name},
            "created_at": _timestamp(document.created_at),
            "created_by": users.get(document.operator_id),
            "submitted_at": _timestamp(receipt.submitted_at),
            "submitted_by": users.get(receipt.submitted_by),
            "decided_at": _timestamp(receipt.decided_at),
            "decided_by": users.get(receipt.decided_by),
            "reject_reason": receipt.reject_reason,
            "lines": _receipt_lines(receipt_id),
        }
    )


@api.post(f"{RECEIPT}/submit")
@requires(Role.CLERK)
def submit_receipt(receipt_id: int):
    result = receiving.submit(
        receipt_id, operator_id=g.api_user.id, idempotency_key=idempotency_key()
    )
    return _decided(receipt_id, result)


@api.post(f"{RECEIPT}/approve")
@requires(Role.MANAGER)
def approve_receipt(receipt_id: int):
    result = receiving.approve(
        receipt_id, operator_id=g.api_user.id, idempotency_key=idempotency_key()
    )
    return _decided(receipt_id, result)


@api.post(f"{RECEIPT}/reject")
@requires(Role.MANAGER)
def reject_receipt(receipt_id: int):
    if (
        db.session.scalar(select(Receipt.document_id).where(Receipt.document_id == receipt_id))
        is None
    ):
        raise NotFound(_l("Receipt %(id)s does not exist.", id=receipt_id))
    reader = Reader(json_body())
    reason = reader.text("reason", max_length=MAX_NOTE)
    reader.finish()
    result = receiving.reject(
        receipt_id, operator_id=g.api_user.id, reason=reason, idempotency_key=idempotency_key()
    )
    return _decided(receipt_id, result)


# --- reading the input -----------------------------------------------------------------------


def _within(reader: Reader, path: str, line: dict, read):
    """Read a field of one line with the ``Reader``'s own checks, the error named
    under the line's path (``lines[2].unit_cost``)."""
    fields = Reader(line)
    value = read(fields)
    for name, message in fields.errors.items():
        reader.fail(f"{path}.{name}", message)
    return value


def _id(value) -> int | None:
    """A whole-number id that fits the schema, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


def _supplier_id(reader: Reader) -> int:
    value = reader.body.get("supplier")
    if value is None:
        reader.fail("supplier", _l("This field is required."))
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        reader.fail("supplier", _l("Give the supplier's id."))
        return 0
    # Suppliers are never deleted: one found now is there when the service looks.
    supplier_id = _id(value)
    if supplier_id is None or _supplier_exists(supplier_id) is None:
        reader.fail("supplier", _l("No supplier %(supplier)s.", supplier=value))
        return 0
    return supplier_id


def _supplier_exists(supplier_id: int) -> int | None:
    return db.session.scalar(select(Supplier.id).where(Supplier.id == supplier_id))


def _supplier_named(name: str) -> bool:
    found = select(Supplier.id).where(func.lower(Supplier.name) == name.lower())
    return bool(name) and db.session.scalar(found) is not None


def _date(reader: Reader, name: str) -> date | None:
    value = reader.body.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        reader.fail(name, _l("Enter a date as YYYY-MM-DD."))
        return None


def _flag(reader: Reader, name: str, *, default: bool) -> bool:
    value = reader.body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        reader.fail(name, _l("Give true or false."))
        return default
    return value


def _po_id(condition) -> int | None:
    return db.session.scalar(select(PurchaseOrder.id).where(condition))


def _po_of(reader: Reader) -> int | None:
    """The ``po`` of a receipt: its number (text) or its id (a whole number)."""
    return number_or_id(
        reader,
        "po",
        PurchaseOrder,
        give=_l("Give the purchase order's number, or its id."),
        missing=lambda value: _l("No purchase order %(po)s.", po=value),
    )


def _main_locations(codes) -> dict[str, tuple[int, bool]]:
    """The main warehouse's locations among ``codes``: code (upper case) → (id, quarantine)."""
    wanted = {code.upper() for code in codes if 0 < len(code) <= MAX_LOCATION}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(func.upper(Location.code), Location.id, Location.is_quarantine).where(
            Location.warehouse_id == main_warehouse_id(),
            func.upper(Location.code).in_(wanted),
        )
    )
    return {code: (location_id, quarantine) for code, location_id, quarantine in rows}


def _location_id(reader: Reader, path: str, value, locations) -> int | None:
    """A line's location code, in the main warehouse and for sellable stock; None: the usual."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        reader.fail(path, _l("Give the location's code, such as A-01-03."))
        return None
    found = locations.get(value.strip().upper())
    if found is None:
        reader.fail(path, _l("No location %(code)s in the main warehouse.", code=value.strip()))
        return None
    location_id, quarantine = found
    if quarantine:
        reader.fail(path, _l("Choose a location for sellable stock."))
        return None
    return location_id


def _reason(reader: Reader, path: str, value) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value not in REASONS:
        reader.fail(
            path, _l("Unknown reason. Use one of: %(reasons)s.", reasons=", ".join(REASONS))
        )
        return ""
    return value


def _as_int(text: str):
    try:
        return int(text)
    except ValueError:
        return text


# --- rendering -------------------------------------------------------------------------------


def _supplier(supplier: Supplier) -> dict:
    return {
        "id": supplier.id,
        "name": supplier.name,
        "contact": supplier.contact,
        "phone": supplier.phone,
        "note": supplier.note,
    }


def _po_ref(po: dict) -> dict:
    return {"id": po["id"], "number": po["number"], "status": str(po["status"])}


def _po_line(line: POLine, sku: str, received: int) -> dict:
    return {
        "sku": sku,
        "ordered": line.ordered,
        "received": received,
        "cancelled": line.cancelled,
        "remaining": max(line.ordered - received - line.cancelled, 0),
        "unit_cost": _money(line.unit_cost),
    }


def _receipt_lines(document_id: int) -> list[dict]:
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
            "unit_cost": _money(line.unit_cost),
            "reason": line.reason,
            "note": line.note,
        }
        for line, sku, code in rows
    ]


def _po_state(document_id: int) -> dict | None:
    """The receipt's purchase order as it stands now, or None."""
    row = db.session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status)
        .join(Receipt, Receipt.po_id == PurchaseOrder.id)
        .where(Receipt.document_id == document_id)
    ).first()
    return None if row is None else {"id": row.id, "number": row.number, "status": row.status}


def _decided(receipt_id: int, result: dict):
    """200 with the receipt's document, what it posted, and its PO's state now."""
    skus = dict(
        db.session.execute(
            select(Variant.sku, Variant.id)
            .join(ReceiptLine, ReceiptLine.variant_id == Variant.id)
            .where(ReceiptLine.document_id == receipt_id)
        ).all()
    )
    return jsonify(
        {
            "receipt": result["document"],
            "movements": posted_movements(result, skus),
            "po": _po_state(receipt_id),
        }
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


def _money(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
