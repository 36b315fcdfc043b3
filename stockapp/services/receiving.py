"""Receipts (入库单): goods that arrived, checked, put away, and — once approved —
added to stock.

A receipt is a document of kind receipt with a header (``Receipt``: its PO and
supplier, who submitted and who decided) and lines (``ReceiptLine``: received,
damaged, location, unit cost, reason, note). States: draft → submitted →
posted (approved: stock rises) or rejected (nothing posts). Receipts against a
purchase order wait for a manager's approval when the settings say so (the
default); a manager's own receipts, and receipts whose kind needs no approval,
post as they are submitted. The manage-stock dialog's quick inbound is a
receipt without a PO (``receive``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from ..database import mark_stock_changed, run, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    RECEIVING,
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    MovementKind,
    POLine,
    POStatus,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    ReceiptReason,
)
from ..models.ledger import MAX_NOTE
from ..models.warehouse import sellable_location
from . import accounts, documents, ledger, purchasing, settings
from .errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from .idempotency import run_once
from .warehouses import (
    quarantine_location_id,
    require_warehouse,
    usual_locations,
    working_warehouse_id,
)


@dataclass(frozen=True)
class ArrivedLine:
    """What arrived of one variant. ``location_id`` None: its usual location."""

    variant_id: int
    received: int
    damaged: int = 0
    location_id: int | None = None
    unit_cost: Decimal | None = None
    reason: str = ""
    note: str = ""


def receive(
    *,
    lines: Sequence[tuple[int, int]],
    operator_id: int,
    note: str = "",
    warehouse_id: int | None = None,
    location_id: int | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """The quick inbound: a receipt without a PO of ``(variant_id, qty)`` lines, each
    into ``location_id`` or else its usual location in the warehouse (as ``create``),
    submitted at once (and so posted at once unless the settings ask for approval of
    such receipts and the operator is not a manager).

    Returns ``{"document": …, "movements": […]}``; with an idempotency key, a
    repeat returns the first receipt and posts nothing.
    """
    return create(
        lines=[ArrivedLine(variant_id, qty, location_id=location_id) for variant_id, qty in lines],
        operator_id=operator_id,
        note=note,
        warehouse_id=warehouse_id,
        submit=True,
        idempotency_key=idempotency_key,
    )


def create(
    *,
    lines: Sequence[ArrivedLine],
    operator_id: int,
    po_id: int | None = None,
    note: str = "",
    warehouse_id: int | None = None,
    submit: bool = False,
    idempotency_key: str | None = None,
) -> dict:
    """Record a receipt as a draft (or, with ``submit``, submit it in the same step,
    and post it too if the operator may post directly).

    The goods go into one warehouse: ``warehouse_id``, or the operator's own
    (``warehouses.working_warehouse_id``, which refuses one they do not work in). A
    line's location must be a sellable one of that warehouse; without one, the
    variant's usual location there.

    Against a PO, the PO must be ordered or partially received; unit costs default
    to the PO's. Each line: an active variant, received and damaged of 0 or more
    and not both 0 unless a reason says why (nothing of it came: short), a known
    reason, a sellable location. Anything wrong is named in
    ``InvalidInput`` (``po``, ``lines[i]``) and nothing is written.

    The receipt is written once, in the state it ends in: its document, header
    and lines, and its movements if it posts. A receipt without a PO depends on
    nothing another writer could change in a way that matters (a variant
    archived a moment before keeps its stock like any other), so it is checked
    and its state decided before the write transaction: on SQLite, before the
    write lock is taken, which the quick inbound holds for its writes only.
    """
    documents.within_line_cap(lines)
    ready = None
    if po_id is None:
        ready = _checked_ahead(lines, submit, operator_id, warehouse_id, idempotency_key)

    def work() -> dict:
        if ready is not None:
            return _write(*ready, None, operator_id, note)
        po = _receiving_po(po_id) if po_id is not None else None
        checked = _checked_lines(lines, po, working_warehouse_id(operator_id, warehouse_id))
        return _write(checked, _decide(submit, po, operator_id), po, operator_id, note)

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={
            "receipt": po_id,
            "lines": [[str(v) for v in line.__dict__.values()] for line in lines],
            "note": note,
            "warehouse": warehouse_id,
            "submit": submit,
        },
    )


def _checked_ahead(lines, submit: bool, operator_id: int, warehouse_id, key: str | None):
    """A receipt without a PO's lines and state, decided before its write transaction;
    None when it is refused and carries an idempotency key: a repeat of a receipt
    already recorded answers with that one (``run_once``) whatever changed since, so
    it is then checked again inside, after the key."""
    try:
        warehouse_id = working_warehouse_id(operator_id, warehouse_id)
        return _checked_lines(lines, None, warehouse_id), _decide(submit, None, operator_id)
    except (InvalidInput, NotFound, NotPermitted):
        if key is None:
            raise
        return None


@dataclass(frozen=True)
class _Decision:
    """The state a receipt is written in, and whether a manager wrote it."""

    status: DocumentStatus
    manager: bool


def _decide(submit: bool, po: PurchaseOrder | None, operator_id: int) -> _Decision:
    manager = accounts.is_manager(operator_id)
    if not submit:
        return _Decision(DocumentStatus.DRAFT, manager)
    if _posts_at_once(po, manager):
        return _Decision(DocumentStatus.POSTED, manager)
    return _Decision(DocumentStatus.SUBMITTED, manager)


def _posts_at_once(po: PurchaseOrder | None, manager: bool) -> bool:
    """A manager's receipt posts as it is submitted, and so does a receipt whose kind
    (against a PO, or without) needs no approval in the settings."""
    key = "po_receipts_need_approval" if po is not None else "direct_receipts_need_approval"
    return manager or not settings.get(key)


def _write(
    lines: list[ArrivedLine],
    decision: _Decision,
    po: PurchaseOrder | None,
    operator_id: int,
    note: str,
) -> dict:
    """Insert the receipt (document, header, lines) in its final state, and post it
    if it is posted. A refusal (over the tolerance) rolls it all back."""
    status = decision.status
    now = utcnow()
    submitted = status != DocumentStatus.DRAFT
    posted = status == DocumentStatus.POSTED
    header = {
        "po_id": po.id if po else None,
        "supplier_id": po.supplier_id if po else None,
        "submitted_by": operator_id if submitted else None,
        "submitted_at": now if submitted else None,
        "decided_by": operator_id if posted else None,
        "decided_at": now if posted else None,
        "reject_reason": "",
    }
    document = documents.create(
        DocumentKind.RECEIPT,
        operator_id=operator_id,
        note=note,
        status=status,
        parts=[
            (Receipt.__table__, [header]),
            (ReceiptLine.__table__, [line.__dict__ for line in lines]),
        ],
    )
    if status == DocumentStatus.SUBMITTED:
        mark_stock_changed()  # the managers' to-do shows it
    if po is not None and submitted and not decision.manager:
        _check_tolerance(lines, po)
    movements = _post(document, lines, po, operator_id) if posted else []
    return {"document": document, "movements": movements}


def submit(document_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """draft → submitted. A clerk may not submit more than a PO line ordered beyond
    the tolerance in the settings (``NotPermitted`` names the lines): a manager
    must. Posts at once when the operator may post directly."""
    return run_once(
        lambda: _submit(document_id, operator_id),
        user_id=operator_id,
        key=idempotency_key,
        request={"submit_receipt": document_id},
    )


def approve(document_id: int, *, operator_id: int, idempotency_key: str | None = None) -> dict:
    """submitted → posted: the received pieces into their locations (damaged ones
    into the warehouse's quarantine location, if it has one, never into sellable
    stock), in one ledger post; the PO's state follows. The PO row is locked
    first, so two receipts of one PO approved at once count exactly; a second
    approval of the same receipt posts nothing and raises ``AlreadyApproved``."""

    def work() -> dict:
        receipt = _receipt(document_id, operator_id)
        po = purchasing.lock(receipt.po_id) if receipt.po_id else None
        documents.claim(document_id, DocumentStatus.SUBMITTED, DocumentStatus.POSTED)
        return _post_receipt(receipt, po, operator_id)

    return run_once(
        work, user_id=operator_id, key=idempotency_key, request={"approve_receipt": document_id}
    )


def reject(
    document_id: int, *, operator_id: int, reason: str, idempotency_key: str | None = None
) -> dict:
    """submitted → rejected, with a reason; nothing posts."""

    def work() -> dict:
        return documents.reject(
            document_id,
            lambda found: _receipt(found, operator_id),
            operator_id=operator_id,
            reason=reason,
            missing=_l("Say why the receipt is rejected."),
        )

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"reject_receipt": document_id, "reason": reason},
    )


def after_reversal(document_id: int) -> None:
    """A posted receipt was reversed: its PO's state follows (in the same transaction)."""
    receipt = db.session.get(Receipt, document_id)
    if receipt is not None and receipt.po_id is not None:
        purchasing.refresh_status(purchasing.lock(receipt.po_id))


def _submit(document_id: int, operator_id: int) -> dict:
    receipt = _receipt(document_id, operator_id)
    po = purchasing.lock(receipt.po_id) if receipt.po_id else None
    manager = accounts.is_manager(operator_id)
    documents.claim(document_id, DocumentStatus.DRAFT, DocumentStatus.SUBMITTED)
    if po is not None:
        _check_expecting(po)  # a draft may have been made before its PO was closed
        if not manager:
            _check_tolerance(receipt.lines, po)  # a refusal rolls the claim back
    receipt.submitted_by = operator_id
    receipt.submitted_at = utcnow()
    if not _posts_at_once(po, manager):
        db.session.flush()
        return {"document": documents.read(document_id), "movements": []}
    run(
        update(Document.__table__)
        .where(Document.__table__.c.id == document_id)
        .values(status=DocumentStatus.POSTED)
    )
    return _post_receipt(receipt, po, operator_id)


def _post_receipt(receipt: Receipt, po: PurchaseOrder | None, operator_id: int) -> dict:
    """A recorded receipt, now posted: decided by the operator, and its lines posted."""
    receipt.decided_by = operator_id
    receipt.decided_at = utcnow()
    document = documents.read(receipt.document_id)
    return {"document": document, "movements": _post(document, receipt.lines, po, operator_id)}


def _post(document: dict, lines, po: PurchaseOrder | None, operator_id: int) -> list[dict]:
    """Post a receipt's lines (``ReceiptLine`` rows or ``ArrivedLine``s): the received
    pieces into their locations, the damaged ones into their warehouse's quarantine
    location if it has one (never into sellable stock); the PO's state follows."""
    quarantine = {}
    posting = []
    for line in lines:
        if line.received:
            posting.append(ledger.Line(line.variant_id, line.location_id, line.received))
        if line.damaged:
            warehouse_id = db.session.get(Location, line.location_id).warehouse_id
            if warehouse_id not in quarantine:
                quarantine[warehouse_id] = quarantine_location_id(warehouse_id)
            if quarantine[warehouse_id] is not None:
                posting.append(ledger.Line(line.variant_id, quarantine[warehouse_id], line.damaged))
    movements = []
    if posting:
        movements = ledger.post(
            posting,
            kind=MovementKind.INBOUND,
            operator_id=operator_id,
            document_id=document["id"],
            note=document["note"],
        )
    if po is not None:
        db.session.flush()
        purchasing.refresh_status(po)
        db.session.flush()
    return movements


def _check_tolerance(lines, po: PurchaseOrder) -> None:
    tolerance = settings.get("over_receipt_tolerance_pct")
    # This receipt is submitted already, so it counts with the approved ones and
    # those still waiting: two receipts of 10 on a PO of 10 cannot pass one after
    # the other, nor one variant split over two lines.
    received = purchasing.received_by_variant(po.id, waiting=True)
    ordered = {line.variant_id: line for line in po.lines}
    errors = {}
    for i, line in enumerate(lines):
        po_line, total = ordered.get(line.variant_id), received.get(line.variant_id, 0)
        if po_line is None or total * 100 <= po_line.ordered * (100 + tolerance):
            continue
        # The variant's first line carries the message: the line to correct.
        errors.setdefault(
            po_line.variant_id,
            (
                f"lines[{i}]",
                _l(
                    "%(sku)s: %(total)d received with the receipts waiting, %(ordered)d ordered.",
                    sku=po_line.variant.sku,
                    total=total,
                    ordered=po_line.ordered,
                ),
            ),
        )
    if errors:
        raise NotPermitted(
            _l(
                "Over the %(tolerance)d%% tolerance: a manager must submit this receipt. "
                "The lines over it are marked.",
                tolerance=tolerance,
            ),
            dict(errors.values()),
        )


def _receipt(document_id: int, operator_id: int) -> Receipt:
    """The receipt, for an operator who works in the warehouse its lines go into
    (``NotPermitted`` otherwise)."""
    receipt = db.session.get(Receipt, document_id, populate_existing=True)
    if receipt is None:
        raise NotFound(_l("Receipt %(id)s does not exist.", id=document_id))
    into = db.session.scalars(
        select(Location.warehouse_id)
        .join(ReceiptLine, ReceiptLine.location_id == Location.id)
        .where(ReceiptLine.document_id == document_id)
        .distinct()
    )
    for warehouse_id in into:
        require_warehouse(operator_id, warehouse_id)
    return receipt


def _receiving_po(po_id: int) -> PurchaseOrder:
    # Locked before the receipt row (whose foreign key share-locks the PO) is
    # written: two receipts of one PO submitted at once would otherwise deadlock.
    po = db.session.get(PurchaseOrder, po_id, with_for_update=True, populate_existing=True)
    if po is None:
        raise InvalidInput(
            _l("Some fields need attention."),
            {"po": _l("Purchase order %(id)s does not exist.", id=po_id)},
        )
    _check_expecting(po)
    return po


def _check_expecting(po: PurchaseOrder) -> None:
    if po.status not in RECEIVING:
        raise InvalidTransition(
            _l(
                "Purchase order %(number)s (%(status)s): nothing is expected on it.",
                number=po.number,
                status=POStatus.label_of(po.status),
            )
        )


def _checked_lines(
    lines: Sequence[ArrivedLine], po: PurchaseOrder | None, warehouse_id: int
) -> list[ArrivedLine]:
    """The lines with their locations (in the warehouse) and costs filled in;
    ``InvalidInput`` if any is wrong."""
    if not lines:
        raise InvalidInput(
            _l("Some fields need attention."),
            {"lines": _l("Give at least one size with a quantity.")},
        )
    # The active variants, each with its usual location: one statement.
    usual = usual_locations({line.variant_id for line in lines}, warehouse_id, active=True)
    chosen = {line.location_id for line in lines if line.location_id}
    sellable = set()
    if chosen:
        sellable = set(
            db.session.scalars(
                select(Location.id).where(
                    Location.id.in_(chosen),
                    Location.warehouse_id == warehouse_id,
                    sellable_location(),
                )
            )
        )
    costs = {}
    if po is not None:
        costs = dict(
            db.session.execute(
                select(POLine.variant_id, POLine.unit_cost).where(POLine.po_id == po.id)
            ).all()
        )
    reasons = set(ReceiptReason) | {""}
    errors = {}
    filled = []
    for i, line in enumerate(lines):
        if line.variant_id not in usual:
            errors[f"lines[{i}]"] = _l("This variant does not exist or is archived.")
        elif (
            line.received < 0
            or line.damaged < 0
            or (line.received + line.damaged == 0 and not line.reason)
        ):
            errors[f"lines[{i}]"] = _l("Give how many arrived (received or damaged), or a reason.")
        elif line.location_id is not None and line.location_id not in sellable:
            errors[f"lines[{i}]"] = _l("Choose a location for sellable stock in this warehouse.")
        elif line.reason not in reasons:
            errors[f"lines[{i}]"] = _l("Unknown reason.")
        elif line.unit_cost is not None and line.unit_cost < 0:
            errors[f"lines[{i}]"] = _l("A cost cannot be negative.")
        elif len(line.note) > MAX_NOTE:
            errors[f"lines[{i}]"] = _l("At most %(max)d characters.", max=MAX_NOTE)
        else:
            filled.append(
                ArrivedLine(
                    variant_id=line.variant_id,
                    received=line.received,
                    damaged=line.damaged,
                    location_id=line.location_id or usual[line.variant_id],
                    unit_cost=line.unit_cost
                    if line.unit_cost is not None
                    else costs.get(line.variant_id),
                    reason=line.reason,
                    note=line.note,
                )
            )
    if errors:
        raise InvalidInput(_l("Some fields need attention."), errors)
    return filled
