"""Where goods go on the floor: the warehouses a user works in and their bins, as the
grouped choices of a form's select (one group per warehouse)."""

import re

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Location, Warehouse
from ..services import warehouses
from ..services.errors import DomainError

# A choice meaning "each variant's usual bin in warehouse <id>".
USUAL = re.compile(r"w-([0-9]{1,9})")


def place_choices(
    user_id: int, *, usual: bool = False, quarantine: bool = True
) -> dict[str, list[tuple[str, str]]]:
    """Warehouse "name (code)" → its bins, ``(location id, shown name)``, for the active
    warehouses the user works in, quarantine bins marked (or, without ``quarantine``,
    left out), each prefixed with its warehouse's code when there are several. With
    ``usual``, each group starts with ``("w-<id>", "Usual bin per size")``."""
    allowed = warehouses.allowed_warehouse_ids(user_id)
    query = (
        select(Warehouse.id, Warehouse.code, Warehouse.name, Location)
        .join(Location, Location.warehouse_id == Warehouse.id)
        .where(Warehouse.active, ~Location.is_transit)
        .order_by(Warehouse.id, ~Location.is_default, Location.code)
    )
    if allowed is not None:
        query = query.where(Warehouse.id.in_(allowed))
    if not quarantine:
        query = query.where(~Location.is_quarantine)
    rows = db.session.execute(query).all()
    several = len({warehouse_id for warehouse_id, *_ in rows}) > 1
    groups: dict[str, list[tuple[str, str]]] = {}
    for warehouse_id, code, name, location in rows:
        # A closed select shows the option alone: with several warehouses it names its own.
        where = f"{code} · " if several else ""
        group = groups.get(f"{name} ({code})")
        if group is None:
            group = groups[f"{name} ({code})"] = (
                [(f"w-{warehouse_id}", where + _("Usual bin per size"))] if usual else []
            )
        shown = where + location.shown_name
        if location.is_quarantine:
            shown = f"{shown} · {_('Quarantine')}"
        group.append((str(location.id), shown))
    return groups


def warehouse_choices(user_id: int) -> list[tuple[str, str]]:
    """``(warehouse id, "name (code)")`` of the active warehouses the user works in."""
    allowed = warehouses.allowed_warehouse_ids(user_id)
    query = select(Warehouse.id, Warehouse.code, Warehouse.name).where(Warehouse.active)
    if allowed is not None:
        query = query.where(Warehouse.id.in_(allowed))
    return [
        (str(warehouse_id), f"{name} ({code})")
        for warehouse_id, code, name in db.session.execute(query.order_by(Warehouse.id))
    ]


def own_choice(user_id: int, offered: list[str], prefix: str = "") -> str | None:
    """The choice a form starts at: the user's own warehouse
    (``warehouses.working_warehouse_id``), ``prefix``ed as the choices are, if it is
    offered; else the first offered."""
    try:
        own = f"{prefix}{warehouses.working_warehouse_id(user_id)}"
    except DomainError:
        own = None
    return own if own in offered else next(iter(offered), None)


def chosen_place(value: str | None) -> tuple[int | None, int | None]:
    """``(warehouse id, location id)`` of a choice: ``w-<id>`` a warehouse (its usual
    bins), a number a location; (None, None) for anything else (the form has already
    checked it is one of the choices)."""
    value = value or ""
    found = USUAL.fullmatch(value)
    if found:
        return int(found.group(1)), None
    if value.isdigit() and len(value) <= 9:
        location = db.session.get(Location, int(value))
        if location is not None:
            return location.warehouse_id, location.id
    return None, None
