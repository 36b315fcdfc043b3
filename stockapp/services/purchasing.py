"""Purchase orders (采购单): what was ordered from a supplier, filled by receipts.

States: draft → ordered → partially received → received → closed. What a line
has received is always the sum of its approved receipts (``received_by_variant``);
the state follows from it each time a receipt is approved. Closing a PO records
each line's remainder as cancelled.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from .. import queries
from ..database import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    Document,
    DocumentStatus,
    POLine,
    POStatus,
    PurchaseOrder,
    Receipt,
    Supplier,
    Variant,
)
from . import documents
from .errors import InvalidInput, InvalidTransition, NotFound
from .idempotency import run_once


@dataclass(frozen=True)
class OrderedLine:
    variant_id: int
    qty: int
    unit_cost: Decimal | None = None


def create(
    *,
    number: str,
    supplier_id: int,
    lines: Sequence[OrderedLine],
    operator_id: int,
    expected_on: date | None = None,
    note: str = "",
    place: bool = False,
    idempotency_key: str | None = None,
) -> dict:
    """Create a PO in draft (or, with ``place``, already ordered); return
    ``{"id", "number", "status"}``.

    The number is new, the supplier exists, each variant is active and listed
    once with a positive quantity and a cost of 0 or more; otherwise
    ``InvalidInput`` names every field (``number``, ``supplier``, ``lines[i]``)
    and nothing is written.
    """
    documents.within_line_cap(lines)

    def work() -> dict:
        errors = _line_errors(lines)
        if db.session.get(Supplier, supplier_id) is None:
            errors["supplier"] = _l("Choose a supplier.")
        if db.session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == number)):
            errors["number"] = _l("Purchase order %(number)s already exists.", number=number)
        if errors:
            raise InvalidInput(_l("Some fields need attention."), errors)
        po = PurchaseOrder(
            number=number,
            supplier_id=supplier_id,
            expected_on=expected_on,
            note=note,
            status=POStatus.ORDERED if place else POStatus.DRAFT,
            created_by=operator_id,
            created_at=utcnow(),
        )
        db.session.add(po)
        db.session.flush()
        db.session.add_all(
            POLine(
                po_id=po.id, variant_id=line.variant_id, ordered=line.qty, unit_cost=line.unit_cost
            )
            for line in lines
        )
        db.session.flush()
        return {"id": po.id, "number": po.number, "status": po.status}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "create_po": number,
            "supplier": supplier_id,
            "lines": [[line.variant_id, line.qty, str(line.unit_cost)] for line in lines],
            "expected_on": str(expected_on),
            "note": note,
            "place": place,
        },
    )


def place(po_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """A draft PO is sent to the supplier: draft → ordered."""

    def work() -> dict:
        po = lock(po_id)
        if po.status != POStatus.DRAFT:
            raise InvalidTransition(
                _l(
                    "Purchase order %(number)s (%(status)s): only a draft can be ordered.",
                    number=po.number,
                    status=POStatus.label_of(po.status),
                )
            )
        po.status = POStatus.ORDERED
        return {"id": po.id, "number": po.number, "status": po.status}

    return run_once(work, user_id=operator_id, key=idempotency_key, request={"place_po": po_id})


def close(po_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """Close a PO: nothing more is expected. Each line's remainder (ordered less
    received) is recorded as cancelled. A draft or a closed PO cannot be closed,
    nor one with a receipt still waiting for approval."""

    def work() -> dict:
        po = lock(po_id)
        if po.status in (POStatus.DRAFT, POStatus.CLOSED):
            raise InvalidTransition(
                _l(
                    "Purchase order %(number)s (%(status)s): it cannot be closed.",
                    number=po.number,
                    status=POStatus.label_of(po.status),
                )
            )
        if _waiting_receipts(po.id):
            raise InvalidTransition(
                _l(
                    "Purchase order %(number)s has receipts waiting for approval: "
                    "approve or reject them first.",
                    number=po.number,
                )
            )
        received = received_by_variant(po.id)
        for line in po.lines:
            line.cancelled = max(line.ordered - received.get(line.variant_id, 0), 0)
        po.status = POStatus.CLOSED
        po.closed_by = operator_id
        po.closed_at = utcnow()
        db.session.flush()
        return {"id": po.id, "number": po.number, "status": po.status}

    return run_once(work, user_id=operator_id, key=idempotency_key, request={"close_po": po_id})


def lock(po_id: int) -> PurchaseOrder:
    """The PO, its row locked for this transaction and read afresh."""
    po = db.session.get(PurchaseOrder, po_id, with_for_update=True, populate_existing=True)
    if po is None:
        raise NotFound(_l("Purchase order %(id)s does not exist.", id=po_id))
    return po


def refresh_status(po: PurchaseOrder) -> None:
    """Set a placed PO's state from what its approved receipts brought."""
    if po.status not in (POStatus.ORDERED, POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED):
        return
    received = received_by_variant(po.id)
    if all(received.get(line.variant_id, 0) >= line.ordered for line in po.lines):
        po.status = POStatus.RECEIVED
    elif any(received.get(line.variant_id, 0) for line in po.lines):  # not wrong items
        po.status = POStatus.PARTIALLY_RECEIVED
    else:
        po.status = POStatus.ORDERED


def received_by_variant(po_id: int, *, waiting: bool = False) -> dict[int, int]:
    """Good pieces received per variant by the PO's approved receipts (and, with
    ``waiting``, by those waiting for approval too)."""
    return queries.po_received(po_id, waiting=waiting)


def _waiting_receipts(po_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Receipt)
        .join(Document, Document.id == Receipt.document_id)
        .where(Receipt.po_id == po_id, Document.status == DocumentStatus.SUBMITTED)
    )


def _line_errors(lines: Sequence[OrderedLine]) -> dict[str, object]:
    if not lines:
        return {"lines": _l("Add at least one size with a quantity.")}
    active = set(
        db.session.scalars(
            select(Variant.id).where(
                Variant.id.in_({line.variant_id for line in lines}), Variant.archived.is_(False)
            )
        )
    )
    errors: dict[str, object] = {}
    seen = set()
    for i, line in enumerate(lines):
        if line.variant_id not in active:
            errors[f"lines[{i}]"] = _l("This variant does not exist or is archived.")
        elif line.variant_id in seen:
            errors[f"lines[{i}]"] = _l("This variant is listed twice.")
        elif line.qty <= 0:
            errors[f"lines[{i}]"] = _l("Order at least one piece.")
        elif line.unit_cost is not None and line.unit_cost < 0:
            errors[f"lines[{i}]"] = _l("A cost cannot be negative.")
        seen.add(line.variant_id)
    return errors
