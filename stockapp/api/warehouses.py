"""Warehouses and their locations over the API. Everyone reads the warehouses they work
in (``services.warehouses.allowed_warehouse_ids``); managers add and change them. A
warehouse the caller does not work in is a 403, one that does not exist a 404."""

from flask import g

from ..access import Reads
from ..contracts.warehouses import (
    Location,
    LocationList,
    NewLocation,
    NewWarehouse,
    Warehouse,
    WarehouseChange,
    WarehouseList,
)
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Location as LocationRow
from ..models import Role
from ..queries import warehouses as warehouse_queries
from ..services import warehouses
from ..services.errors import NotFound
from . import api
from .access import requires
from .reading import answer, body


@api.get("/warehouses")
@requires(Reads.WAREHOUSES)
def list_warehouses():
    rows = warehouse_queries.warehouse_rows(warehouses.allowed_warehouse_ids(g.api_user.id))
    return answer(WarehouseList, {"items": [_warehouse(row) for row in rows]})


@api.post("/warehouses")
@requires(Role.MANAGER)
def create_warehouse():
    found, refusal = body(NewWarehouse)
    refusal.finish()
    warehouse_id = warehouses.create_warehouse(
        code=found.code, name=found.name, actor_id=g.api_user.id
    )
    return answer(Warehouse, _one(warehouse_id), 201)


@api.patch("/warehouses/<code>")
@requires(Role.MANAGER)
def change_warehouse(code: str):
    found, refusal = body(WarehouseChange)
    warehouse_id = _allowed(code)
    refusal.finish()
    warehouses.change_warehouse(
        warehouse_id=warehouse_id, actor_id=g.api_user.id, **found.model_dump(exclude_none=True)
    )
    return answer(Warehouse, _one(warehouse_id))


@api.get("/warehouses/<code>/locations")
@requires(Reads.WAREHOUSES)
def list_locations(code: str):
    warehouse_id = _allowed(code)
    on_hand = warehouse_queries.on_hand_by_location(warehouse_id)
    items = [_location(row, on_hand) for row in warehouses.locations(warehouse_id)]
    return answer(LocationList, {"items": items})


@api.post("/warehouses/<code>/locations")
@requires(Role.MANAGER)
def create_location(code: str):
    found, refusal = body(NewLocation)
    warehouse_id = _allowed(code)
    refusal.finish()
    location_id = warehouses.create_location(
        warehouse_id=warehouse_id,
        code=found.code,
        zone=found.zone,
        is_quarantine=found.quarantine,
        actor_id=g.api_user.id,
    )
    location = db.session.get(LocationRow, location_id)
    return answer(Location, _location(location, {}), 201)


def _allowed(code: str) -> int:
    """The id of the warehouse ``code``, if the caller works in it."""
    warehouse = warehouse_queries.warehouse_by_code(code)
    if warehouse is None:
        raise NotFound(_l("No warehouse with code %(code)s.", code=code))
    warehouses.require_warehouse(g.api_user.id, warehouse.id)
    return warehouse.id


def _one(warehouse_id: int) -> dict:
    db.session.expire_all()
    (row,) = warehouse_queries.warehouse_rows(frozenset({warehouse_id}))
    return _warehouse(row)


def _warehouse(row: warehouse_queries.WarehouseRow) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "active": row.active,
        "locations": row.bins,
        "on_hand": row.on_hand,
    }


def _location(location, on_hand: dict[int, int]) -> dict:
    return {
        "code": location.code,
        "name": location.name,
        "zone": location.zone,
        "quarantine": location.is_quarantine,
        "default": location.is_default,
        "on_hand": on_hand.get(location.id, 0),
    }
