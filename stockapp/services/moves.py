"""Bin moves (移库): stock moves from one location (bin) to another of the same warehouse.

A move is a posted document of kind move whose movements say it all: each line
leaves the source bin (``move_out``) and arrives in the destination (``move_in``),
in one transaction, so the warehouse's total never changes.
"""

from collections.abc import Sequence

from ..i18n import lazy_gettext as _l
from ..models import DocumentKind, MovementKind
from . import documents, ledger
from .errors import InvalidInput
from .idempotency import run_once
from .warehouses import require_location


def move(
    *,
    from_location_id: int,
    to_location_id: int,
    lines: Sequence[tuple[int, int]],
    operator_id: int,
    note: str = "",
    idempotency_key: str | None = None,
) -> dict:
    """Move ``(variant_id, qty)`` lines from one bin to another, posted at once.

    Refused, with nothing written: a bin the operator may not use (``NotPermitted``)
    or that does not exist (``NotFound``); the same bin twice, or bins of two
    warehouses (``InvalidInput`` on ``to_location``); a line that names no variant,
    lists one twice or moves fewer than 1 piece (``InvalidInput`` on ``lines[i]``);
    more than the source bin holds (``InsufficientStock``, naming the bin and the
    shortfall). The balances of both bins are locked together, in the ledger's
    order, so two moves between the same bins in opposite directions cannot
    deadlock. Returns ``{"document", "movements"}`` (the moves out, then in); with an
    idempotency key, a repeat returns the first move and posts nothing.
    """
    documents.within_line_cap(lines)

    def work() -> dict:
        source = require_location(operator_id, from_location_id)
        destination = require_location(operator_id, to_location_id)
        if source.id == destination.id:
            raise InvalidInput(
                _l("Some fields need attention."),
                {"to_location": _l("The pieces are in this location already: scan another.")},
            )
        if source.warehouse_id != destination.warehouse_id:
            raise InvalidInput(
                _l("Some fields need attention."),
                {"to_location": _l("Both locations must be in the same warehouse.")},
            )
        documents.check_pieces(lines)
        document = documents.create(DocumentKind.MOVE, operator_id=operator_id, note=note)
        held = ledger.lock_balances(
            (variant_id, location)
            for variant_id, _ in lines
            for location in (source.id, destination.id)
        )
        posted = [
            ledger.post(
                [ledger.Line(variant_id, location, sign * qty) for variant_id, qty in lines],
                kind=kind,
                operator_id=operator_id,
                document_id=document["id"],
                note=note,
                held=held,  # each side's own balances: still as locked
            )
            for location, sign, kind in (
                (source.id, -1, MovementKind.MOVE_OUT),
                (destination.id, 1, MovementKind.MOVE_IN),
            )
        ]
        return {"document": document, "movements": posted[0] + posted[1]}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "move": [from_location_id, to_location_id],
            "lines": [list(line) for line in lines],
            "note": note,
        },
    )
