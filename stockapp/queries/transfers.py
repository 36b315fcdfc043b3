"""The read side of transfers (调拨): one transfer with its lines. No writes."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Document, Transfer, TransferLine, Variant, Warehouse, document_number


def transfer_detail(transfer_id: int) -> dict | None:
    """A transfer, its warehouses' ids and codes, and its lines with their SKUs."""
    source, to = aliased(Warehouse), aliased(Warehouse)
    found = db.session.execute(
        select(Transfer, Document.created_at, source.code, to.code)
        .join(Document, Document.id == Transfer.document_id)
        .join(source, source.id == Transfer.from_warehouse_id)
        .join(to, to.id == Transfer.to_warehouse_id)
        .where(Transfer.document_id == transfer_id)
    ).first()
    if found is None:
        return None
    transfer, created_at, from_code, to_code = found
    rows = db.session.execute(
        select(TransferLine, Variant.sku)
        .join(Variant, Variant.id == TransferLine.variant_id)
        .where(TransferLine.document_id == transfer_id)
        .order_by(TransferLine.id)
    )
    return {
        "transfer": transfer,
        "number": document_number("transfer", transfer_id),
        "created_at": created_at,
        "from_warehouse": from_code,
        "to_warehouse": to_code,
        "lines": [(line, sku) for line, sku in rows],
    }
