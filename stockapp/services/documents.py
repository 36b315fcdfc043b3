"""Documents: what a group of movements belongs to (receipt, stocktake, reversal …)."""

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Table, bindparam, insert, select

from ..database import Prepared, arrays, run, unnested, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Document, DocumentKind, DocumentStatus, document_number
from ..models.ledger import MAX_LINES
from .errors import InvalidInput

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


def within_line_cap(lines) -> None:
    """Refuse a document of more than ``MAX_LINES`` lines (``InvalidInput`` on ``lines``),
    before any lock is taken: what one document asks of the database stays bounded."""
    if len(lines) > MAX_LINES:
        raise InvalidInput(LINE_CAP, {"lines": LINE_CAP})
