"""Stocktakes (盘点): counting what is really there and correcting the books."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import DocumentKind, MovementKind, Variant
from . import ledger
from .errors import CountDifference, StaleCount
from .idempotency import run_once
from .warehouses import default_location_id


@dataclass(frozen=True)
class CountLine:
    variant_id: int
    counted: int
    # What the counter was shown as on hand when they counted.
    expected: int


def count(
    *,
    lines: Sequence[CountLine],
    operator_id: int,
    note: str = "",
    idempotency_key: str | None = None,
) -> dict:
    """Record a stocktake in the default location and correct the books to it.

    The balances are locked, then each ``expected`` is compared with the on-hand
    now: if any differs, stock moved since the count was shown and
    ``StaleCount`` names every such variant with its current figure; nothing is
    written. Otherwise a movement of ``counted − on hand`` is posted for every
    line that differs. Returns ``{"document": …, "movements": […]}``.
    """

    location_id = default_location_id()

    def work() -> dict:
        on_hand = ledger.lock_balances((line.variant_id, location_id) for line in lines)
        stale = [line for line in lines if on_hand[(line.variant_id, location_id)] != line.expected]
        if stale:
            skus = dict(
                db.session.execute(
                    select(Variant.id, Variant.sku).where(
                        Variant.id.in_({line.variant_id for line in stale})
                    )
                ).all()
            )
            raise StaleCount(
                [
                    CountDifference(
                        sku=skus[line.variant_id],
                        expected=line.expected,
                        on_hand=on_hand[(line.variant_id, location_id)],
                    )
                    for line in stale
                ]
            )
        return ledger.post_document(
            DocumentKind.STOCKTAKE,
            [
                ledger.Line(line.variant_id, location_id, line.counted - line.expected)
                for line in lines
                if line.counted != line.expected
            ],
            movement_kind=MovementKind.STOCKTAKE,
            operator_id=operator_id,
            note=note,
        )

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "count": [[line.variant_id, line.counted, line.expected] for line in lines],
            "note": note,
        },
    )
