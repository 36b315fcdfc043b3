"""Warehouses and their locations."""

import re

from flask import current_app
from sqlalchemy import bindparam, func, select

from ..database import Prepared, in_list, run, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AuditAction, AuditSubject, Balance, Location, Variant, Warehouse
from ..models.ledger import MAX_NOTE
from ..models.warehouse import MAX_LOCATION, MAX_LOCATION_NAME, MAX_ZONE
from . import audit
from .errors import InvalidInput, NotFound

# A location code: letters, digits and - _ . (A-01-03).
LOCATION_CODE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LOCATION - 1}}}")

# Created by the first migration, with its default location.
MAIN_WAREHOUSE = "MAIN"


def default_location_id() -> int:
    """The default location of the main warehouse, where stock goes unless told otherwise."""
    return _main()["location"]


def main_warehouse_id() -> int:
    return _main()["warehouse"]


MAIN_WAREHOUSE_CACHE = "stockapp.main_warehouse"


def _main() -> dict:
    """The main warehouse and its default location. Neither is ever deleted nor
    replaced, so both ids are remembered for the app's lifetime."""
    cache = current_app.extensions.setdefault(MAIN_WAREHOUSE_CACHE, {})
    if not cache:
        found = db.session.execute(
            select(Warehouse.id, Location.id)
            .join(Location, Location.warehouse_id == Warehouse.id)
            .where(Warehouse.code == MAIN_WAREHOUSE, Location.is_default)
        ).first()
        if found is None:
            raise RuntimeError("the main warehouse is missing: run `flask --app app db upgrade`")
        cache.update(warehouse=found[0], location=found[1])
    return cache


def create_location(
    *,
    warehouse_id: int,
    code: str,
    zone: str = "",
    note: str = "",
    is_quarantine: bool = False,
    actor_id: int | None = None,
) -> int:
    """Add a location (货位) to a warehouse, with its audit row; return its id.

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
        warehouse = session.get(Warehouse, warehouse_id)
        if warehouse is None:
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
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.LOCATION,
            key=f"{warehouse.code} {code}",
            action=AuditAction.CREATED,
            after={"zone": zone, "note": note, "is_quarantine": is_quarantine},
        )
        return location.id


def name_location(*, location_id: int, name: str, actor_id: int | None = None) -> None:
    """Give a location the name screens and printouts show (the default location's
    DEFAULT is not a word), with its audit row; "" shows its code again (for the
    default location, "Default location" in the user's language)."""
    name = name.strip()
    if len(name) > MAX_LOCATION_NAME:
        raise InvalidInput(
            _l("Some fields need attention."),
            {"name": _l("At most %(max)d characters.", max=MAX_LOCATION_NAME)},
        )
    with write_transaction() as session:
        location = session.get(Location, location_id)
        if location is None:
            raise NotFound(_l("Location %(id)s does not exist.", id=location_id))
        if location.name == name:
            return
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.LOCATION,
            key=f"{session.get(Warehouse, location.warehouse_id).code} {location.code}",
            action=AuditAction.CHANGED,
            before={"name": location.name},
            after={"name": name},
        )
        location.name = name


def quarantine_location_id(warehouse_id: int) -> int | None:
    """Where a warehouse keeps damaged goods, if it has such a location."""
    return db.session.scalar(
        select(Location.id)
        .where(Location.warehouse_id == warehouse_id, Location.is_quarantine)
        .order_by(Location.id)
        .limit(1)
    )


def usual_locations(variant_ids, warehouse_id: int, *, active: bool = False) -> dict[int, int]:
    """Each variant's usual location in a warehouse: the sellable location holding
    most of it, else the warehouse's default location. Variants that do not exist
    (with ``active``, that are archived too) are left out. One statement."""
    statement = _USUAL_ACTIVE if active else _USUAL
    return dict(run(statement, {"ids": list(variant_ids), "warehouse": warehouse_id}).all())


def _usual_statement(*, active: bool):
    variants, balances, locations = Variant.__table__, Balance.__table__, Location.__table__
    warehouse = bindparam("warehouse")
    most = (
        select(balances.c.location_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(
            balances.c.variant_id == variants.c.id,
            balances.c.qty > 0,
            locations.c.warehouse_id == warehouse,
            ~locations.c.is_quarantine,
        )
        .order_by(balances.c.qty.desc(), balances.c.location_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    default = (
        select(locations.c.id)
        .where(locations.c.warehouse_id == warehouse, locations.c.is_default)
        .limit(1)
        .scalar_subquery()
    )
    statement = select(variants.c.id, func.coalesce(most, default)).where(
        in_list(variants.c.id, "ids")
    )
    return Prepared(statement.where(~variants.c.archived) if active else statement)


# Built once: the quick inbound asks for these on every request.
_USUAL = _usual_statement(active=False)
_USUAL_ACTIVE = _usual_statement(active=True)


def locations(warehouse_id: int | None = None) -> list[Location]:
    query = select(Location).order_by(Location.warehouse_id, Location.code)
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    return list(db.session.scalars(query))


def allowed_warehouse_ids(user_id: int) -> frozenset[int] | None:
    """The warehouses a user works in; None: all of them. Until warehouse permissions
    land, every user works in every warehouse."""
    return None


def require_warehouse(user_id: int, warehouse_id: int) -> Warehouse:
    """The warehouse, if the user works in it (``NotPermitted`` otherwise); ``NotFound``
    if there is no such warehouse."""
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(_l("Warehouse %(id)s does not exist.", id=warehouse_id))
    return warehouse


def require_location(user_id: int, location_id: int) -> Location:
    """The location, if the user works in its warehouse (``NotPermitted`` otherwise);
    ``NotFound`` if there is no such location."""
    location = db.session.get(Location, location_id)
    if location is None:
        raise NotFound(_l("Location %(id)s does not exist.", id=location_id))
    require_warehouse(user_id, location.warehouse_id)
    return location
