"""Allocation orders (配货单): a new order, picks, a cancel, and an order as the API shows it."""

from typing import Annotated

from pydantic import Field

from ..models import OrderStatus
from ..models.orders import MAX_CUSTOMER
from .shared import (
    Answer,
    Contract,
    Count,
    Note,
    Number,
    Qty,
    Sku,
    Timestamp,
    WarehouseCode,
    lines,
    text,
    vocabulary,
)
from .stock import Document, Movement

Status = vocabulary(OrderStatus)


class OrderLine(Contract):
    sku: Sku
    qty: Qty


class NewOrder(Contract):
    number: Number
    customer: text(MAX_CUSTOMER)
    note: Note = ""
    warehouse: Annotated[
        WarehouseCode,
        Field(
            description=(
                "The warehouse the order ships from, by code: its picks come out of that "
                "warehouse's bins. Left out: the main warehouse if you work in it, else the one "
                "warehouse you work in."
            )
        ),
    ] = ""
    lines: Annotated[
        lines(OrderLine), Field(description="One line per variant: a SKU may not be listed twice.")
    ]


class PickLine(Contract):
    sku: Sku
    picked: Annotated[Count, Field(description="Replaces the line's picked: 0 … ordered.")]


class NewPicks(Contract):
    lines: lines(PickLine)


class Cancel(Contract):
    reason: Annotated[Note, Field(description="Needed to reverse a completed order.")] = ""


ShipsFrom = Annotated[str, Field(description="The code of the warehouse the order ships from.")]


class OrderRef(Answer):
    id: int
    number: str
    status: Status
    warehouse: ShipsFrom


class OrderLineState(Answer):
    sku: str
    ordered: int
    picked: int
    shipped: int
    returned: int
    short: int = Field(
        description="Open or picking: what stock cannot cover after older orders. "
        "Completed: ordered but not shipped."
    )


class Order(Answer):
    id: int
    number: str
    customer: str
    note: str
    status: Status
    warehouse: ShipsFrom
    created_at: Timestamp
    completed_at: Timestamp | None
    cancelled_at: Timestamp | None
    cancel_reason: str
    lines: list[OrderLineState]


class PickedLine(Answer):
    sku: str
    ordered: int
    picked: int


class Picks(Answer):
    id: int
    status: Status
    lines: list[PickedLine]


class Completed(Answer):
    order: OrderRef
    document: Document
    movements: list[Movement]


class Reversal(Answer):
    document: Document
    movements: list[Movement]


class Cancelled(Answer):
    order: OrderRef
    reversal: Reversal | None = Field(description="Null for an order that was not complete.")
