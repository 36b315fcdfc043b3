"""Returns to the supplier (退供应商): the body of a new return, and a return as the API
shows it."""

from typing import Annotated

from pydantic import Field

from ..i18n import lazy_gettext as _l
from ..models import DocumentStatus, SupplierReturnReason
from .moves import PlacedMovement
from .purchasing import SupplierId, SupplierRef
from .shared import (
    Answer,
    Contract,
    LocationCode,
    Note,
    Qty,
    Sku,
    Timestamp,
    WarehouseCode,
    lines,
    number_or_id,
    values_of,
    vocabulary,
)
from .stock import ReversalRef


class ReturnedLine(Contract):
    sku: Sku
    qty: Qty
    location: Annotated[LocationCode, Field(description="The bin the pieces leave, by code.")]


class NewSupplierReturn(Contract):
    supplier: SupplierId
    purchase_order: Annotated[
        number_or_id("purchase_order", _l("Give the purchase order's number, or its id.")),
        Field(description="One of the supplier's purchase orders, by number or id; left out: "
              "none. No variant may go back beyond what its approved receipts brought."),
    ] = None  # fmt: skip
    warehouse: WarehouseCode = ""
    reason: vocabulary(
        SupplierReturnReason,
        _l("Unknown reason. Use one of: %(reasons)s.", reasons=values_of(SupplierReturnReason)),
    ) = SupplierReturnReason.OTHER
    note: Note = ""
    lines: Annotated[
        lines(ReturnedLine),
        Field(description="A SKU may be listed once per location (bin)."),
    ]


class ReturnedLineState(Answer):
    sku: str
    qty: int
    location: str


class PurchaseOrderLink(Answer):
    id: int
    number: str


class SupplierReturn(Answer):
    id: int
    number: str
    status: vocabulary(DocumentStatus)
    supplier: SupplierRef
    purchase_order: PurchaseOrderLink | None
    warehouse: str
    reason: vocabulary(SupplierReturnReason)
    note: str
    created_at: Timestamp
    created_by: str
    decided_at: Timestamp | None
    decided_by: str | None
    reject_reason: str
    reversal: ReversalRef | None = Field(description="Null unless the return was reversed.")
    lines: list[ReturnedLineState]


class SupplierReturnResult(Answer):
    supplier_return: SupplierReturn
    movements: list[PlacedMovement]
