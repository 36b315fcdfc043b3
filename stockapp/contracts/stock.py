"""Stock: one variant's figures, inbound and stocktake bodies, and what they post."""

from typing import Annotated

from pydantic import Field, create_model

from ..models import DocumentKind, DocumentStatus, MovementKind
from ..models.warehouse import MAX_LOCATION
from .shared import (
    Answer,
    Contract,
    Count,
    Note,
    Qty,
    Sku,
    Timestamp,
    WarehouseCode,
    lines,
    optional_text,
    vocabulary,
)


class StockQuery(Contract):
    sku: Sku


class LocationStock(Answer):
    warehouse: str
    location: str
    quarantine: bool = Field(description="A quarantine location: not in on hand.")
    on_hand: int


class WarehouseStock(Answer):
    warehouse: str
    on_hand: int = Field(description="In the warehouse's sellable locations.")
    quarantine: int = Field(description="In its quarantine locations (not in on hand).")


class Stock(Answer):
    sku: str
    on_hand: int = Field(description="In every warehouse's sellable locations.")
    reserved: int
    available: int
    in_transit: int = Field(
        description="Shipped by one warehouse, not yet received by another (在途): in no "
        "warehouse's on hand or available."
    )
    warehouses: list[WarehouseStock] = Field(
        description="Per warehouse the token's user works in, those holding any."
    )
    locations: list[LocationStock] = Field(
        description="Per location holding any, in the warehouses the token's user works in."
    )


class InboundLine(Contract):
    sku: Sku
    qty: Qty


class Inbound(Contract):
    lines: lines(InboundLine)
    note: Note = ""
    warehouse: WarehouseCode = ""
    location: Annotated[
        optional_text(MAX_LOCATION),
        Field(
            description="The location (by code, in the warehouse) every line goes into; "
            "left out: each variant's usual location there."
        ),
    ] = ""


class CountLine(Contract):
    sku: Sku
    counted: Count
    expected: Count


class Stocktake(Contract):
    lines: lines(CountLine)
    note: Note = ""


class Document(Answer):
    id: int
    number: str
    kind: vocabulary(DocumentKind)
    status: vocabulary(DocumentStatus)
    note: str
    created_at: Timestamp


class ReversalRef(Answer):
    """The document that reversed another (冲销), as the reversed one shows it."""

    number: str
    reason: str
    created_at: Timestamp
    created_by: str


class Movement(Answer):
    id: int
    sku: str
    kind: vocabulary(MovementKind)
    delta: int
    balance_after: int
    operator: str
    note: str
    document: str | None
    created_at: Timestamp
    reverses: int | None


def posted(name: str, document: str) -> type[Answer]:
    """``{<document>: Document, movements: [Movement]}``, the answer of a posting."""
    return create_model(name, __base__=Answer, **{document: Document, "movements": list[Movement]})


PostedReceipt = posted("PostedReceipt", "receipt")
PostedStocktake = posted("PostedStocktake", "stocktake")
