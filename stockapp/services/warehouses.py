"""Warehouses and their locations."""

from sqlalchemy import select

from ..db import insert_ignoring_conflicts
from ..extensions import db
from ..models import Location, Warehouse

MAIN_WAREHOUSE = "MAIN"
DEFAULT_LOCATION = "DEFAULT"


def default_location_id() -> int:
    """The default location of the main warehouse, created the first time it is needed.

    Must run inside a write transaction when the warehouse may not exist yet.
    """
    location_id = _find_default()
    if location_id is not None:
        return location_id
    insert_ignoring_conflicts(
        db.session, Warehouse.__table__, [{"code": MAIN_WAREHOUSE, "name": MAIN_WAREHOUSE}], "code"
    )
    warehouse_id = db.session.scalar(select(Warehouse.id).where(Warehouse.code == MAIN_WAREHOUSE))
    insert_ignoring_conflicts(
        db.session,
        Location.__table__,
        [{"warehouse_id": warehouse_id, "code": DEFAULT_LOCATION, "is_default": True}],
        "warehouse_id",
        "code",
    )
    return _find_default()


def _find_default() -> int | None:
    return db.session.scalar(
        select(Location.id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Warehouse.code == MAIN_WAREHOUSE, Location.is_default)
    )
