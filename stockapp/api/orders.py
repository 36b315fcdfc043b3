"""API endpoints for allocation orders (配货单).

Each reads its contract (every bad field named at once), calls one service
(``services.orders``) and answers through a response model. The service decides
what the state of an order allows.
"""

from datetime import datetime

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.orders import (
    Cancel,
    Cancelled,
    Completed,
    NewOrder,
    NewPicks,
    Order,
    OrderRef,
    Picks,
)
from ..i18n import lazy_gettext as _l
from ..models import Order as OrderRow
from ..models import Role
from ..models.ledger import MAX_ID
from ..services import orders, warehouses
from ..services.errors import NotFound
from . import api
from .access import requires
from .reading import answer, body, idempotency_key, posted, posted_movements, unique_skus

ORDER = f"/orders/<int(max={MAX_ID}):order_id>"


@api.post("/orders")
@requires(Role.CLERK)
def create_order():
    found, refusal = body(NewOrder)
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    warehouse_id, _ = refusal.places(found.warehouse)
    refusal.finish()
    result = orders.create(
        number=found.number,
        customer=found.customer,
        note=found.note,
        lines=[(variant_ids[line.sku], line.qty) for line in found.lines],
        warehouse_id=warehouse_id,
        operator_id=g.api_user.id,
        idempotency_key=idempotency_key(),
    )
    return answer(OrderRef, _with_warehouse(result, result["id"]), 201)


@api.get(ORDER)
@requires(Reads.ORDERS)
def get_order(order_id: int):
    order = require_order(order_id)
    page = queries.order_page(order)
    cells = sorted(
        (cell for group in page["styles"] for cell in group["cells"].values()),
        key=lambda cell: cell["line"].id,
    )
    return answer(
        Order,
        {
            "id": order.id,
            "number": order.number,
            "customer": order.customer,
            "note": order.note,
            "status": order.status,
            "warehouse": order.warehouse.code,
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
        },
    )


@api.post(f"{ORDER}/picks")
@requires(Role.CLERK)
def record_picks(order_id: int):
    """Absolute picked quantities: a retry or a second tablet sets, never adds."""
    require_order(order_id)
    found, refusal = body(NewPicks)
    unique_skus(refusal, found.lines)
    # The order's own variants first: one archived since the order was made can be picked.
    variant_ids = refusal.variant_ids(found.lines, known=queries.order_skus(order_id))
    refusal.finish()
    result = orders.record_picks(
        order_id,
        lines=[(variant_ids[line.sku], line.picked) for line in found.lines],
        operator_id=g.api_user.id,
        relative=False,
        idempotency_key=idempotency_key(),
    )
    # A replayed result comes back from JSON, where the variant ids became text.
    picked = {int(variant_id): qty for variant_id, qty in result["picked"].items()}
    lines = [
        {"sku": sku, "ordered": ordered, "picked": picked.get(variant_id, 0)}
        for sku, variant_id, ordered in queries.order_lines(order_id)
    ]
    return answer(Picks, {"id": order_id, "status": result["status"], "lines": lines})


@api.post(f"{ORDER}/complete")
@requires(Role.MANAGER)
def complete_order(order_id: int):
    result = orders.complete(order_id, operator_id=g.api_user.id, idempotency_key=idempotency_key())
    return answer(
        Completed,
        {
            "order": _with_warehouse(result["order"], order_id),
            "document": result["document"],
            # A repeat of a completion stored before results carried their SKUs reads them.
            "movements": posted_movements(
                result, result.get("skus") or queries.order_skus(order_id)
            ),
        },
    )


@api.post(f"{ORDER}/cancel")
@requires(Role.CLERK)
def cancel_order(order_id: int):
    # The body is optional: cancelling an open order needs no reason.
    found, refusal = body(Cancel, optional=True)
    refusal.finish()
    result = orders.cancel(
        order_id,
        operator_id=g.api_user.id,
        reason=found.reason,
        may_reverse=g.api_user.role.rank >= Role.MANAGER.rank,
        idempotency_key=idempotency_key(),
    )
    reversal = result["reversal"]
    if reversal is not None:
        reversal = posted(reversal, queries.order_skus(order_id))
    return answer(
        Cancelled, {"order": _with_warehouse(result["order"], order_id), "reversal": reversal}
    )


def require_order(order_id: int) -> OrderRow:
    """The order, if the user works in its warehouse (``NotFound``, ``NotPermitted``)."""
    order = queries.order_by_id(order_id)
    if order is None:
        raise NotFound(_l("Order %(id)s does not exist.", id=order_id))
    warehouses.require_warehouse(g.api_user.id, order.warehouse_id)
    return order


def _with_warehouse(ref: dict, order_id: int) -> dict:
    """An order's reference with its warehouse's code: a repeat of a result stored
    before results carried it reads it."""
    if "warehouse" in ref:
        return ref
    return {**ref, "warehouse": queries.order_by_id(order_id).warehouse.code}


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
