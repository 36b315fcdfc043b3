"""Bin moves (移库) and write-offs (报损): bodies and answers."""

from typing import Annotated

from pydantic import BeforeValidator, Field

from ..i18n import lazy_gettext as _l
from ..models import DocumentStatus, WriteOffReason
from ..models.warehouse import MAX_LOCATION
from .shared import Answer, Contract, Note, Qty, Sku, Timestamp, lines, text, values_of, vocabulary
from .stock import Document, Movement, ReversalRef

# A location by its code (as its bin label carries it), in the body's warehouse.
LocationCode = Annotated[
    text(MAX_LOCATION), Field(description="A location's code, such as A-01-03.")
]
WarehouseCode = Annotated[
    text(20),
    BeforeValidator(lambda value: "MAIN" if value is None else value),
    Field(description="The warehouse of the locations, by code; left out: MAIN."),
]


class PiecesLine(Contract):
    sku: Sku
    qty: Qty


class NewMove(Contract):
    warehouse: WarehouseCode = "MAIN"
    from_location: LocationCode
    to_location: LocationCode
    lines: lines(PiecesLine)
    note: Note = ""


class PlacedMovement(Movement):
    location: str


class PostedMove(Answer):
    move: Document
    movements: list[PlacedMovement]


class NewWriteOff(Contract):
    warehouse: WarehouseCode = "MAIN"
    location: LocationCode
    reason: vocabulary(
        WriteOffReason,
        _l("Unknown reason. Use one of: %(reasons)s.", reasons=values_of(WriteOffReason)),
    )
    lines: lines(PiecesLine)
    note: Note = ""


class WriteOffLine(Answer):
    sku: str
    qty: int


class WriteOff(Answer):
    id: int
    number: str
    status: vocabulary(DocumentStatus)
    warehouse: str
    location: str
    reason: vocabulary(WriteOffReason)
    note: str
    created_at: Timestamp
    created_by: str
    decided_at: Timestamp | None
    decided_by: str | None
    reject_reason: str
    reversal: ReversalRef | None = Field(description="Null unless the write-off was reversed.")
    lines: list[WriteOffLine]


class WriteOffResult(Answer):
    write_off: WriteOff
    movements: list[PlacedMovement]
