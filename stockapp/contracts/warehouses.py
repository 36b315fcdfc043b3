"""Warehouses and their locations over the API: a new warehouse, a change to one, a new
location, and the lists."""

from ..models.warehouse import MAX_LOCATION, MAX_WAREHOUSE, MAX_WAREHOUSE_NAME, MAX_ZONE
from .shared import Answer, Contract, Flag, optional_text, text


class NewWarehouse(Contract):
    """A warehouse; it comes with its default location. The code (SH-01: letters,
    digits, - and _) is stored in capitals and cannot change."""

    code: text(MAX_WAREHOUSE)
    name: text(MAX_WAREHOUSE_NAME)


class WarehouseChange(Contract):
    """Only the fields sent change; ``active: false`` deactivates (refused for MAIN, and
    while it holds stock or open documents), ``true`` reactivates."""

    name: text(MAX_WAREHOUSE_NAME) = None
    active: Flag = None


class NewLocation(Contract):
    """A location (bin), such as A-01-03: letters, digits and - _ . ; ``quarantine``
    keeps damaged goods apart from sellable stock."""

    code: text(MAX_LOCATION)
    zone: optional_text(MAX_ZONE) = ""
    quarantine: Flag = False


class Warehouse(Answer):
    code: str
    name: str
    active: bool
    locations: int
    on_hand: int


class WarehouseList(Answer):
    """The warehouses the caller works in, by code."""

    items: list[Warehouse]


class Location(Answer):
    code: str
    name: str
    zone: str
    quarantine: bool
    default: bool
    on_hand: int


class LocationList(Answer):
    """A warehouse's locations, by code, with the pieces in each."""

    items: list[Location]
