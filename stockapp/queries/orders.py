"""Allocation orders (配货单): an order's page and the order list. No writes."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..database import one_of
from ..extensions import db
from ..models import (
    ACTIVE,
    Order,
    OrderLine,
    OrderStatus,
    Variant,
)
from .catalogue import grids_by_style, skus_on_lines
from .pager import FIRST, Cursor, Page, fetch
from .search import cursor_for, match, ranked
from .stock import bins_of, reserved, stock_levels


def order_page(order: Order) -> dict:
    """An order as its page shows it: per style a colour × size grid of its lines.

    Each cell holds the line, the variant, its StockLevel in the order's warehouse
    (on hand in its sellable bins, less what its active orders reserve), the
    shortfall and the bins: for an open or picking order, how much of the line the
    warehouse's stock cannot cover after its older orders take their share (first
    come, first served); for a completed one, what was ordered but not shipped
    (short-shipped). The bins are the warehouse's sellable bins holding the variant,
    ``(shown name, pieces)``, in the order 配货完成 takes from them.
    """
    lines = list(
        db.session.scalars(
            select(OrderLine)
            .where(OrderLine.order_id == order.id)
            .options(selectinload(OrderLine.variant).selectinload(Variant.style))
        )
    )
    variant_ids = [line.variant_id for line in lines]
    warehouse_id = order.warehouse_id
    levels = stock_levels(variant_ids, warehouse_id=warehouse_id)
    active = order.status in ACTIVE
    earlier = (
        reserved(variant_ids, before_order=order.id, warehouse_id=warehouse_id) if active else {}
    )
    bins = bins_of(variant_ids, warehouse_id)
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
        cells.append(
            {
                "line": line,
                "variant": line.variant,
                "level": level,
                "short": short,
                "bins": bins.get(line.variant_id, []),
            }
        )
    groups = grids_by_style(cells)
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


def picked_in_full():
    """SQL: the order (``Order``) is picking and every line of it is picked in full: it
    waits for a manager's 配货完成. (An open order has picked nothing: a pick makes it
    picking.)"""
    return (Order.status == OrderStatus.PICKING) & Order.picked_in_full


def order_list(
    *,
    warehouse_ids=None,
    statuses=None,
    picked: bool = False,
    search: str = "",
    cursor: Cursor = FIRST,
    per_page: int = 50,
) -> Page:
    """One page of orders, newest first (keyset by id), shipping from ``warehouse_ids``
    (None: any), in ``statuses`` (None: all) and with ``picked`` only those picked in
    full, with their piece counts and warehouses.

    A search (number or customer containing it) puts exact matches first, then
    prefixes (``search.match``); ranked, its pages are numbered, not keyset.
    The page is chosen first and only its orders' lines are summed.
    """
    query = select(Order).options(joinedload(Order.warehouse))
    if warehouse_ids is not None:
        query = query.where(one_of(Order.warehouse_id, sorted(warehouse_ids)))
    if statuses is not None:
        query = query.where(Order.status.in_(statuses))
    if picked:
        query = query.where(picked_in_full())
    if search:
        found = match(search, Order.number, Order.customer)
        query, cursor = ranked(query, found), cursor_for(found, cursor)
    paged = fetch(query, by=Order.id, limit=per_page, cursor=cursor)
    found = paged.rows
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
    return paged.with_rows(rows)


def order_by_id(order_id: int) -> Order | None:
    return db.session.get(Order, order_id)


def order_exists(order_id: int) -> bool:
    return db.session.scalar(select(Order.id).where(Order.id == order_id)) is not None


def order_skus(order_id: int) -> dict[str, int]:
    """SKU → variant id of the order's lines (archived variants included)."""
    return skus_on_lines(OrderLine.variant_id, OrderLine.order_id == order_id)


def order_lines(order_id: int) -> list[tuple[str, int, int]]:
    """The order's lines in their order: ``(sku, variant id, ordered)``."""
    return db.session.execute(
        select(Variant.sku, OrderLine.variant_id, OrderLine.ordered)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
    ).all()
