"""Transfers (调拨) over the API: a new transfer, what arrived, a manager's decisions, and a
transfer as the API shows it."""

from typing import Annotated

from pydantic import Field

from ..models import TransferDecision, TransferStatus
from ..models.ledger import MAX_LINES
from ..models.warehouse import MAX_LOCATION, MAX_WAREHOUSE
from .shared import Answer, Contract, Count, Note, Qty, Sku, Timestamp, lines, text, vocabulary

WarehouseCode = text(MAX_WAREHOUSE)


class TransferLine(Contract):
    sku: Sku
    qty: Qty


class NewTransfer(Contract):
    """A draft between two warehouses the caller works in, by code; nothing moves yet."""

    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    lines: Annotated[
        lines(TransferLine),
        Field(description="One line per variant: a SKU may not be listed twice."),
    ]


class ReceivedLine(Contract):
    sku: Sku
    received: Annotated[Count, Field(description="Sellable pieces that arrived.")]
    damaged: Annotated[Count, Field(description="Into the quarantine bin, if there is one.")] = 0
    reason: Note = ""


class Receipt(Contract):
    """What arrived per variant; a variant not listed arrived with nothing. Received plus
    damaged may not pass what was shipped."""

    lines: Annotated[list[ReceivedLine], Field(max_length=MAX_LINES)]
    location: Annotated[
        text(MAX_LOCATION) | None,
        Field(description="A bin of the destination; by default each variant's usual bin."),
    ] = None


class DecisionLine(Contract):
    sku: Sku
    action: vocabulary(TransferDecision)


class Decisions(Contract):
    lines: lines(DecisionLine)


class TransferLineState(Answer):
    sku: str
    qty: int
    shipped: int
    received: int
    damaged: int
    written_off: int
    returned: int
    in_transit: int
    reason: str


class TransferState(Answer):
    id: int
    number: str
    status: vocabulary(TransferStatus)
    from_warehouse: str
    to_warehouse: str
    created_at: Timestamp
    shipped_at: Timestamp | None
    received_at: Timestamp | None
    closed_at: Timestamp | None
    lines: list[TransferLineState]
