"""Bin moves (移库) and write-offs (报损): a bin found by its label, what a move moved,
the write-off list and one write-off. No writes."""

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..models import (
    Balance,
    Document,
    DocumentKind,
    Location,
    Movement,
    MovementKind,
    User,
    Variant,
    Warehouse,
    WriteOff,
    WriteOffLine,
)
from .movements import reversal_of
from .pager import FIRST, Cursor, Page, fetch


def location_by_code(code: str, warehouse_id: int) -> Location | None:
    """The location of a warehouse whose code (as its bin label carries it) is ``code``,
    ignoring case."""
    return db.session.scalar(
        select(Location).where(
            Location.warehouse_id == warehouse_id, func.upper(Location.code) == code.upper()
        )
    )


def locations_by_code(code: str, warehouse_ids=None) -> list[Location]:
    """The locations whose code is ``code`` (ignoring case), in some warehouses (None:
    all), by warehouse: a code is unique within its warehouse only."""
    query = select(Location).where(func.upper(Location.code) == code.upper())
    if warehouse_ids is not None:
        query = query.where(Location.warehouse_id.in_(warehouse_ids))
    return list(db.session.scalars(query.order_by(Location.warehouse_id)))


def warehouse_id_by_code(code: str) -> int | None:
    return db.session.scalar(select(Warehouse.id).where(Warehouse.code == code.upper()))


def location_codes(location_ids) -> dict[int, str]:
    """Each location's code (as its bin label carries it), by id."""
    return dict(
        db.session.execute(
            select(Location.id, Location.code).where(Location.id.in_(list(location_ids)))
        ).all()
    )


def held_in(location_id: int, variant_ids) -> dict[int, int]:
    """What a location holds of each variant (those it holds none of left out)."""
    return dict(
        db.session.execute(
            select(Balance.variant_id, Balance.qty).where(
                Balance.location_id == location_id,
                Balance.variant_id.in_(list(variant_ids)),
                Balance.qty > 0,
            )
        ).all()
    )


def _lines(rows) -> list[dict]:
    return [
        {"variant": variant, "sku": variant.sku, "qty": qty}
        for variant, qty in sorted(rows, key=lambda row: (row[0].style_id, row[0].id))
    ]


def move_detail(document_id: int) -> dict | None:
    """A move: its document, operator, source and destination, its lines, and its
    reversal (``movements.reversal_of``)."""
    found = db.session.execute(
        select(Document, User.username)
        .join(User, User.id == Document.operator_id)
        .where(Document.id == document_id, Document.kind == DocumentKind.MOVE)
    ).first()
    if found is None:
        return None
    rows = db.session.execute(
        select(Movement.kind, Movement.location_id, Movement.delta, Variant)
        .join(Variant, Variant.id == Movement.variant_id)
        .where(Movement.document_id == document_id)
    ).all()
    ends = {kind: location_id for kind, location_id, _, _ in rows}
    places = {
        location.id: location
        for location in db.session.scalars(select(Location).where(Location.id.in_(ends.values())))
    }
    return {
        "id": document_id,
        "document": found.Document,
        "operator": found.username,
        "from": places[ends[MovementKind.MOVE_OUT]],
        "to": places[ends[MovementKind.MOVE_IN]],
        "lines": _lines(
            (variant, delta) for kind, _, delta, variant in rows if kind == MovementKind.MOVE_IN
        ),
        **reversal_of(found.Document),
    }


_decider = aliased(User)


def _write_offs():
    return (
        select(WriteOff, Document, User.username, _decider.username.label("decider"), Location)
        .join(Document, Document.id == WriteOff.document_id)
        .join(User, User.id == Document.operator_id)
        .outerjoin(_decider, _decider.id == WriteOff.decided_by)
        .join(Location, Location.id == WriteOff.location_id)
        .where(Document.kind == DocumentKind.WRITE_OFF)  # for the (kind, status, id) index
    )


def write_off_list(
    *, statuses=None, warehouse_ids=None, cursor: Cursor = FIRST, per_page: int = 50
) -> Page:
    """One page of write-offs, newest first (keyset by id), in some states (None: all)
    and out of some warehouses (None: all), with their pieces."""
    query = _write_offs()
    if warehouse_ids is not None:
        query = query.where(Location.warehouse_id.in_(warehouse_ids))
    if statuses is not None:
        query = query.where(Document.status.in_(statuses))
    paged = fetch(
        query, by=Document.id, limit=per_page, cursor=cursor, key=lambda row: row.Document.id
    )
    ids = [row.WriteOff.document_id for row in paged.rows]
    pieces = dict(
        db.session.execute(
            select(WriteOffLine.document_id, func.sum(WriteOffLine.qty))
            .where(WriteOffLine.document_id.in_(ids))
            .group_by(WriteOffLine.document_id)
        ).all()
    )
    return paged.with_rows(
        [
            {
                "write_off": row.WriteOff,
                "document": row.Document,
                "operator": row.username,
                "location": row.Location,
                "pieces": pieces.get(row.WriteOff.document_id, 0),
            }
            for row in paged.rows
        ]
    )


def write_off_detail(document_id: int) -> dict | None:
    """One write-off as the page and the API show it, with its reversal
    (``movements.reversal_of``); None if there is none."""
    row = db.session.execute(
        _write_offs()
        .where(WriteOff.document_id == document_id)
        .options(
            selectinload(WriteOff.lines)
            .selectinload(WriteOffLine.variant)
            .selectinload(Variant.style)
        )
    ).first()
    if row is None:
        return None
    write_off, document, location = row.WriteOff, row.Document, row.Location
    decided = write_off.decided_at
    return {
        "id": document.id,
        "number": document.number,
        "status": document.status,
        "document": document,
        "location": location.code,
        "place": location,
        "warehouse": db.session.get(Warehouse, location.warehouse_id).code,
        "reason": write_off.reason,
        "note": document.note,
        "created_at": document.created_at.isoformat(),
        "created_by": row.username,
        "decided_at": decided.isoformat() if decided else None,
        "decided_by": row.decider,
        "reject_reason": write_off.reject_reason,
        "lines": _lines((line.variant, line.qty) for line in write_off.lines),
        **reversal_of(document),
    }
