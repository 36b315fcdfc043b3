"""Stock figures: on hand, reserved and available per variant, and where it lies. No writes."""

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ..database import one_of, run
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    Balance,
    Location,
    Order,
    OrderLine,
    StockVersion,
    Variant,
    Warehouse,
)
from ..models.warehouse import sellable_location, shown_name


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


def _not_sellable():
    """Locations for damaged goods and goods in transit: their stock is not on hand."""
    return select(Location.id).where(~sellable_location()).scalar_subquery()


def stock_levels(variant_ids, *, warehouse_id: int | None = None) -> dict[int, StockLevel]:
    """On hand, reserved and available per variant, summed over sellable locations (of
    one warehouse, less what its orders reserve, or of every one)."""
    ids = list(variant_ids)
    query = (
        select(Balance.variant_id, func.sum(Balance.qty))
        .where(one_of(Balance.variant_id, ids))
        .group_by(Balance.variant_id)
    )
    if warehouse_id is None:
        query = query.where(Balance.location_id.not_in(_not_sellable()))
    else:
        query = query.join(Location, Location.id == Balance.location_id).where(
            Location.warehouse_id == warehouse_id, sellable_location()
        )
    on_hand = dict(db.session.execute(query).all())
    held = reserved(ids, warehouse_id=warehouse_id)
    return {v: StockLevel(on_hand=on_hand.get(v, 0), reserved=held.get(v, 0)) for v in ids}


def _on_hand_and_held():
    """Scalar subqueries of a variant's (``Variant.id``'s) on hand and reserved."""
    on_hand = (
        select(func.coalesce(func.sum(Balance.qty), 0))
        .where(Balance.variant_id == Variant.id, Balance.location_id.not_in(_not_sellable()))
        .scalar_subquery()
    )
    held = (
        select(func.coalesce(func.sum(OrderLine.ordered), 0))
        .where(OrderLine.variant_id == Variant.id, OrderLine.reserving)
        .scalar_subquery()
    )
    return on_hand, held


def low_variant():
    """SQL: the variant (``Variant``) is active and at or below its threshold (``is_low``)."""
    on_hand, held = _on_hand_and_held()
    return (
        ~Variant.archived
        # Not IS NOT NULL: a threshold is 0 or more (catalogue.set_low_stock_threshold),
        # and SQLite's planner walks the threshold's index for a range, where for IS NOT
        # NULL it reads every variant (its statistics see one value: NULL).
        & (Variant.low_stock_threshold >= 0)
        & (on_hand - held <= Variant.low_stock_threshold)
    )


def has_low_variant(style_id):
    """SQL: the style ``style_id`` has a variant at or below its threshold (``is_low``)."""
    return select(Variant.id).where(Variant.style_id == style_id, low_variant()).exists()


def stock_per_size(style_ids) -> dict[int, list[tuple[str, int, int]]]:
    """Per style, in size order: ``(size, on hand, low)`` summed over its colours, where
    ``low`` counts the variants at or below their threshold (``is_low``, in SQL). In one
    grouped query; archived variants keep their size in the run but add nothing.
    """
    on_hand, held = _on_hand_and_held()
    variant = (
        select(
            Variant.style_id,
            Variant.size_rank,
            Variant.size,
            Variant.archived,
            Variant.low_stock_threshold.label("threshold"),
            on_hand.label("on_hand"),
            held.label("held"),
        )
        .where(one_of(Variant.style_id, style_ids))
        .subquery()
    )
    live = ~variant.c.archived
    low = live & (variant.c.on_hand - variant.c.held <= variant.c.threshold)
    rows = db.session.execute(
        select(
            variant.c.style_id,
            variant.c.size,
            func.sum(case((live, variant.c.on_hand), else_=0)),
            func.sum(case((low, 1), else_=0)),
        )
        .group_by(variant.c.style_id, variant.c.size_rank, variant.c.size)
        .order_by(variant.c.style_id, variant.c.size_rank, variant.c.size)
    )
    found: dict[int, list[tuple[str, int, int]]] = {}
    for style_id, size, pieces, low_count in rows:
        found.setdefault(style_id, []).append((size, pieces, low_count))
    return found


def reserved(
    variant_ids, *, before_order: int | None = None, warehouse_id: int | None = None
) -> dict[int, int]:
    """Pieces reserved per variant by open and picking orders (older than ``before_order``;
    shipping from ``warehouse_id``, or from any warehouse)."""
    query = (
        select(OrderLine.variant_id, func.sum(OrderLine.ordered))
        .where(one_of(OrderLine.variant_id, variant_ids), OrderLine.reserving)
        .group_by(OrderLine.variant_id)
    )
    if before_order is not None:
        query = query.where(OrderLine.order_id < before_order)
    if warehouse_id is not None:
        query = query.join(Order, Order.id == OrderLine.order_id).where(
            Order.warehouse_id == warehouse_id
        )
    return dict(db.session.execute(query).all())


def stock_version() -> int:
    """A number that rises with every committed change of stock, reservations, picks,
    or what waits for a manager (a receipt's state, a low-stock threshold)."""
    return run(STOCK_VERSION).scalar()


# Built once. Every open screen asks for it every few seconds, as a column of the
# query that loads the signed-in user (``accounts.user_for_session``).
STOCK_VERSION = select(func.coalesce(func.sum(StockVersion.__table__.c.n), 0))


def places(variant_id: int, warehouse_ids=None) -> list[dict]:
    """Where a variant lies: each location holding any of it, in the warehouses
    ``warehouse_ids`` (None: every one), by warehouse then location code; each a
    ``place`` with its warehouse's name and the pieces."""
    query = (
        select(*PLACE_COLUMNS, Warehouse.name.label("warehouse_name"), Balance.qty)
        .join(Location, Location.id == Balance.location_id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Balance.variant_id == variant_id, Balance.qty != 0)
        .order_by(Warehouse.code, Location.code)
    )
    if warehouse_ids is not None:
        query = query.where(one_of(Location.warehouse_id, sorted(warehouse_ids)))
    return [
        {**place(row._mapping), "warehouse_name": row.warehouse_name, "on_hand": row.qty}
        for row in db.session.execute(query)
    ]


# What a query selects of a location (joined with its warehouse) for ``place``.
PLACE_COLUMNS = (
    Warehouse.code.label("place_warehouse"),
    Location.code.label("place_code"),
    Location.name.label("place_name"),
    Location.is_default.label("place_default"),
    Location.is_quarantine.label("place_quarantine"),
    Location.is_transit.label("place_transit"),
)


def place(found) -> dict:
    """A location as the screens and the API show it, from a row of ``PLACE_COLUMNS``:
    its warehouse, code, shown name (a transit location: in transit), and whether it is
    quarantine or in transit, and so whether its stock is sellable (counted in on hand,
    as ``sellable_location`` says in SQL)."""
    code, transit = found["place_code"], found["place_transit"]
    quarantine = found["place_quarantine"]
    return {
        "warehouse": found["place_warehouse"],
        "location": code,
        "shown": str(IN_TRANSIT)
        if transit
        else shown_name(code, found["place_name"], found["place_default"]),
        "quarantine": quarantine,
        "in_transit": transit,
        "sellable": not (quarantine or transit),
    }


IN_TRANSIT = _l("In transit")


def in_transit(variant_id: int) -> int:
    """The pieces of a variant shipped by one warehouse and not yet received by another."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Balance.qty), 0))
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.variant_id == variant_id, Location.is_transit)
    )


def bins_of(variant_ids, warehouse_id: int) -> dict[int, list[tuple[str, int]]]:
    """The sellable bins of a warehouse holding each variant, ``(shown name, pieces)``,
    lowest location first: where 配货完成 takes from, in its order
    (``ledger.take_from_locations``)."""
    rows = db.session.execute(
        select(Balance.variant_id, Location.code, Location.name, Location.is_default, Balance.qty)
        .join(Location, Location.id == Balance.location_id)
        .where(
            one_of(Balance.variant_id, variant_ids),
            Balance.qty > 0,
            Location.warehouse_id == warehouse_id,
            sellable_location(),
        )
        .order_by(Balance.variant_id, Location.id)
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for variant_id, code, name, is_default, qty in rows:
        found.setdefault(variant_id, []).append((shown_name(code, name, is_default), qty))
    return found


def is_low(variant: Variant, level: StockLevel) -> bool:
    """Available at or below the variant's low-stock threshold (库存预警)."""
    threshold = variant.low_stock_threshold
    return threshold is not None and level.available <= threshold
