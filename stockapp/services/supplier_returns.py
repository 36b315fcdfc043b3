"""Returns to the supplier (退供应商): pieces sent back to a supplier, out of quarantine or
sellable bins of one warehouse, against one of the supplier's purchase orders or none.

A return is a document of kind supplier_return with a header (``SupplierReturn``: its
supplier, PO, warehouse, reason and decision) and lines (``SupplierReturnLine``:
variant, the bin the pieces leave, pieces). States: submitted → posted (approved: the
pieces leave stock) or rejected (with a reason; nothing posts); a posted return is
reversed as any document is (``reversals.reverse_document``: the pieces come back into
their bins). Pieces leave the shop as they do by a write-off, so the same setting
decides: a clerk's return waits for a manager while ``write_offs_need_approval`` is on
(the default); a manager's own, and a clerk's when it is off, post as submitted.

Against a PO, no variant may go back beyond what the PO's approved receipts brought of
it (received and damaged) less what its other returns, posted or waiting, take back.
"""

from collections.abc import Sequence

from sqlalchemy import select

from ..database import mark_stock_changed, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    DocumentKind,
    DocumentStatus,
    MovementKind,
    PurchaseOrder,
    Supplier,
    SupplierReturn,
    SupplierReturnLine,
    SupplierReturnReason,
    Variant,
)
from ..queries.purchasing import po_received
from ..queries.supplier_returns import po_returned
from . import accounts, documents, ledger, purchasing, settings
from .errors import InvalidInput, NotFound
from .idempotency import run_once
from .warehouses import require_location, require_warehouse

FIELDS = _l("Some fields need attention.")


def submit(
    *,
    supplier_id: int,
    lines: Sequence[tuple[int, int, int]],
    operator_id: int,
    po_id: int | None = None,
    reason: str = SupplierReturnReason.OTHER,
    note: str = "",
    idempotency_key: str | None = None,
) -> dict:
    """Record a return to a supplier of ``(variant_id, location_id, qty)`` lines.

    Refused, with nothing written: a supplier that does not exist (``InvalidInput`` on
    ``supplier``), a PO that does not exist or is another supplier's (on
    ``purchase_order``), an unknown reason (on ``reason``); a line that names no
    variant, lists a variant twice for one location or returns fewer than 1 piece, or
    bins of two warehouses (``lines[i]``); a bin the operator may not use
    (``NotPermitted``) or that does not exist (``NotFound``); more than a bin holds
    (``InsufficientStock``, naming the bin and the shortfall); against a PO, more of a
    variant than may still go back on it (``lines[i]``). Posts at once for a manager, or
    when the settings ask no approval; else waits, submitted. Returns ``{"document",
    "movements"}``; with an idempotency key, a repeat returns the first return and
    records nothing.
    """
    documents.within_line_cap(lines)

    def work() -> dict:
        po = _checked_header(supplier_id, po_id, reason)
        documents.check_pieces(lines)
        warehouse_id = _warehouse_of(lines, operator_id)
        if po is not None:
            _check_po(po, lines, po_returned(po.id, waiting=True))
        posts = accounts.is_manager(operator_id) or not settings.get("write_offs_need_approval")
        header = {
            "supplier_id": supplier_id,
            "po_id": po_id,
            "warehouse_id": warehouse_id,
            "reason": reason,
            "decided_by": operator_id if posts else None,
            "decided_at": utcnow() if posts else None,
            "reject_reason": "",
        }
        document = documents.create(
            DocumentKind.SUPPLIER_RETURN,
            operator_id=operator_id,
            note=note,
            status=DocumentStatus.POSTED if posts else DocumentStatus.SUBMITTED,
            parts=[
                (SupplierReturn.__table__, [header]),
                (
                    SupplierReturnLine.__table__,
                    [{"variant_id": v, "location_id": loc, "qty": qty} for v, loc, qty in lines],
                ),
            ],
        )
        if posts:
            return _post(document, lines, operator_id)
        # Waiting for pieces that are not there helps nobody.
        ledger.check_held([ledger.Line(v, loc, -qty) for v, loc, qty in lines])
        mark_stock_changed()  # the managers' to-do shows it
        return {"document": document, "movements": []}

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "supplier_return": supplier_id,
            "po": po_id,
            "lines": [list(line) for line in lines],
            "reason": reason,
            "note": note,
        },
    )


def approve(document_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """submitted → posted: the pieces leave their bins, in one ledger post. Stock may
    have moved since the return was submitted: a bin that no longer holds its pieces is
    ``InsufficientStock``, and against a PO a receipt reversed meanwhile may leave less
    to go back (``InvalidInput``); either way nothing changes (it stays submitted). A
    second approval posts nothing and raises ``AlreadyApproved``."""

    def work() -> dict:
        header = _supplier_return(document_id)
        require_warehouse(operator_id, header.warehouse_id)
        po = purchasing.lock(header.po_id) if header.po_id is not None else None
        documents.claim(document_id, DocumentStatus.SUBMITTED, DocumentStatus.POSTED)
        lines = [(line.variant_id, line.location_id, line.qty) for line in header.lines]
        if po is not None:
            _check_po(po, lines, po_returned(po.id, waiting=True, excluding=document_id))
        header.decided_by = operator_id
        header.decided_at = utcnow()
        return _post(documents.read(document_id), lines, operator_id)

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"approve_supplier_return": document_id},
    )


def reject(
    document_id: int, *, operator_id: int, reason: str, idempotency_key: str | None = None
) -> dict:
    """submitted → rejected, with a reason; nothing posts."""

    def checked(supplier_return_id: int) -> SupplierReturn:
        header = _supplier_return(supplier_return_id)
        require_warehouse(operator_id, header.warehouse_id)
        return header

    def work() -> dict:
        return documents.reject(
            document_id,
            checked,
            operator_id=operator_id,
            reason=reason,
            missing=_l("Say why the return to the supplier is rejected."),
        )

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"reject_supplier_return": document_id, "reason": reason},
    )


def _checked_header(supplier_id: int, po_id: int | None, reason: str) -> PurchaseOrder | None:
    """The PO, locked (before the return's row, whose foreign key share-locks it, as a
    receipt's does); ``InvalidInput`` naming the supplier, the PO or the reason if wrong."""
    errors = {}
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        errors["supplier"] = _l("Choose a supplier.")
    po = None
    if po_id is not None:
        po = db.session.get(PurchaseOrder, po_id, with_for_update=True, populate_existing=True)
        if po is None:
            errors["purchase_order"] = _l("Purchase order %(id)s does not exist.", id=po_id)
        elif supplier is not None and po.supplier_id != supplier.id:
            errors["purchase_order"] = _l(
                "Purchase order %(number)s is from %(supplier)s, not from this supplier.",
                number=po.number,
                supplier=po.supplier.name,
            )
    if reason not in set(SupplierReturnReason):
        errors["reason"] = _l("Unknown reason.")
    if errors:
        raise InvalidInput(FIELDS, errors)
    return po


def _warehouse_of(lines, operator_id: int) -> int:
    """The one warehouse of the lines' bins, each of which the operator must work in."""
    found = {loc: require_location(operator_id, loc) for _, loc, _ in lines}
    warehouse_id = found[lines[0][1]].warehouse_id
    errors = {
        f"lines[{i}]": _l("Every location of a return must be in one warehouse.")
        for i, (_, loc, _) in enumerate(lines)
        if found[loc].warehouse_id != warehouse_id
    }
    if errors:
        raise InvalidInput(FIELDS, errors)
    return warehouse_id


def _check_po(po: PurchaseOrder, lines, returned: dict[int, int]) -> None:
    """``InvalidInput`` on the first line of each variant that would take back more than
    the PO's approved receipts brought (good and damaged) less ``returned`` (what its
    other returns take back)."""
    arrived = po_received(po.id, damaged=True)
    asked: dict[int, int] = {}
    first: dict[int, int] = {}
    for i, (variant_id, _, qty) in enumerate(lines):
        asked[variant_id] = asked.get(variant_id, 0) + qty
        first.setdefault(variant_id, i)
    over = [v for v, qty in asked.items() if returned.get(v, 0) + qty > arrived.get(v, 0)]
    if not over:
        return
    skus = dict(
        db.session.execute(select(Variant.id, Variant.sku).where(Variant.id.in_(over))).all()
    )
    errors = {}
    for variant_id in over:
        came, back = arrived.get(variant_id, 0), returned.get(variant_id, 0)
        errors[f"lines[{first[variant_id]}]"] = _l(
            "%(sku)s: %(arrived)d came on %(number)s and %(returned)d went back already: "
            "at most %(left)d more.",
            sku=skus[variant_id],
            arrived=came,
            number=po.number,
            returned=back,
            left=max(came - back, 0),
        )
    raise InvalidInput("; ".join(str(message) for message in errors.values()), errors)


def _post(document: dict, lines, operator_id: int) -> dict:
    """The return's pieces out of their bins; ``{"document", "movements"}``."""
    movements = ledger.post(
        [ledger.Line(v, loc, -qty) for v, loc, qty in lines],
        kind=MovementKind.SUPPLIER_RETURN,
        operator_id=operator_id,
        document_id=document["id"],
        note=document["note"],
    )
    return {"document": document, "movements": movements}


def _supplier_return(document_id: int) -> SupplierReturn:
    header = db.session.get(SupplierReturn, document_id, populate_existing=True)
    if header is None:
        raise NotFound(_l("Return to supplier %(id)s does not exist.", id=document_id))
    return header
