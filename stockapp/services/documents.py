"""Documents: what a group of movements belongs to (receipt, stocktake, reversal …)."""

from sqlalchemy import insert, select, update

from ..database import Prepared, mark_stock_changed, run, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Document, DocumentKind, DocumentStatus, Variant, document_number
from ..models.ledger import MAX_LINES, MAX_QTY
from .errors import AlreadyApproved, InvalidInput, InvalidTransition

documents = Document.__table__
# The API's contracts say the same (contracts.shared): one cap for every way in.
LINE_CAP = _l("At most %(n)d lines per request.", n=MAX_LINES)
_INSERT = Prepared(insert(documents).returning(documents.c.id))


def create(
    kind: DocumentKind,
    *,
    operator_id: int,
    note: str = "",
    status: DocumentStatus = DocumentStatus.POSTED,
    reverses_id: int | None = None,
    order_id: int | None = None,
) -> dict:
    """Insert a document in the current transaction and return it as plain data."""
    created_at = utcnow()
    document_id = run(
        _INSERT,
        {
            "kind": kind,
            "status": status,
            "note": note,
            "operator_id": operator_id,
            "reverses_id": reverses_id,
            "order_id": order_id,
            "created_at": created_at,
        },
    ).scalar_one()
    return {
        "id": document_id,
        "number": document_number(kind, document_id),
        "kind": kind,
        "status": status,
        "note": note,
        "created_at": created_at.isoformat(),
    }


PIECES = _l("Enter a number from %(min)d to %(max)d.", min=1, max=MAX_QTY)


def check_pieces(lines) -> None:
    """Refuse lines of ``(variant_id, qty)`` pieces (a bin move's, a write-off's) that
    name no variant, list one twice, or move fewer than 1 or more than ``MAX_QTY``
    pieces: ``InvalidInput`` names each (``lines[i]``), or ``lines`` when there is none."""
    if not lines:
        raise InvalidInput(
            _l("Some fields need attention."),
            {"lines": _l("Give at least one size with a quantity.")},
        )
    known = set(db.session.scalars(select(Variant.id).where(Variant.id.in_({v for v, _ in lines}))))
    errors, seen = {}, set()
    for i, (variant_id, qty) in enumerate(lines):
        if variant_id not in known:
            errors[f"lines[{i}]"] = _l("This variant does not exist.")
        elif variant_id in seen:
            errors[f"lines[{i}]"] = _l("This variant is listed twice.")
        elif not 1 <= qty <= MAX_QTY:
            errors[f"lines[{i}]"] = _l(
                "Enter a number from %(min)d to %(max)d.", min=1, max=MAX_QTY
            )
        seen.add(variant_id)
    if errors:
        raise InvalidInput(_l("Some fields need attention."), errors)


def within_line_cap(lines) -> None:
    """Refuse a document of more than ``MAX_LINES`` lines (``InvalidInput`` on ``lines``),
    before any lock is taken: what one document asks of the database stays bounded."""
    if len(lines) > MAX_LINES:
        raise InvalidInput(LINE_CAP, {"lines": LINE_CAP})


def read(document_id: int) -> dict:
    """A document as plain data, as ``create`` returns it, read afresh."""
    document = db.session.get(Document, document_id, populate_existing=True)
    return {
        "id": document.id,
        "number": document.number,
        "kind": document.kind,
        "status": document.status,
        "note": document.note,
        "created_at": document.created_at.isoformat(),
    }


def claim(document_id: int, before: DocumentStatus, after: DocumentStatus) -> None:
    """Move a document (a receipt, a write-off) from ``before`` to ``after`` by one
    guarded UPDATE, so that of two requests at once only one does; or say why it
    cannot: ``AlreadyApproved`` for a second approval, else ``InvalidTransition``."""
    done = run(
        update(documents)
        .where(documents.c.id == document_id, documents.c.status == before)
        .values(status=after)
        .returning(documents.c.id)
    ).first()
    if done is not None:
        mark_stock_changed()  # the managers' to-do counts the documents waiting
        return
    kind, status = db.session.execute(
        select(documents.c.kind, documents.c.status).where(documents.c.id == document_id)
    ).one()
    named = {"document": DocumentKind.label_of(kind), "number": document_number(kind, document_id)}
    if status == DocumentStatus.POSTED and after == DocumentStatus.POSTED:
        raise AlreadyApproved(_l("%(document)s %(number)s is already approved.", **named))
    raise InvalidTransition(
        _l(
            "%(document)s %(number)s (%(status)s): you cannot %(action)s it.",
            status=DocumentStatus.label_of(status),
            action=ACTION_NAMES[after],
            **named,
        )
    )


ACTION_NAMES = {
    DocumentStatus.SUBMITTED: _l("submit"),
    DocumentStatus.POSTED: _l("approve"),
    DocumentStatus.REJECTED: _l("reject"),
}
