"""Receipts (入库单): goods that arrived, added to stock."""

from collections.abc import Sequence

from ..extensions import db
from ..models import Document, DocumentKind, DocumentStatus, MovementKind
from . import ledger
from .idempotency import run_once
from .warehouses import default_location_id


def receive(
    *,
    lines: Sequence[tuple[int, int]],
    operator_id: int,
    note: str = "",
    idempotency_key: str | None = None,
) -> dict:
    """Post a receipt of ``(variant_id, qty)`` lines into the default location.

    One transaction: the receipt document, its movements and the balances, or
    nothing. Returns ``{"document_id": …}``; with an idempotency key, a repeat
    returns the first receipt and posts nothing.
    """

    def work() -> dict:
        location_id = default_location_id()
        document = Document(
            kind=DocumentKind.RECEIPT,
            status=DocumentStatus.POSTED,
            note=note,
            operator_id=operator_id,
        )
        db.session.add(document)
        db.session.flush()
        ledger.post(
            [ledger.Line(variant_id, location_id, qty) for variant_id, qty in lines],
            kind=MovementKind.INBOUND,
            operator_id=operator_id,
            document_id=document.id,
            note=note,
        )
        return {"document_id": document.id}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"receive": [list(line) for line in lines], "note": note},
    )
