"""Stocktakes (盘点): counting what is really there and correcting the books."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Balance, DocumentKind, Location, MovementKind, Variant
from ..models.warehouse import sellable_location
from . import documents, ledger
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
    """Record a stocktake of variants and correct the books to it.

    A variant is counted whole: what its sellable locations hold together (the
    figure the dialog shows). Their balances are locked, then each ``expected``
    is compared with that on-hand now: if any differs, stock moved since the
    count was shown and ``StaleCount`` names every such variant with its current
    figure; nothing is written. Otherwise the difference is posted: more is put
    into the variant's usual location, less is taken from its locations, the
    default location first. Returns ``{"document": …, "movements": […]}``.
    """
    documents.within_line_cap(lines)

    default = default_location_id()

    def work() -> dict:
        variant_ids = {line.variant_id for line in lines}
        held = ledger.lock_balances(
            {(v, default) for v in variant_ids} | _sellable_pairs(variant_ids)
        )
        on_hand = dict.fromkeys(variant_ids, 0)
        for (variant_id, _), qty in held.items():
            on_hand[variant_id] += qty
        stale = [line for line in lines if on_hand[line.variant_id] != line.expected]
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
                        on_hand=on_hand[line.variant_id],
                    )
                    for line in stale
                ]
            )
        return ledger.post_document(
            DocumentKind.STOCKTAKE,
            [
                change
                for line in lines
                if line.counted != line.expected
                for change in _corrections(line, held, default)
            ],
            movement_kind=MovementKind.STOCKTAKE,
            operator_id=operator_id,
            note=note,
            held=held,
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


def _sellable_pairs(variant_ids) -> set[tuple[int, int]]:
    """The (variant, location) balances of these variants in sellable locations."""
    return set(
        db.session.execute(
            select(Balance.variant_id, Balance.location_id)
            .join(Location, Location.id == Balance.location_id)
            .where(Balance.variant_id.in_(variant_ids), sellable_location())
        ).all()
    )


def _corrections(line: CountLine, held: dict, default: int) -> list[ledger.Line]:
    """The movements that take a variant from what its locations hold to ``counted``."""
    places = sorted(
        (location_id, qty) for (v, location_id), qty in held.items() if v == line.variant_id
    )
    difference = line.counted - line.expected
    if difference > 0:
        # Into the location that holds most of it (the default one, always locked, if
        # none holds any).
        usual = max(places, key=lambda place: (place[1], place[0] == default))[0]
        return [ledger.Line(line.variant_id, usual, difference)]
    taken, missing = [], -difference
    for location_id, qty in sorted(places, key=lambda place: place[0] != default):
        take = min(qty, missing)
        if take:
            taken.append(ledger.Line(line.variant_id, location_id, -take))
        missing -= take
    return taken
