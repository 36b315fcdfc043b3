"""API endpoints for receipts (入库单): what arrived, against a purchase order or not;
submitted, approved (posting stock) or rejected (``services.receiving``)."""

from flask import g

from .. import queries
from ..access import Reads
from ..contracts.purchasing import Decided, NewReceipt, Receipt, ReceiptResult, Rejection
from ..i18n import lazy_gettext as _l
from ..models import PurchaseOrder, Role
from ..models.ledger import MAX_ID
from ..services import receiving
from ..services.errors import NotFound
from . import api
from .access import requires
from .reading import Refusal, answer, body, idempotency_key, posted_movements, unique_skus

RECEIPT = f"/receipts/<int(max={MAX_ID}):receipt_id>"


@api.post("/receipts")
@requires(Role.CLERK)
def create_receipt():
    found, refusal = body(NewReceipt)
    po_id = refusal.lookup(
        "po",
        found.po,
        lambda value: queries.id_by_number_or_id(PurchaseOrder, value),
        lambda value: _l("No purchase order %(po)s.", po=value),
    )
    warehouse_id, locations = _places(found, refusal)
    _say_what_arrived(found.lines or (), refusal)
    unique_skus(refusal, found.lines)
    variant_ids = refusal.variant_ids(found.lines)
    refusal.finish()
    result = receiving.create(
        lines=[
            receiving.ArrivedLine(
                variant_id=variant_ids[line.sku],
                received=line.received,
                damaged=line.damaged,
                location_id=locations.get(i),
                unit_cost=line.unit_cost,
                reason=line.reason or "",
                note=line.note,
            )
            for i, line in enumerate(found.lines)
        ],
        operator_id=g.api_user.id,
        po_id=po_id,
        note=found.note,
        warehouse_id=warehouse_id,
        submit=found.submit,
        idempotency_key=idempotency_key(),
    )
    document_id = result["document"]["id"]
    return answer(
        ReceiptResult,
        {
            "receipt": result["document"],
            "lines": queries.receipt_lines(document_id),
            "movements": posted_movements(result, variant_ids),
            "po": queries.receipt_po(document_id),
        },
        201,
    )


@api.get(RECEIPT)
@requires(Reads.PURCHASING)
def get_receipt(receipt_id: int):
    receipt = queries.receipt_detail(receipt_id)
    if receipt is None:
        raise NotFound(_l("Receipt %(id)s does not exist.", id=receipt_id))
    return answer(Receipt, receipt)


@api.post(f"{RECEIPT}/submit")
@requires(Role.CLERK)
def submit_receipt(receipt_id: int):
    result = receiving.submit(
        receipt_id, operator_id=g.api_user.id, idempotency_key=idempotency_key()
    )
    return _decided(receipt_id, result)


@api.post(f"{RECEIPT}/approve")
@requires(Role.MANAGER)
def approve_receipt(receipt_id: int):
    result = receiving.approve(
        receipt_id, operator_id=g.api_user.id, idempotency_key=idempotency_key()
    )
    return _decided(receipt_id, result)


@api.post(f"{RECEIPT}/reject")
@requires(Role.MANAGER)
def reject_receipt(receipt_id: int):
    if not queries.receipt_exists(receipt_id):
        raise NotFound(_l("Receipt %(id)s does not exist.", id=receipt_id))
    found, refusal = body(Rejection)
    refusal.finish()
    result = receiving.reject(
        receipt_id,
        operator_id=g.api_user.id,
        reason=found.reason,
        idempotency_key=idempotency_key(),
    )
    return _decided(receipt_id, result)


def _places(found: NewReceipt, refusal: Refusal) -> tuple[int | None, dict[int, int]]:
    """The receipt's warehouse (``Refusal.places``) and, line index → location id, the
    lines that name a location: one in that warehouse for sellable stock (a line
    without one goes to its usual location there)."""
    lines = found.lines or ()
    named = {i: line.location for i, line in enumerate(lines) if line and line.location}
    warehouse_id, locations = refusal.places(
        found.warehouse, **{f"lines[{i}].location": code for i, code in named.items()}
    )
    ids = {}
    for i, location in zip(named, locations, strict=True):
        if location is not None and location.is_quarantine:
            refusal.fail(f"lines[{i}].location", _l("Choose a location for sellable stock."))
        elif location is not None:
            ids[i] = location.id
    return warehouse_id, ids


def _say_what_arrived(lines, refusal: Refusal) -> None:
    """A line with nothing arrived says why (short); any other line says how many."""
    for i, line in enumerate(lines):
        if line is None or None in (line.received, line.damaged):
            continue
        if f"lines[{i}].reason" in refusal.errors:
            continue
        if line.received + line.damaged == 0 and not line.reason:
            refusal.fail(
                f"lines[{i}].received",
                _l("Give how many arrived (received or damaged), or a reason."),
            )


def _decided(receipt_id: int, result: dict):
    """200 with the receipt's document, what it posted, and its PO's state now."""
    return answer(
        Decided,
        {
            "receipt": result["document"],
            "movements": posted_movements(result, queries.receipt_skus(receipt_id)),
            "po": queries.receipt_po(receipt_id),
        },
    )
