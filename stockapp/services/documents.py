"""Documents: what a group of movements belongs to (receipt, stocktake, reversal …)."""

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Table, bindparam, insert, select, update

from ..database import Prepared, arrays, mark_stock_changed, run, unnested, utcnow
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
    parts: Sequence[tuple[Table, list[dict]]] = (),
) -> dict:
    """Insert a document in the current transaction and return it as plain data.

    ``parts``: the rows of tables that belong to it (a header, its lines: dicts of
    every column but ``document_id``, defaults included), written with it. On PostgreSQL the
    document and its parts are one statement (the parts as ``INSERT … SELECT`` CTEs
    of the new id): one round trip where there would be one per table.
    """
    created_at = utcnow()
    values = {
        "kind": kind,
        "status": status,
        "note": note,
        "operator_id": operator_id,
        "reverses_id": reverses_id,
        "order_id": order_id,
        "created_at": created_at,
    }
    parts = [(table, rows) for table, rows in parts if rows]
    if parts and db.session.get_bind().dialect.name == "postgresql":
        shape = tuple((table, tuple(rows[0]), len(rows) == 1) for table, rows in parts)
        for i, ((_, names, single), (_, rows)) in enumerate(zip(shape, parts, strict=True)):
            if single:
                values |= {f"part{i}_{name}": value for name, value in rows[0].items()}
            else:
                values |= arrays(names, ([row[n] for n in names] for row in rows), f"part{i}")
        document_id = run(_create_with_parts(shape), values).scalar_one()
    else:
        document_id = run(_INSERT, values).scalar_one()
        for table, rows in parts:
            run(_insert_part(table), [{"document_id": document_id, **row} for row in rows])
    return {
        "id": document_id,
        "number": document_number(kind, document_id),
        "kind": kind,
        "status": status,
        "note": note,
        "created_at": created_at.isoformat(),
    }


@cache
def _insert_part(table: Table) -> Prepared:
    return Prepared(insert(table))


@cache
def _create_with_parts(shape: tuple[tuple[Table, tuple[str, ...], bool], ...]) -> Prepared:
    """PostgreSQL: ``WITH document AS (INSERT … RETURNING id), part0 AS (INSERT INTO
    <table> SELECT document.id, … FROM document[, unnest(…)]), … SELECT id FROM
    document``. A part of one row (a header, a one-line document) is given as plain
    parameters, a part of several as one array per column, inserted in their order.
    Every data-modifying CTE runs whether or not it is read."""
    columns = ("kind", "status", "note", "operator_id", "reverses_id", "order_id", "created_at")
    document = (
        insert(documents)
        .values({name: bindparam(name, type_=documents.c[name].type) for name in columns})
        .returning(documents.c.id)
        .cte("document")
    )
    ctes = []
    for i, (table, names, single) in enumerate(shape):
        if single:
            given = [bindparam(f"part{i}_{n}", type_=table.c[n].type) for n in names]
            chosen = select(document.c.id, *given)
        else:
            rows = unnested(table, names, f"part{i}")
            chosen = select(document.c.id, *(rows.c[n] for n in names)).order_by(rows.c.ordinal)
        ctes.append(insert(table).from_select(("document_id", *names), chosen).cte(f"part{i}"))
    return Prepared(select(document.c.id).add_cte(*ctes))


PIECES = _l("Enter a number from %(min)d to %(max)d.", min=1, max=MAX_QTY)


def check_pieces(lines) -> None:
    """Refuse lines of pieces (a bin move's and a write-off's ``(variant_id, qty)``, a
    return to the supplier's ``(variant_id, location_id, qty)``) that name no variant,
    list one twice (in the same location, where lines name theirs), or move fewer than 1
    or more than ``MAX_QTY`` pieces: ``InvalidInput`` names each (``lines[i]``), or
    ``lines`` when there is none."""
    if not lines:
        raise InvalidInput(
            _l("Some fields need attention."),
            {"lines": _l("Give at least one size with a quantity.")},
        )
    known = set(
        db.session.scalars(select(Variant.id).where(Variant.id.in_({line[0] for line in lines})))
    )
    errors, seen = {}, set()
    for i, line in enumerate(lines):
        variant_id, qty, same = line[0], line[-1], line[:-1]
        if variant_id not in known:
            errors[f"lines[{i}]"] = _l("This variant does not exist.")
        elif same in seen:
            errors[f"lines[{i}]"] = (
                _l("This variant is listed twice.")
                if len(same) == 1
                else _l("This variant is listed twice for this location.")
            )
        elif not 1 <= qty <= MAX_QTY:
            errors[f"lines[{i}]"] = _l(
                "Enter a number from %(min)d to %(max)d.", min=1, max=MAX_QTY
            )
        seen.add(same)
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


def reject(document_id: int, header_of, *, operator_id: int, reason: str, missing) -> dict:
    """submitted → rejected for a document that waits for a manager (a receipt, a
    write-off): ``header_of(document_id)`` loads its header row (and checks what the
    caller must), which records the reason and who decided; nothing posts. An empty
    reason is refused with ``missing`` beside it. Returns ``{"document", "movements"}``."""
    if not reason.strip():
        raise InvalidInput(_l("Some fields need attention."), {"reason": missing})
    header = header_of(document_id)
    claim(document_id, DocumentStatus.SUBMITTED, DocumentStatus.REJECTED)
    header.reject_reason = reason.strip()
    header.decided_by = operator_id
    header.decided_at = utcnow()
    db.session.flush()
    return {"document": read(document_id), "movements": []}


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
