"""The read side of warehouses: the warehouses a user works in, with their bins and
stock on hand, and one warehouse's locations with the stock in each."""

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Balance, Location, Warehouse


@dataclass(frozen=True)
class WarehouseRow:
    id: int
    code: str
    name: str
    active: bool
    # How many locations (bins) it has, and the pieces they hold.
    bins: int
    on_hand: int


def warehouse_rows(allowed: frozenset[int] | None) -> list[WarehouseRow]:
    """The warehouses among ``allowed`` (None: every one), by code, in one statement."""
    bins = (
        select(func.count(Location.id))
        .where(Location.warehouse_id == Warehouse.id, ~Location.is_transit)
        .scalar_subquery()
    )
    on_hand = (
        select(func.coalesce(func.sum(Balance.qty), 0))
        .join(Location, Location.id == Balance.location_id)
        .where(Location.warehouse_id == Warehouse.id, ~Location.is_transit)
        .scalar_subquery()
    )
    query = select(
        Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.active, bins, on_hand
    ).order_by(Warehouse.code)
    if allowed is not None:
        query = query.where(Warehouse.id.in_(sorted(allowed)))
    # PostgreSQL sums a BIGINT as a numeric.
    return [WarehouseRow(*row[:5], int(row[5])) for row in db.session.execute(query)]


def warehouse_by_code(code: str) -> Warehouse | None:
    return db.session.scalar(select(Warehouse).where(Warehouse.code == code))


def location_by_code(warehouse_id: int, code: str) -> Location | None:
    return db.session.scalar(
        select(Location).where(
            Location.warehouse_id == warehouse_id, Location.code == code, ~Location.is_transit
        )
    )


def on_hand_by_location(warehouse_id: int) -> dict[int, int]:
    """The pieces in each location of a warehouse that holds any."""
    rows = db.session.execute(
        select(Balance.location_id, func.sum(Balance.qty))
        .join(Location, Location.id == Balance.location_id)
        .where(Location.warehouse_id == warehouse_id)
        .group_by(Balance.location_id)
    )
    return {location_id: int(qty) for location_id, qty in rows}
