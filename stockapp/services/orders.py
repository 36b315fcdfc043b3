"""Allocation orders (配货单): reserve, pick, complete (配货完成), cancel.

An order ships from one warehouse: only its users may act on it, and what an
open or picking order reserves counts against that warehouse's stock. Picks are
recorded as the clerk goes. Completing takes each variant down by its picked
quantity in one ledger post, from that warehouse's bins, and releases the
reservation; cancelling releases it, or, for a completed order, reverses the
allocation. Every function runs one transaction and, with an idempotency key,
runs at most once.
"""

from collections.abc import Sequence
from functools import cache

from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..database import Prepared, mark_stock_changed, run, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    ACTIVE,
    Document,
    DocumentKind,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    Variant,
    Warehouse,
)
from . import documents, ledger
from .errors import (
    AlreadyCancelled,
    AlreadyCompleted,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from .idempotency import run_once
from .warehouses import require_warehouse, working_warehouse_id, works_in

orders = Order.__table__
order_lines = OrderLine.__table__


def create(
    *,
    number: str,
    customer: str,
    lines: Sequence[tuple[int, int]],
    operator_id: int,
    note: str = "",
    warehouse_id: int | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """Create an open order of ``(variant_id, qty)`` lines, shipping from a warehouse
    (``warehouses.working_warehouse_id``: the one given, or the user's own); it
    reserves them there at once.

    The number must be new, each variant active and listed once, each quantity
    positive, the warehouse active; otherwise ``InvalidInput`` names the fields
    (``number``, ``lines[i]``, ``warehouse``) and nothing is written. A warehouse the
    user does not work in is refused (``NotPermitted``). An order may ask for more
    than is available: stock may still arrive. Returns ``{"id", "number", "status",
    "warehouse_id", "warehouse"}`` (its code).
    """
    documents.within_line_cap(lines)

    def work() -> dict:
        errors = _line_errors(lines)
        if db.session.scalar(select(orders.c.id).where(orders.c.number == number)):
            errors["number"] = _l("Order %(number)s already exists.", number=number)
        chosen = None
        try:
            chosen = working_warehouse_id(operator_id, warehouse_id)
        except InvalidInput as refused:
            errors.update(refused.errors)
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        order_id = run(
            _insert_order(),
            {
                "number": number,
                "customer": customer,
                "note": note,
                "status": OrderStatus.OPEN,
                "warehouse_id": chosen,
                "created_by": operator_id,
                "created_at": utcnow(),
                "cancel_reason": "",
            },
        ).scalar()
        if order_id is None:
            raise InvalidInput(
                _l("Some fields need attention."),
                {"number": _l("Order %(number)s already exists.", number=number)},
            )
        run(
            order_lines.insert(),
            [
                {
                    "order_id": order_id,
                    "variant_id": variant_id,
                    "ordered": qty,
                    "picked": 0,
                    "shipped": 0,
                    "returned": 0,
                    "reserving": True,
                }
                for variant_id, qty in lines
            ],
        )
        mark_stock_changed()
        return {
            "id": order_id,
            "number": number,
            "status": OrderStatus.OPEN,
            "warehouse_id": chosen,
            # Loaded already, by working_warehouse_id.
            "warehouse": db.session.get(Warehouse, chosen).code,
        }

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "create_order": number,
            "customer": customer,
            "lines": lines,
            "note": note,
            "warehouse": warehouse_id,
        },
    )


def record_picks(
    order_id: int,
    *,
    lines: Sequence[tuple[int, int]],
    operator_id: int,
    relative: bool = False,
    idempotency_key: str | None = None,
) -> dict:
    """Record what has been picked: ``(variant_id, picked)`` per line.

    ``relative`` adds each number to what was already picked (a scan or a tap
    on one tablet adds to what another tablet picked); otherwise each number
    replaces it. Picked stays within 0 … ordered, and only variants on the order
    can be picked: any line out of bounds is named in ``InvalidInput``
    (``lines[i]``) and nothing is written. The first pick moves the order from
    open to picking; a completed or cancelled order refuses picks, and a user who
    does not work in the order's warehouse is refused (``NotPermitted``). Returns
    ``{"status", "picked": {"<variant_id>": picked}}`` over the whole order.
    """

    def work() -> dict:
        # The claim locks the order's row: picks of one order queue, so its lines
        # read here are what the picks change.
        claimed = _claim(order_id, operator_id)
        on_order = {row.variant_id: row for row in run(_ORDER_LINES, {"o": order_id})}
        picked = {variant_id: row.picked for variant_id, row in on_order.items()}
        errors = {}
        for i, (variant_id, qty) in enumerate(lines):
            line = on_order.get(variant_id)
            if line is None:
                errors[f"lines[{i}]"] = _not_on_order(variant_id)
                continue
            wanted = picked[variant_id] + qty if relative else qty
            if wanted < 0:
                errors[f"lines[{i}]"] = _l("%(sku)s: picked cannot go below 0.", sku=line.sku)
            elif wanted > line.ordered:
                errors[f"lines[{i}]"] = _l(
                    "%(sku)s: %(wanted)d picked would be more than the %(ordered)d ordered.",
                    sku=line.sku,
                    wanted=wanted,
                    ordered=line.ordered,
                )
            else:
                picked[variant_id] = wanted
        if errors:
            raise InvalidInput(_l("Some picks cannot be recorded."), errors)
        changed = [
            {"o": order_id, "v": v, "qty": qty}
            for v, qty in picked.items()
            if qty != on_order[v].picked
        ]
        if changed:
            run(_SET_PICKED, changed)  # one executemany, whatever the lines
        in_full = all(picked[v] == line.ordered for v, line in on_order.items())
        if in_full != claimed["picked_in_full"]:
            run(_SET_PICKED_IN_FULL, {"o": order_id, "in_full": in_full})
        mark_stock_changed()
        # Keys as text: the result is stored as JSON for a replay, and must read the same.
        return {"status": OrderStatus.PICKING, "picked": {str(v): n for v, n in picked.items()}}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"picks": order_id, "lines": lines, "relative": relative},
    )


def picked_by_variant(order_id: int) -> dict[int, int]:
    return dict(run(_PICKED, {"o": order_id}).all())


def complete(order_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """配货完成: take each variant down by its picked quantity, and close the order.

    One ledger post of the picked quantities, out of the sellable bins of the
    order's warehouse only (lowest location first: the default location is the
    first made); the whole reservation is released and the unpicked remainder is
    short-shipped. If any variant lacks the stock there, ``InsufficientStock``
    names each with the warehouse and its shortfall and nothing changes. A user who
    does not work in the order's warehouse is refused (``NotPermitted``).
    An order with nothing picked is refused (``InvalidTransition``): that is a
    cancel, not a completion. The order row is claimed first, so a second
    completion (a double tap, a second tablet) waits for the first and is
    refused with ``AlreadyCompleted``.
    Returns ``{"order", "document", "movements", "skus"}``: ``skus`` maps the SKU of
    each variant taken to its id (for an answer, without reading them again).
    """

    def work() -> dict:
        order = _claim(
            order_id,
            operator_id,
            to=OrderStatus.COMPLETED,
            completed_by=operator_id,
            completed_at=utcnow(),
        )
        found = [row for row in run(_ORDER_LINES, {"o": order_id}) if row.picked > 0]
        picked = {row.variant_id: row.picked for row in found}
        if not picked:
            raise InvalidTransition(
                _l(
                    "Nothing is picked on order %(number)s: pick first, or cancel the order.",
                    number=order["number"],
                )
            )
        # The document and the order's lines first: they touch only this order, so
        # the balances, which neighbouring orders want too, are locked for the
        # fewest statements (on PostgreSQL, round trips) before the commit.
        document = documents.create(
            DocumentKind.ALLOCATION,
            operator_id=operator_id,
            note=order["number"],
            order_id=order_id,
        )
        run(_SHIP_PICKED, {"o": order_id})
        lines, held = ledger.take_from_locations(picked, warehouse_id=order["warehouse_id"])
        posted = ledger.post(
            lines,
            kind=MovementKind.ALLOCATION,
            operator_id=operator_id,
            document_id=document["id"],
            note=order["number"],
            held=held,
        )
        mark_stock_changed()
        return {
            "order": {
                **{k: order[k] for k in ("id", "number", "customer", "warehouse")},
                "status": OrderStatus.COMPLETED,
            },
            "document": document,
            "movements": posted,
            "skus": {row.sku: row.variant_id for row in found},
        }

    return run_once(work, user_id=operator_id, key=idempotency_key, request={"complete": order_id})


def cancel(
    order_id: int,
    *,
    operator_id: int,
    reason: str = "",
    may_reverse: bool = False,
    idempotency_key: str | None = None,
) -> dict:
    """Cancel an order, for a user who works in its warehouse (else ``NotPermitted``).

    An open or picking order is cancelled and its reservation released. A
    completed order is cancelled by reversing its allocation, which restores
    exactly what it took: only for a user who ``may_reverse`` (a manager), with
    a reason, and only while nothing has been returned against it (returns
    already put that stock back). A cancelled order stays cancelled: a second
    cancel posts nothing and raises ``AlreadyCancelled``.
    Returns ``{"order", "reversal"}`` (the reversal is None for an open order).
    """

    def work() -> dict:
        order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
        if order is None:
            raise NotFound(_l("Order %(id)s does not exist.", id=order_id))
        require_warehouse(operator_id, order.warehouse_id)
        if order.status == OrderStatus.CANCELLED:
            raise AlreadyCancelled(
                _l("Order %(number)s is already cancelled.", number=order.number)
            )
        reversal = None
        if order.status == OrderStatus.COMPLETED:
            if not may_reverse:
                raise NotPermitted(_l("Only a manager can cancel a completed order."))
            if not reason:
                raise InvalidInput(
                    _l("Some fields need attention."),
                    {"reason": _l("Say why the completed order is cancelled.")},
                )
            if any(line.returned for line in order.lines):
                raise InvalidTransition(
                    _l(
                        "Order %(number)s has returns booked against it: "
                        "book a return for the rest instead of cancelling.",
                        number=order.number,
                    )
                )
            reversal = ledger.reverse(
                allocation_document_id(order.id),
                operator_id=operator_id,
                reason=reason,
                order_id=order.id,
            )
        order.status = OrderStatus.CANCELLED
        order.cancelled_by = operator_id
        order.cancelled_at = utcnow()
        order.cancel_reason = reason
        for line in order.lines:
            line.reserving = False
        db.session.flush()
        mark_stock_changed()
        return {
            "order": {
                "id": order.id,
                "number": order.number,
                "status": order.status,
                "warehouse": order.warehouse.code,
            },
            "reversal": reversal,
        }

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"cancel": order_id, "reason": reason},
    )


def allocation_document_id(order_id: int) -> int | None:
    """The allocation document of a completed order."""
    return db.session.scalar(
        select(Document.id).where(
            Document.order_id == order_id, Document.kind == DocumentKind.ALLOCATION
        )
    )


_PICKED = Prepared(
    select(order_lines.c.variant_id, order_lines.c.picked).where(
        order_lines.c.order_id == bindparam("o")
    )
)
# An order's lines with their SKUs, for picks and the completion.
_ORDER_LINES = Prepared(
    select(order_lines.c.variant_id, order_lines.c.ordered, order_lines.c.picked, Variant.sku)
    .join(Variant.__table__, Variant.id == order_lines.c.variant_id)
    .where(order_lines.c.order_id == bindparam("o"))
)
_SET_PICKED = Prepared(
    update(order_lines)
    .where(order_lines.c.order_id == bindparam("o"), order_lines.c.variant_id == bindparam("v"))
    .values(picked=bindparam("qty"))
)
# The completion: every line ships what was picked and stops reserving.
_SHIP_PICKED = Prepared(
    update(order_lines)
    .where(order_lines.c.order_id == bindparam("o"))
    .values(shipped=order_lines.c.picked, reserving=False)
)


_SET_PICKED_IN_FULL = Prepared(
    update(orders).where(orders.c.id == bindparam("o")).values(picked_in_full=bindparam("in_full"))
)


def _insert_order():
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    return insert(orders).on_conflict_do_nothing(index_elements=["number"]).returning(orders.c.id)


_CLAIMED = ("id", "number", "customer", "picked_in_full", "warehouse_id", "warehouse")
# The code of the order's warehouse, in the claim's answer: no second round trip.
_WAREHOUSE_CODE = (
    select(Warehouse.code).where(Warehouse.id == orders.c.warehouse_id).scalar_subquery()
)


@cache
def _claim_statement(names: tuple[str, ...]) -> Prepared:
    """``_claim``'s guarded UPDATE, setting the columns ``names`` besides the status."""
    return Prepared(
        update(orders)
        .where(
            orders.c.id == bindparam("o"),
            orders.c.status.in_([literal(s) for s in ACTIVE]),
            works_in(bindparam("u"), orders.c.warehouse_id),
        )
        .values(status=bindparam("to"), **{name: bindparam(f"set_{name}") for name in names})
        .returning(*(orders.c[name] for name in _CLAIMED[:-1]), _WAREHOUSE_CODE)
    )


def _claim(
    order_id: int, operator_id: int, *, to: OrderStatus = OrderStatus.PICKING, **values
) -> dict:
    """Move an open or picking order to ``to``, locking its row; refuse any other state,
    and a user who does not work in its warehouse (checked by the same statement).

    Two transactions claiming one order queue on its row: the second sees the
    state the first left and is refused if that is no longer open or picking.
    """
    given = {f"set_{name}": value for name, value in values.items()}
    params = {"o": order_id, "u": operator_id, "to": to, **given}
    row = run(_claim_statement(tuple(values)), params).first()
    if row is not None:
        return dict(zip(_CLAIMED, row, strict=True))
    found = db.session.execute(
        select(orders.c.number, orders.c.status, orders.c.warehouse_id).where(
            orders.c.id == order_id
        )
    ).first()
    if found is None:
        raise NotFound(_l("Order %(id)s does not exist.", id=order_id))
    require_warehouse(operator_id, found.warehouse_id)
    if to == OrderStatus.PICKING:
        raise InvalidTransition(
            _l(
                "Order %(number)s (%(status)s): picks can no longer change.",
                number=found.number,
                status=OrderStatus.label_of(found.status),
            )
        )
    if found.status == OrderStatus.COMPLETED:
        raise AlreadyCompleted(_l("Order %(number)s is already complete.", number=found.number))
    raise InvalidTransition(
        _l("Order %(number)s is cancelled: it cannot be completed.", number=found.number)
    )


def _line_errors(lines: Sequence[tuple[int, int]]) -> dict[str, object]:
    errors: dict[str, object] = {}
    if not lines:
        errors["lines"] = _l("Add at least one size with a quantity.")
        return errors
    active = set(
        db.session.scalars(
            select(Variant.id).where(
                Variant.id.in_({v for v, _ in lines}), Variant.archived.is_(False)
            )
        )
    )
    seen = set()
    for i, (variant_id, qty) in enumerate(lines):
        if variant_id not in active:
            errors[f"lines[{i}]"] = _l("This variant does not exist or is archived.")
        elif variant_id in seen:
            errors[f"lines[{i}]"] = _l("This variant is listed twice.")
        elif qty <= 0:
            errors[f"lines[{i}]"] = _l("Order at least one piece.")
        seen.add(variant_id)
    return errors


def _not_on_order(variant_id: int):
    sku = db.session.scalar(select(Variant.sku).where(Variant.id == variant_id))
    return _l("%(sku)s is not on this order.", sku=sku or variant_id)
