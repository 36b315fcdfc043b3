"""Returns (退货): goods back from a customer, against a completed order or on their own."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from ..database import run
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    DocumentKind,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    ReturnCondition,
    Variant,
)
from . import documents, ledger
from .errors import InvalidInput, InvalidTransition, NotFound
from .idempotency import run_once
from .warehouses import (
    quarantine_location_id,
    require_warehouse,
    usual_locations,
    working_warehouse_id,
)


@dataclass(frozen=True)
class ReturnLine:
    variant_id: int
    qty: int
    condition: ReturnCondition = ReturnCondition.RESELLABLE


order_lines = OrderLine.__table__
_COUNT_RETURN = (
    update(order_lines)
    .where(
        order_lines.c.order_id == bindparam("o"),
        order_lines.c.variant_id == bindparam("v"),
        order_lines.c.returned + bindparam("qty") <= order_lines.c.shipped,
    )
    .values(returned=order_lines.c.returned + bindparam("qty"))
    .returning(order_lines.c.returned)
)


def book_return(
    *,
    lines: Sequence[ReturnLine],
    operator_id: int,
    order_id: int | None = None,
    warehouse_id: int | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> dict:
    """Book a return document into a warehouse: resellable pieces go back into each
    variant's usual bin there, damaged ones into its quarantine bin, or, where it has
    none, are recorded as returned and written off at once: they never join sellable
    stock.

    Against an order, the pieces go back into the order's warehouse (the user must
    work in it: ``NotPermitted``), the order must be complete and each variant's
    returns, with the earlier ones, may not exceed what the order shipped: a line
    over that is named in ``InvalidInput`` (``lines[i]``) and nothing is written.
    Without an order, into ``warehouses.working_warehouse_id(operator_id,
    warehouse_id)``: the one given, or the user's own.
    Returns ``{"document", "movements"}``.
    """
    documents.within_line_cap(lines)

    def work() -> dict:
        if not lines or any(line.qty <= 0 for line in lines):
            raise InvalidInput(
                _l("Some fields need attention."),
                {"lines": _l("Give at least one size with a quantity.")},
            )
        if order_id is not None:
            into = _count_against_order(order_id, lines, operator_id)
            if warehouse_id not in (None, into):
                raise InvalidInput(
                    _l("Some fields need attention."),
                    {"warehouse": _l("A return against an order goes back into its warehouse.")},
                )
        else:
            into = working_warehouse_id(operator_id, warehouse_id)
        usual = usual_locations({line.variant_id for line in lines}, into)
        quarantine = quarantine_location_id(into)
        document = documents.create(
            DocumentKind.RETURN, operator_id=operator_id, note=note, order_id=order_id
        )
        damaged = [line for line in lines if line.condition == ReturnCondition.DAMAGED]

        def bin_of(line: ReturnLine) -> int:
            kept_apart = quarantine is not None and line.condition == ReturnCondition.DAMAGED
            return quarantine if kept_apart else usual[line.variant_id]

        posted = ledger.post(
            [ledger.Line(line.variant_id, bin_of(line), line.qty) for line in lines],
            kind=MovementKind.RETURN,
            operator_id=operator_id,
            document_id=document["id"],
            note=note,
        )
        if damaged and quarantine is None:
            posted += ledger.post(
                [ledger.Line(line.variant_id, bin_of(line), -line.qty) for line in damaged],
                kind=MovementKind.WRITE_OFF,
                operator_id=operator_id,
                document_id=document["id"],
                note=note,
            )
        return {"document": document, "movements": posted}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "return": order_id,
            "warehouse": warehouse_id,
            "lines": [[line.variant_id, line.qty, line.condition] for line in lines],
            "note": note,
        },
    )


def _count_against_order(order_id: int, lines: Sequence[ReturnLine], operator_id: int) -> int:
    """Count the lines as returned against the order; return its warehouse."""
    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(_l("Order %(id)s does not exist.", id=order_id))
    require_warehouse(operator_id, order.warehouse_id)
    if order.status != OrderStatus.COMPLETED:
        raise InvalidTransition(
            _l(
                "Order %(number)s is not complete: nothing has shipped to return.",
                number=order.number,
            )
        )
    errors = {}
    for i, line in enumerate(lines):
        done = run(_COUNT_RETURN, {"o": order_id, "v": line.variant_id, "qty": line.qty}).scalar()
        if done is None:
            errors[f"lines[{i}]"] = _over_shipped(order_id, line.variant_id, line.qty)
    if errors:
        raise InvalidInput(_l("Some returns are more than the order shipped."), errors)
    return order.warehouse_id


def _over_shipped(order_id: int, variant_id: int, qty: int):
    row = db.session.execute(
        select(Variant.sku, OrderLine.shipped, OrderLine.returned)
        .join(OrderLine, (OrderLine.variant_id == Variant.id) & (OrderLine.order_id == order_id))
        .where(Variant.id == variant_id)
    ).first()
    if row is None:
        return _l("This variant is not on the order.")
    return _l(
        "%(sku)s: the order shipped %(shipped)d and %(returned)d came back already; "
        "%(qty)d more is too many.",
        sku=row.sku,
        shipped=row.shipped,
        returned=row.returned,
        qty=qty,
    )
