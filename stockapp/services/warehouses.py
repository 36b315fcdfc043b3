"""Warehouses and their locations."""

import re

from flask import current_app
from sqlalchemy import func, select

from ..database import write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Balance, Location, Warehouse
from ..models.ledger import MAX_NOTE
from ..models.warehouse import MAX_LOCATION, MAX_ZONE
from .errors import InvalidInput, NotFound

# A location code: letters, digits and - _ . (A-01-03).
LOCATION_CODE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LOCATION - 1}}}")

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


def create_location(
    *, warehouse_id: int, code: str, zone: str = "", note: str = "", is_quarantine: bool = False
) -> int:
    """Add a location (货位) to a warehouse; return its id.

    The code (such as A-01-03) is unique within its warehouse, ignoring case.
    Locations are never deleted: stock and history point at them.
    """
    code, zone, note = code.strip().upper(), zone.strip(), note.strip()
    errors = {}
    if not LOCATION_CODE.fullmatch(code):
        errors["code"] = _l("Use letters, digits and - _ . (up to 32), such as A-01-03.")
    if len(zone) > MAX_ZONE:
        errors["zone"] = _l("At most %(max)d characters.", max=MAX_ZONE)
    if len(note) > MAX_NOTE:
        errors["note"] = _l("At most %(max)d characters.", max=MAX_NOTE)
    with write_transaction() as session:
        if session.get(Warehouse, warehouse_id) is None:
            raise NotFound(_l("Warehouse %(id)s does not exist.", id=warehouse_id))
        taken = session.scalar(
            select(Location.id).where(
                Location.warehouse_id == warehouse_id, func.upper(Location.code) == code
            )
        )
        if taken is not None and "code" not in errors:
            errors["code"] = _l("This warehouse has a location %(code)s already.", code=code)
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        location = Location(
            warehouse_id=warehouse_id,
            code=code,
            zone=zone,
            note=note,
            is_quarantine=is_quarantine,
        )
        session.add(location)
        session.flush()
        return location.id


def quarantine_location_id(warehouse_id: int) -> int | None:
    """Where a warehouse keeps damaged goods, if it has such a location."""
    return db.session.scalar(
        select(Location.id)
        .where(Location.warehouse_id == warehouse_id, Location.is_quarantine)
        .order_by(Location.id)
        .limit(1)
    )


def usual_locations(variant_ids, warehouse_id: int) -> dict[int, int]:
    """Each variant's usual location in a warehouse: the sellable location holding
    most of it, else the warehouse's default location."""
    default = db.session.scalar(
        select(Location.id).where(Location.warehouse_id == warehouse_id, Location.is_default)
    )
    usual = dict.fromkeys(variant_ids, default)
    rows = db.session.execute(
        select(Balance.variant_id, Balance.location_id)
        .join(Location, Location.id == Balance.location_id)
        .where(
            Balance.variant_id.in_(list(usual)),
            Balance.qty > 0,
            Location.warehouse_id == warehouse_id,
            ~Location.is_quarantine,
        )
        .order_by(Balance.variant_id, Balance.qty, Balance.location_id)
    )
    for variant_id, location_id in rows:
        usual[variant_id] = location_id  # ascending qty: the last one holds most
    return usual


def locations(warehouse_id: int | None = None) -> list[Location]:
    query = select(Location).order_by(Location.warehouse_id, Location.code)
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    return list(db.session.scalars(query))


def main_warehouse_id() -> int:
    return db.session.scalar(select(Warehouse.id).where(Warehouse.code == MAIN_WAREHOUSE))
