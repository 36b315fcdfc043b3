"""Suppliers, purchase orders (采购单) and receipts (入库单): bodies, queries and answers."""

from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError, PydanticUseDefault

from ..i18n import lazy_gettext as _l
from ..models import DocumentStatus, POStatus, ReceiptReason
from ..models.ledger import MAX_ID, MAX_NOTE
from ..models.purchasing import MAX_CONTACT, MAX_PHONE, MAX_SUPPLIER_NAME
from ..models.warehouse import MAX_LOCATION
from .shared import (
    BLANK_IS_LEFT_OUT,
    MESSAGES,
    Answer,
    Contract,
    Count,
    Cursor,
    Day,
    Flag,
    Money,
    Note,
    Number,
    Price,
    Qty,
    Sku,
    Timestamp,
    WarehouseCode,
    lines,
    number_or_id,
    optional_text,
    quantity,
    text,
    values_of,
    vocabulary,
)
from .stock import Document, Movement

MESSAGES["give_supplier"] = _l("Give the supplier's id.")
MESSAGES["give_location"] = _l("Give the location's code, such as A-01-03.")
Status = vocabulary(
    POStatus, _l("Unknown status. Use one of: %(statuses)s.", statuses=values_of(POStatus))
)


def _supplier(value):
    if isinstance(value, float) and value.is_integer():  # JSON Schema's integer
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise PydanticCustomError("give_supplier", "Give the supplier's id.")
    return value


def _location(value):
    if value is None:
        raise PydanticUseDefault()
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("give_location", "Give the location's code.")
    return value


def _no_reason(value):
    """No reason: left out, null or empty."""
    if value is None or value == "":
        raise PydanticUseDefault()
    return value


# --- suppliers ------------------------------------------------------------------------------


class NewSupplier(Contract):
    name: Annotated[text(MAX_SUPPLIER_NAME), Field(description="Unique, ignoring case.")]
    contact: optional_text(MAX_CONTACT) = ""
    phone: optional_text(MAX_PHONE) = ""
    note: Note = ""


class Supplier(Answer):
    id: int
    name: str
    contact: str
    phone: str
    note: str


class SupplierList(Answer):
    items: list[Supplier]


class SupplierRef(Answer):
    id: int
    name: str


# --- purchase orders ------------------------------------------------------------------------


class OrderedLine(Contract):
    sku: Sku
    qty: Qty
    unit_cost: Price = None


# A supplier by its id (a purchase order's, a return's).
SupplierId = Annotated[
    int,
    PlainValidator(_supplier),
    WithJsonSchema(
        {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "The supplier's id."}
    ),
]


class NewPurchaseOrder(Contract):
    number: Number
    supplier: SupplierId
    expected_on: Day = None
    note: Note = ""
    place: Annotated[Flag, Field(description="True: ordered at once; false: kept as a draft.")] = (
        True
    )
    lines: Annotated[
        lines(OrderedLine),
        Field(description="One line per variant: a SKU may not be listed twice."),
    ]


class PurchaseOrdersQuery(Contract):
    status: Annotated[Status, BLANK_IS_LEFT_OUT] = None
    limit: quantity(1, 500, in_query=True) = 50
    cursor: Cursor = None


class PurchaseOrderRef(Answer):
    id: int
    number: str
    status: Status


class PurchaseOrderSummary(Answer):
    id: int
    number: str
    supplier: SupplierRef
    status: Status
    expected_on: date | None
    created_at: Timestamp
    ordered: int
    received: int
    cancelled: int
    remaining: int
    value: Annotated[Money, Field(description="Ordered pieces × unit cost, where known.")]


class PurchaseOrderPage(Answer):
    items: list[PurchaseOrderSummary]
    next_cursor: str | None


RETURNED = "Taken back to the supplier by posted returns against the PO (退供应商)."


class PurchaseOrderLine(Answer):
    sku: str
    ordered: int
    received: int = Field(description="Good pieces of approved receipts.")
    cancelled: int
    remaining: int = Field(description="max(ordered − received − cancelled, 0).")
    returned: int = Field(description=RETURNED)
    unit_cost: Money | None


class Unexpected(Answer):
    sku: str
    received: int
    returned: int = Field(description=RETURNED)


class ReceiptRef(Answer):
    id: int
    number: str
    status: vocabulary(DocumentStatus)


class SupplierReturnRef(ReceiptRef):
    """A return to the supplier against the PO, in any state."""


class PurchaseOrder(Answer):
    id: int
    number: str
    supplier: SupplierRef
    expected_on: date | None
    status: Status
    note: str
    created_at: Timestamp
    closed_at: Timestamp | None
    lines: list[PurchaseOrderLine]
    unexpected: list[Unexpected] = Field(description="Received, but not on the PO.")
    receipts: list[ReceiptRef]
    supplier_returns: list[SupplierReturnRef]


# --- receipts -------------------------------------------------------------------------------


class ArrivedLine(Contract):
    sku: Sku
    received: Count
    damaged: Annotated[Count, BeforeValidator(lambda v: 0 if v is None else v)] = 0
    location: Annotated[
        text(MAX_LOCATION),
        BeforeValidator(_location),
        Field(description="A location of the receipt's warehouse; left out: the usual one."),
    ] = None
    unit_cost: Price = None
    reason: Annotated[
        vocabulary(
            ReceiptReason,
            _l("Unknown reason. Use one of: %(reasons)s.", reasons=values_of(ReceiptReason)),
        ),
        BeforeValidator(_no_reason),
        Field(description="Why a line differs; left out, null or empty: none."),
    ] = None
    note: Note = ""


class NewReceipt(Contract):
    po: number_or_id("po", _l("Give the purchase order's number, or its id.")) = None
    warehouse: WarehouseCode = ""
    note: Note = ""
    submit: Flag = False
    lines: lines(ArrivedLine)


class Rejection(Contract):
    reason: text(MAX_NOTE)


class ReceiptLine(Answer):
    sku: str
    received: int
    damaged: int
    location: str
    unit_cost: Money | None
    reason: str = Field(description="One of short, over, damaged, wrong, other; or empty.")
    note: str


class ReceiptResult(Answer):
    receipt: Document
    lines: list[ReceiptLine]
    movements: list[Movement]
    po: PurchaseOrderRef | None


class Decided(Answer):
    receipt: Document
    movements: list[Movement]
    po: PurchaseOrderRef | None


class Receipt(Answer):
    id: int
    number: str
    status: vocabulary(DocumentStatus)
    note: str
    po: PurchaseOrderRef | None
    supplier: SupplierRef | None
    created_at: Timestamp
    created_by: str | None
    submitted_at: Timestamp | None
    submitted_by: str | None
    decided_at: Timestamp | None
    decided_by: str | None
    reject_reason: str
    lines: list[ReceiptLine]
