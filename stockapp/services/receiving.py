"""Receipts (入库单): goods that arrived, added to stock."""

from collections.abc import Sequence

from ..models import DocumentKind, MovementKind
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
    nothing. Returns ``{"document": …, "movements": […]}``; with an idempotency
    key, a repeat returns the first receipt and posts nothing.
    """

    location_id = default_location_id()

    def work() -> dict:
        return ledger.post_document(
            DocumentKind.RECEIPT,
            [ledger.Line(variant_id, location_id, qty) for variant_id, qty in lines],
            movement_kind=MovementKind.INBOUND,
            operator_id=operator_id,
            note=note,
        )

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"receive": [list(line) for line in lines], "note": note},
    )
