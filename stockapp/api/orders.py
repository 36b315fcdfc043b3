"""API endpoints for allocation orders (配货单) and returns (退货).

Like the other endpoints: each parses its input, naming every bad field at
once, calls one service (``services.orders``, ``services.returns``) and
renders its result. The services decide what the state of an order allows.
"""

from datetime import datetime

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import queries
from ..extensions import db
from ..models import Order, OrderLine, ReturnCondition, Role, Variant
from ..services import orders, returns
from ..services.errors import NotFound
from . import api
from .routes import idempotency_key, json_body, posted_movements, requires, resolve_skus
from .schemas import MAX_NOTE, Reader, check_text

# Order ids are 32-bit in the schema: a larger id in a URL is simply not found
# (and never reaches the database, which would refuse it with an error).
MAX_ID = 2**31 - 1
ORDER = f"/orders/<int(max={MAX_ID}):order_id>"
MAX_NUMBER = 40
MAX_CUSTOMER = 120
CONDITIONS = {condition.value for condition in ReturnCondition}


@api.post("/orders")
@requires(Role.CLERK)
def create_order():
    reader = Reader(json_body())
    number = reader.text("number", max_length=MAX_NUMBER)
    customer = reader.text("customer", max_length=MAX_CUSTOMER)
    note = reader.text("note", max_length=MAX_NOTE, required=False)
    parsed = [
        (path, line, reader.integer(line.get("qty"), f"{path}.qty", minimum=1))
        for path, line in reader.lines()
    ]
    variant_ids = resolve_skus(reader, [(path, line) for path, line, _ in parsed])
    reader.finish()
    result = orders.create(
        number=number,
        customer=customer,
        note=note,
        lines=[(variant_ids[line["sku"]], qty) for _, line, qty in parsed],
        operator_id=g.api_user.id,
        idempotency_key=idempotency_key(),
    )
    return jsonify(_order_ref(result)), 201


@api.get(ORDER)
def get_order(order_id: int):
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(_l("Order %(id)s does not exist.", id=order_id))
    page = queries.order_page(order)
    cells = sorted(
        (cell for group in page["styles"] for cell in group["cells"].values()),
        key=lambda cell: cell["line"].id,
    )
    return jsonify(
        {
            "id": order.id,
            "number": order.number,
            "customer": order.customer,
            "note": order.note,
            "status": order.status,
            "created_at": _timestamp(order.created_at),
            "completed_at": _timestamp(order.completed_at),
            "cancelled_at": _timestamp(order.cancelled_at),
            "cancel_reason": order.cancel_reason,
            "lines": [
                {
                    "sku": cell["variant"].sku,
                    "ordered": cell["line"].ordered,
                    "picked": cell["line"].picked,
                    "shipped": cell["line"].shipped,
                    "returned": cell["line"].returned,
                    "short": cell["short"],
                }
                for cell in cells
            ],
        }
    )


@api.post(f"{ORDER}/picks")
@requires(Role.CLERK)
def record_picks(order_id: int):
    """Absolute picked quantities: a retry or a second tablet sets, never adds."""
    _require_order(order_id)
    reader = Reader(json_body())
    parsed = [
        (path, line, reader.integer(line.get("picked"), f"{path}.picked", minimum=0))
        for path, line in reader.lines()
    ]
    variant_ids = _variant_ids(reader, [(path, line) for path, line, _ in parsed], order_id)
    reader.finish()
    result = orders.record_picks(
        order_id,
        lines=[(variant_ids[line["sku"]], picked) for _, line, picked in parsed],
        operator_id=g.api_user.id,
        relative=False,
        idempotency_key=idempotency_key(),
    )
    # A replayed result comes back from JSON, where the variant ids became text.
    picked = {int(variant_id): qty for variant_id, qty in result["picked"].items()}
    lines = db.session.execute(
        select(Variant.sku, OrderLine.variant_id, OrderLine.ordered)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    )
    return jsonify(
        {
            "id": order_id,
            "status": result["status"],
            "lines": [
                {"sku": sku, "ordered": ordered, "picked": picked.get(variant_id, 0)}
                for sku, variant_id, ordered in lines
            ],
        }
    )


@api.post(f"{ORDER}/complete")
@requires(Role.MANAGER)
def complete_order(order_id: int):
    result = orders.complete(order_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return jsonify(
        {
            "order": _order_ref(result["order"]),
            "document": result["document"],
            "movements": posted_movements(result, _order_skus(order_id)),
        }
    )


@api.post(f"{ORDER}/cancel")
@requires(Role.CLERK)
def cancel_order(order_id: int):
    # The body is optional: cancelling an open order needs no reason.
    reader = Reader(json_body() if request.get_data() else {})
    reason = reader.text("reason", max_length=MAX_NOTE, required=False)
    reader.finish()
    result = orders.cancel(
        order_id,
        operator_id=g.api_user.id,
        reason=reason,
        may_reverse=g.api_user.role.rank >= Role.MANAGER.rank,
        idempotency_key=idempotency_key(),
    )
    reversal = result["reversal"]
    if reversal is not None:
        reversal = {
            "document": reversal["document"],
            "movements": posted_movements(reversal, _order_skus(order_id)),
        }
    return jsonify({"order": _order_ref(result["order"]), "reversal": reversal})


@api.post("/returns")
@requires(Role.CLERK)
def book_return():
    reader = Reader(json_body())
    order_id = _order_id(reader)
    note = reader.text("note", max_length=MAX_NOTE, required=False)
    parsed, seen = [], set()
    # One SKU may come back twice: once resellable, once damaged.
    for path, line in reader.lines(unique=False):
        qty = reader.integer(line.get("qty"), f"{path}.qty", minimum=1)
        condition = line.get("condition")
        if condition is None:
            condition = ReturnCondition.RESELLABLE.value
        if not isinstance(condition, str) or condition not in CONDITIONS:
            reader.fail(
                f"{path}.condition",
                _l(
                    "Unknown condition. Use one of: %(conditions)s.",
                    conditions=", ".join(ReturnCondition),
                ),
            )
            continue
        if (line["sku"], condition) in seen:
            reader.fail(
                f"{path}.sku",
                _l(
                    "%(sku)s is listed twice as %(condition)s.",
                    sku=line["sku"],
                    condition=condition,
                ),
            )
            continue
        seen.add((line["sku"], condition))
        parsed.append((path, line, qty, ReturnCondition(condition)))
    variant_ids = _variant_ids(reader, [(path, line) for path, line, _, _ in parsed], order_id)
    reader.finish()
    result = returns.book_return(
        lines=[
            returns.ReturnLine(variant_ids[line["sku"]], qty, condition)
            for _, line, qty, condition in parsed
        ],
        operator_id=g.api_user.id,
        order_id=order_id,
        note=note,
        idempotency_key=idempotency_key(),
    )
    return (
        jsonify({"return": result["document"], "movements": posted_movements(result, variant_ids)}),
        201,
    )


def _require_order(order_id: int) -> None:
    if _existing_order_id(Order.id == order_id) is None:
        raise NotFound(_l("Order %(id)s does not exist.", id=order_id))


def _existing_order_id(condition) -> int | None:
    return db.session.scalar(select(Order.id).where(condition))


def _order_id(reader: Reader) -> int | None:
    """The ``order`` of a return: its number (text) or its id (a whole number)."""
    return number_or_id(
        reader,
        "order",
        Order,
        give=_l("Give the order number, or the order id."),
        missing=lambda value: _l("No order %(order)s.", order=value),
    )


def number_or_id(reader: Reader, field: str, model, *, give, missing) -> int | None:
    """The id of the ``model`` row (an order, a PO) that ``field`` names by its number
    (text) or its id (a whole number); a bad or unknown one fails ``field``."""
    value = reader.body.get(field)
    if value is None:
        return None
    # Ids only: a row loaded here would sit in the session, stale, when the service
    # locks it.
    if isinstance(value, int) and not isinstance(value, bool):
        found = (
            db.session.scalar(select(model.id).where(model.id == value))
            if 0 < value <= MAX_ID
            else None
        )
    elif isinstance(value, str):
        number = check_text(reader, field, value, max_length=MAX_NUMBER, required=True)
        if field in reader.errors:
            return None
        found = db.session.scalar(select(model.id).where(model.number == number))
    else:
        reader.fail(field, give)
        return None
    if found is None:
        reader.fail(field, missing(value))
    return found


def _variant_ids(reader: Reader, lines, order_id: int | None) -> dict[str, int]:
    """SKU → variant id, for the lines' SKUs; the order's own variants first, so a
    variant archived since the order was made can still be picked or returned."""
    on_order = _order_skus(order_id) if order_id is not None else {}
    others = [(path, line) for path, line in lines if line["sku"] not in on_order]
    return {**resolve_skus(reader, others), **on_order}


def _order_skus(order_id: int) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Variant.sku, Variant.id)
            .join(OrderLine, OrderLine.variant_id == Variant.id)
            .where(OrderLine.order_id == order_id)
        ).all()
    )


def _order_ref(order: dict) -> dict:
    return {"id": order["id"], "number": order["number"], "status": str(order["status"])}


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
