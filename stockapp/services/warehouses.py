"""Warehouses and their locations."""

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Location, Warehouse

# Created by the first migration, with its default location.
MAIN_WAREHOUSE = "MAIN"


def default_location_id() -> int:
    """The default location of the main warehouse, where stock goes unless told otherwise.

    Locations are never deleted, so the id is remembered for the app's lifetime.
    """
    cache = current_app.extensions.setdefault("stockapp.default_location", {})
    if "id" not in cache:
        location_id = db.session.scalar(
            select(Location.id)
            .join(Warehouse, Warehouse.id == Location.warehouse_id)
            .where(Warehouse.code == MAIN_WAREHOUSE, Location.is_default)
        )
        if location_id is None:
            raise RuntimeError("the main warehouse is missing: run `flask --app app db upgrade`")
        cache["id"] = location_id
    return cache["id"]
