"""The read side of transfers (调拨): one transfer with its lines. No writes."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Document, Transfer, TransferLine, Variant, Warehouse, document_number
from ..services.errors import NotFound, NotPermitted
from ..services.transfers import may_read
from .pager import FIRST, Cursor, Page, fetch


def transfer_detail(transfer_id: int) -> dict | None:
    """A transfer, its warehouses' codes, and its lines with their SKUs and barcodes."""
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
        select(TransferLine, Variant.sku, Variant.barcode)
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
        # (line, SKU, barcode) in the order the transfer was made.
        "lines": [tuple(row) for row in rows],
    }


def transfer_list(
    allowed: frozenset[int] | None,
    *,
    statuses=None,
    cursor: Cursor = FIRST,
    per_page: int = 50,
) -> Page:
    """One page of transfers, newest first (keyset by id), from or to the warehouses
    ``allowed`` (None: every one) and in some states (None: all), with their
    warehouses' codes and pieces, in one statement."""
    source, to = aliased(Warehouse), aliased(Warehouse)
    pieces = (
        select(func.coalesce(func.sum(TransferLine.qty), 0))
        .where(TransferLine.document_id == Transfer.document_id)
        .scalar_subquery()
    )
    query = (
        select(Transfer.document_id, Transfer.status, source.code, to.code, pieces)
        .join(source, source.id == Transfer.from_warehouse_id)
        .join(to, to.id == Transfer.to_warehouse_id)
    )
    if allowed is not None:
        ids = sorted(allowed)
        query = query.where(
            or_(Transfer.from_warehouse_id.in_(ids), Transfer.to_warehouse_id.in_(ids))
        )
    if statuses is not None:
        query = query.where(Transfer.status.in_(statuses))
    paged = fetch(
        query, by=Transfer.document_id, limit=per_page, cursor=cursor, key=lambda row: row[0]
    )
    return paged.with_rows(
        [
            {
                "id": transfer_id,
                "number": document_number("transfer", transfer_id),
                "status": status,
                "from_warehouse": from_code,
                "to_warehouse": to_code,
                "pieces": int(total),
            }
            for transfer_id, status, from_code, to_code, total in paged.rows
        ]
    )


def readable_transfer(user_id: int, transfer_id: int) -> dict:
    """``transfer_detail``, if the user works in either of its warehouses: else
    ``NotPermitted`` (``NotFound`` if there is no such transfer). Pages and API alike."""
    detail = transfer_detail(transfer_id)
    if detail is None:
        raise NotFound(_l("Transfer %(id)s does not exist.", id=transfer_id))
    transfer = detail["transfer"]
    if not may_read(user_id, transfer.from_warehouse_id, transfer.to_warehouse_id):
        raise NotPermitted(_l("You do not work in this warehouse."))
    return detail
