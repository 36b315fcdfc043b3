"""Bin moves (移库) and write-offs (报损): bodies and answers."""

from pydantic import Field

from ..i18n import lazy_gettext as _l
from ..models import DocumentStatus, WriteOffReason
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
    values_of,
    vocabulary,
)
from .stock import Document, Movement, ReversalRef


class PiecesLine(Contract):
    sku: Sku
    qty: Qty


class NewMove(Contract):
    warehouse: WarehouseCode = ""
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
    warehouse: WarehouseCode = ""
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
