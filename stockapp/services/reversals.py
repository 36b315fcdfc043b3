"""Reversing a document (冲销): the ledger's reversal and what follows from it.

A manager reverses a posted receipt, stocktake, bin move, write-off or return to the
supplier (``models.ledger.REVERSIBLE``), with a reason, in the warehouses they work in. The
reversal posts the opposite of each movement (``ledger.reverse``); the original
becomes reversed and the two documents point at each other.
"""

from sqlalchemy import func, select

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Document, DocumentStatus, Location, Movement, Warehouse
from ..models.ledger import MAX_NOTE, REVERSIBLE
from . import ledger, receiving
from .errors import InsufficientStock, InvalidInput, InvalidTransition, NotFound
from .idempotency import run_once
from .warehouses import require_warehouse

SAY_WHY = _l("Say why this document is reversed.")
REASON_TOO_LONG = _l("Keep the reason under %(max)d characters.", max=MAX_NOTE)


def reverse_document(
    document_id: int, *, operator_id: int, reason: str, idempotency_key: str | None = None
) -> dict:
    """Reverse a posted document and bring what depends on it along, in one unit of work.

    A receipt's PO follows (its received and remaining quantities, its state). Refused,
    with nothing written: no reason, or a reason past ``MAX_NOTE`` (``InvalidInput`` on
    ``reason``); an unknown document (``NotFound``); one whose movements touch a
    warehouse the operator does not work in (``NotPermitted``); one that cannot be
    reversed (``InvalidTransition``, saying why: ``refusal``), or that is already
    (``AlreadyReversed``); one that would put pieces back into a deactivated warehouse
    (``InvalidTransition``); pieces no longer where the document put them, such as a
    bin move's that have left its destination bin since (``InsufficientStock``, naming
    the document, each bin and the shortfall). With an idempotency key, a repeat returns
    the first reversal and posts nothing. Returns the reversal document and its
    movements, as ``ledger.reverse`` does.
    """
    reason = reason.strip()
    if not reason or len(reason) > MAX_NOTE:
        raise InvalidInput(
            _l("Some fields need attention."), {"reason": REASON_TOO_LONG if reason else SAY_WHY}
        )

    def work() -> dict:
        original = db.session.get(
            Document, document_id, with_for_update=True, populate_existing=True
        )
        if original is None:
            raise NotFound(_l("Document %(id)s does not exist.", id=document_id))
        places = _warehouses(document_id)
        for warehouse_id in places:
            require_warehouse(operator_id, warehouse_id)
        refused = refusal(original.kind, original.status, original.number)
        if refused is not None:
            raise InvalidTransition(refused)
        _refuse_deactivated([w for w, puts_back in places.items() if puts_back])
        try:
            reversal = ledger.reverse(document_id, operator_id=operator_id, reason=reason)
        except InsufficientStock as short:
            raise InsufficientStock(short.shortages, document=original.number) from None
        receiving.after_reversal(document_id)
        return reversal

    return run_once(
        work,
        user_id=operator_id,
        key=idempotency_key,
        request={"reverse": document_id, "reason": reason},
    )


def refusal(kind: str, status: str, number: str):
    """Why a manager cannot reverse a document of this kind in this state, or None
    when they can (or when it is reversed already: the ledger says by which)."""
    if status == DocumentStatus.REVERSED:
        return None
    if kind not in REVERSIBLE:
        return _l(
            "%(number)s cannot be reversed here: only receipts, stocktakes, bin moves, "
            "write-offs and returns to suppliers can.",
            number=number,
        )
    if status == DocumentStatus.REJECTED:
        return _l(
            "%(number)s was rejected: nothing was posted, so nothing is reversed.", number=number
        )
    if status != DocumentStatus.POSTED:
        return _l(
            "%(number)s is not approved: nothing was posted, so nothing is reversed.",
            number=number,
        )
    return None


def require_access(document_id: int, user_id: int) -> None:
    """``NotPermitted`` unless the user works in every warehouse the document's
    movements touch (the reversal dialog asks before it shows them)."""
    for warehouse_id in _warehouses(document_id):
        require_warehouse(user_id, warehouse_id)


def _warehouses(document_id: int) -> dict[int, bool]:
    """The warehouses of the document's movements, each with whether its reversal puts
    pieces back into it (a movement that took some out)."""
    rows = db.session.execute(
        select(Location.warehouse_id, func.min(Movement.delta) < 0)
        .join(Location, Location.id == Movement.location_id)
        .where(Movement.document_id == document_id)
        .group_by(Location.warehouse_id)
    )
    return {warehouse_id: bool(puts_back) for warehouse_id, puts_back in rows}


def _refuse_deactivated(warehouse_ids: list[int]) -> None:
    """A deactivated warehouse holds no stock: nothing goes back into one. Read FOR
    SHARE, so that a deactivation under way is waited for, and one that starts later
    waits for this reversal and sees the stock it put back."""
    if not warehouse_ids:
        return
    found = db.session.execute(
        select(Warehouse.code, Warehouse.active)
        .where(Warehouse.id.in_(sorted(warehouse_ids)))
        .order_by(Warehouse.id)
        .with_for_update(read=True)
    )
    for code, active in found:
        if not active:
            raise InvalidTransition(
                _l("Warehouse %(code)s is deactivated: reactivate it first.", code=code)
            )
