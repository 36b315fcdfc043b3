"""The one reader of movements: the stock logs (库存日志), "why is this number" and the
API's ``GET /movements`` all ask ``page``. No writes.

A row is a movement with its style, variant, operator and document. Its
``reverses`` is the id of the movement it reverses (a reversal's), as the ledger
records it; ``document["reverses"]`` and ``document["reversed_by"]`` link the
documents. ``Criteria.search`` takes a SKU, else a style code (all its variants).

Pages are cut by movement id (keyset, queries.pager): ``before`` the last id seen,
``after`` the first, so a page deep in the past costs what the first one does. A
page's ids are chosen from ``movements`` alone, through the index that fits the
filter — (variant_id, id), (kind, id), (operator_id, id), document_id, created_at or
the primary key — and only those few ids are then joined to their style, operator
and documents.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from sqlalchemy import Select, bindparam, func, select, union_all
from sqlalchemy.orm import aliased

from ..database import one_of, run
from ..extensions import db
from ..models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    Movement,
    MovementKind,
    Order,
    Style,
    User,
    Variant,
    Warehouse,
    document_number,
)
from ..models.ledger import REVERSIBLE
from ..models.warehouse import sellable_location
from . import pager
from .pager import FIRST, Cursor, Page
from .search import match
from .stock import PLACE_COLUMNS, place, places

# A log is a set of movement kinds; "all" filters nothing.
LOGS: dict[str, tuple[str, ...]] = {
    "all": (),
    "inbound": (MovementKind.INBOUND,),
    "adjustment": (
        MovementKind.STOCKTAKE,
        MovementKind.REVERSAL,
        MovementKind.WRITE_OFF,
    ),
}
# What the kind filter takes: a log's name, or any single kind that is not a log.
KINDS = (*LOGS, *(k for k in MovementKind if k not in LOGS))
# Up to this many variants (a style's size run × colours), one query per variant.
MAX_SPLIT = 200
# A movement's time is taken just before its row (and id) is inserted; two writers
# may interleave the two, but never by anything near this much.
CLOCK_SLACK = timedelta(minutes=5)
_DOCUMENT_NUMBER = re.compile(r"(?P<prefix>[A-Z]{2})?0*(?P<id>\d{1,12})")


@dataclass(frozen=True)
class Criteria:
    """What a log shows. Empty fields filter nothing; dates are inclusive, local days."""

    search: str = ""  # a SKU, or a style code (all its variants)
    operator: str = ""  # a user name
    kind: str = "all"  # one of KINDS
    date_from: date | None = None
    date_to: date | None = None
    document: str = ""  # a document number (RC0000042) or id; shows it and its reversal
    operator_id: int | None = None  # "my actions": the signed-in user
    variant_id: int | None = None  # one variant, known by its id ("why this number")
    warehouse_ids: frozenset[int] | None = None  # only these warehouses' locations; None: all


def page(criteria: Criteria, *, cursor: Cursor = FIRST, limit: int = 50) -> Page:
    """Movements newest first, at most ``limit``, from ``cursor`` (ids below its
    ``before`` or just above its ``after``).

    The page's ``next_cursor`` is the cursor of the next page, or None when
    this page is the last.
    """
    ids = cursor.cut(_page_ids(criteria, cursor, limit=limit + 1), limit=limit, key=int)
    if ids is None:  # read back to the top: the first page
        return page(criteria, limit=limit)
    return ids.with_rows(_rows(ids.rows))


def each(criteria: Criteria, *, limit: int, batch: int = 1000) -> Iterator[dict]:
    """Every movement the criteria match, newest first, up to ``limit`` of them."""
    return pager.each(partial(page, criteria), limit=limit, batch=batch)


def document(document_id: int) -> dict | None:
    """A document with what it changed and where, for the reversal form; None if unknown."""
    found = _documents_with_links(select(Document.id).where(Document.id == document_id))
    if not found:
        return None
    item = found[0]
    lines = db.session.execute(
        select(
            Variant.sku, Style.code, Variant.colour, Variant.size, Movement.delta, *PLACE_COLUMNS
        )
        .join(Variant, Variant.id == Movement.variant_id)
        .join(Style, Style.id == Variant.style_id)
        .join(Location, Location.id == Movement.location_id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Movement.document_id == document_id)
        .order_by(Movement.id)
    ).all()
    item["lines"] = [
        {
            "sku": line.sku,
            "style_code": line.code,
            "colour": line.colour,
            "size": line.size,
            "delta": line.delta,
            "place": place(line._mapping),
        }
        for line in lines
    ]
    item["total"] = sum(line.delta for line in lines)
    return item


def reversal_of(document) -> dict:
    """For a document's own page (a ``Document``): whether it can be reversed now
    (``can_reverse``), and the reversal that reversed it, if one did (``reversal``:
    its id, number, reason, operator and time)."""
    found = db.session.execute(
        select(Document.id, Document.note, Document.created_at, User.username)
        .join(User, User.id == Document.operator_id)
        .where(Document.reverses_id == document.id)
    ).first()
    reversal = None
    if found is not None:
        reversal = {
            "id": found.id,
            "number": document_number(DocumentKind.REVERSAL, found.id),
            "reason": found.note,
            "operator": found.username,
            "created_at": found.created_at,
        }
    can_reverse = document.status == DocumentStatus.POSTED and document.kind in REVERSIBLE
    return {"can_reverse": can_reverse, "reversal": reversal}


def operators() -> list[str]:
    """Every user name, for the operator filter (former staff included: they have history)."""
    return list(db.session.scalars(select(User.username).order_by(User.username)))


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC instants where local day ``first`` starts and local day ``last`` ends."""
    zone = ZoneInfo(str(get_timezone()))

    def start(day: date) -> datetime:
        return datetime.combine(day, time(), zone)

    return (
        start(first) if first else None,
        start(last + timedelta(days=1)) if last else None,
    )


def _page_ids(criteria: Criteria, cursor: Cursor, *, limit: int) -> list[int]:
    """The ids of one page, newest first (oldest first when read back toward the top).

    ``variant_id IN (…) ORDER BY id DESC`` would read every movement of a style
    and sort them, or walk the whole table backwards; so a filter on several
    variants (or several kinds) becomes one small keyset query per value, each
    walking its own (variant_id, id) or (kind, id) index, merged and cut again.
    """
    found = _matching(criteria)
    if found is None:
        return []
    query, split = found
    query = cursor.narrow(query, Movement.id)
    if split is None:
        return list(db.session.scalars(query.order_by(cursor.order(Movement.id)).limit(limit)))
    column, values = split
    arms = [
        query.where(column == value).order_by(cursor.order(Movement.id)).limit(limit).subquery()
        for value in values
    ]
    merged = union_all(*(select(arm.c.id) for arm in arms)).subquery()
    return list(
        db.session.scalars(select(merged.c.id).order_by(cursor.order(merged.c.id)).limit(limit))
    )


def _matching(criteria: Criteria) -> tuple[Select, tuple | None] | None:
    """The movements the criteria match, and the column and values to split the
    query by (see ``_page_ids``); None when nothing can match."""
    query = select(Movement.id)
    split = None
    if criteria.variant_id is not None:
        query = query.where(Movement.variant_id == criteria.variant_id)
    if criteria.warehouse_ids is not None:
        query = query.where(Movement.location_id.in_(_locations_of(criteria.warehouse_ids)))
    if criteria.search.strip():
        variant_ids = _variant_ids(criteria.search.strip())
        if not variant_ids:
            return None
        if len(variant_ids) == 1:
            query = query.where(Movement.variant_id == variant_ids[0])
        elif len(variant_ids) <= MAX_SPLIT:
            split = (Movement.variant_id, variant_ids)
        else:
            query = query.where(Movement.variant_id.in_(variant_ids))
    operator_id = criteria.operator_id
    if criteria.operator:
        named = db.session.scalar(select(User.id).where(User.username == criteria.operator))
        if named is None or (operator_id is not None and named != operator_id):
            return None
        operator_id = named
    if operator_id is not None:
        query = query.where(Movement.operator_id == operator_id)
    kinds = LOGS.get(criteria.kind, (criteria.kind,))
    if len(kinds) == 1:
        query = query.where(Movement.kind == kinds[0])
    elif kinds and split is None and operator_id is None:
        split = (Movement.kind, kinds)
    elif kinds:
        query = query.where(Movement.kind.in_(kinds))
    if criteria.document.strip():
        document_ids = _document_family(criteria.document.strip())
        if not document_ids:
            return None
        query = query.where(Movement.document_id.in_(document_ids))
    start, end = day_bounds(criteria.date_from, criteria.date_to)
    if start is not None:
        first = _first_id_from(start - CLOCK_SLACK)
        if first is None:
            return None
        query = query.where(Movement.created_at >= start, Movement.id >= first)
    if end is not None:
        query = query.where(Movement.created_at < end)
        after = _first_id_from(end + CLOCK_SLACK)
        if after is not None:
            query = query.where(Movement.id < after)
    return query, split


def _first_id_from(moment: datetime) -> int | None:
    """The id of the first movement at or after ``moment`` (by the created_at index).

    A date range becomes a range of ids as well, so that pages walk the primary
    key (or a (kind, id) index) within it instead of sorting the whole range.
    The times stay the exact filter; the ids only narrow where to look.
    """
    return db.session.scalar(
        select(Movement.id)
        .where(Movement.created_at >= moment)
        .order_by(Movement.created_at, Movement.id)
        .limit(1)
    )


def _variant_ids(text: str) -> list[int]:
    """The variant a SKU names, else every variant of the style a code names."""
    by_sku = db.session.scalar(select(Variant.id).where(Variant.sku == text))
    if by_sku is not None:
        return [by_sku]
    style_id = db.session.scalar(select(Style.id).where(Style.code == text))
    if style_id is None:
        # Typed on a tablet, "a1024" means A1024; only tried once the exact match failed,
        # among the codes the search index finds.
        any_case = func.upper(Style.code) == text.upper()
        style_id = db.session.scalar(
            select(Style.id).where(match(text, Style.code).where, any_case).limit(1)
        )
    if style_id is None:
        return []
    return list(db.session.scalars(select(Variant.id).where(Variant.style_id == style_id)))


def _document_family(text: str) -> list[int]:
    """A document named by number or id, with the document reversing it or reversed by it."""
    match = _DOCUMENT_NUMBER.fullmatch(text.upper())
    if not match:
        return []
    found = _documents_with_links(select(Document.id).where(Document.id == int(match["id"])))
    if not found or (match["prefix"] and not found[0]["number"].startswith(match["prefix"])):
        return []
    item = found[0]
    return [
        item["id"],
        *(link["id"] for link in (item["reversed_by"], item["reverses"]) if link),
    ]


def _rows_query() -> Select:
    reversal, original = aliased(Document), aliased(Document)
    return (
        select(
            Movement.id,
            Movement.created_at,
            Style.code.label("style_code"),
            Style.name.label("style_name"),
            Variant.colour,
            Variant.size,
            Variant.sku,
            Movement.delta,
            Movement.balance_after,
            Movement.kind,
            User.username.label("operator"),
            Movement.note,
            Movement.reverses_id.label("reverses"),
            Document.id.label("document_id"),
            Document.kind.label("document_kind"),
            Document.status.label("document_status"),
            reversal.id.label("reversed_by_id"),
            original.id.label("reverses_id"),
            original.kind.label("reverses_kind"),
            Document.order_id,
            Order.number.label("order_number"),
            *PLACE_COLUMNS,
        )
        .join(Variant, Variant.id == Movement.variant_id)
        .join(Style, Style.id == Variant.style_id)
        .join(User, User.id == Movement.operator_id)
        .join(Location, Location.id == Movement.location_id)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .outerjoin(Document, Document.id == Movement.document_id)
        .outerjoin(Order, Order.id == Document.order_id)
        .outerjoin(reversal, reversal.reverses_id == Document.id)
        .outerjoin(original, original.id == Document.reverses_id)
        .where(Movement.id.in_(bindparam("ids", expanding=True)))
        .order_by(Movement.id.desc())
    )


# Built once: the aliases and the seven joins cost more to build per request than to run.
_ROWS = _rows_query()


def _rows(ids: list[int]) -> list[dict]:
    if not ids:
        return []
    found = []
    for row in run(_ROWS, {"ids": ids}):
        item = dict(row._mapping)
        document_id = item.pop("document_id")
        links = {
            "kind": item.pop("document_kind"),
            "status": item.pop("document_status"),
            "reversed_by_id": item.pop("reversed_by_id"),
            "reverses_id": item.pop("reverses_id"),
            "reverses_kind": item.pop("reverses_kind"),
            "order_id": item.pop("order_id"),
            "order_number": item.pop("order_number"),
        }
        item["document"] = _document_item(document_id, **links) if document_id else None
        item["place"] = place(item)
        for column in PLACE_COLUMNS:
            del item[column.key]
        found.append(item)
    return found


def why(variant_id: int, warehouse_ids: frozenset[int] | None = None, *, limit: int = 10) -> dict:
    """Why a variant's on hand is what it is, in the warehouses ``warehouse_ids`` (None:
    every one): its latest movements there, each with its place and, beside the
    balance of that place after it, the variant's total after it over the sellable
    places (what the figure counts: quarantine and transit do not); ``total`` is the
    newest of those, ``places`` where the pieces are now.

    The totals are walked back from the balances as of the newest movement shown, so
    that they agree with the rows whatever is posted meanwhile.
    """
    criteria = Criteria(variant_id=variant_id, warehouse_ids=warehouse_ids)
    rows = page(criteria, limit=limit).rows
    total = _sellable_total(variant_id, warehouse_ids, rows[0]["id"]) if rows else 0
    running = total
    for row in rows:
        row["total_after"] = running
        if row["place"]["sellable"]:
            running -= row["delta"]
    return {"total": total, "movements": rows, "places": places(variant_id, warehouse_ids)}


def _sellable_total(variant_id: int, warehouse_ids, newest: int) -> int:
    """The variant's pieces over its sellable locations (in ``warehouse_ids``) as of
    movement ``newest``: each location's balance after its last movement up to it."""
    sellable = select(Location.id) if warehouse_ids is None else _locations_of(warehouse_ids)
    last = (
        select(func.max(Movement.id))
        .where(
            Movement.variant_id == variant_id,
            Movement.id <= newest,
            Movement.location_id.in_(sellable.where(sellable_location())),
        )
        .group_by(Movement.location_id)
    )
    return db.session.scalar(
        select(func.coalesce(func.sum(Movement.balance_after), 0)).where(Movement.id.in_(last))
    )


def _locations_of(warehouse_ids: frozenset[int]):
    return select(Location.id).where(one_of(Location.warehouse_id, sorted(warehouse_ids)))


def _documents_with_links(ids: Select) -> list[dict]:
    reversal, original = aliased(Document), aliased(Document)
    rows = db.session.execute(
        select(
            Document.id,
            Document.kind,
            Document.status,
            Document.note,
            Document.created_at,
            User.username.label("operator"),
            reversal.id.label("reversed_by_id"),
            original.id.label("reverses_id"),
            original.kind.label("reverses_kind"),
            Document.order_id,
            Order.number.label("order_number"),
        )
        .join(User, User.id == Document.operator_id)
        .outerjoin(Order, Order.id == Document.order_id)
        .outerjoin(reversal, reversal.reverses_id == Document.id)
        .outerjoin(original, original.id == Document.reverses_id)
        .where(Document.id.in_(ids))
    )
    found = []
    for row in rows:
        item = _document_item(
            row.id,
            kind=row.kind,
            status=row.status,
            reversed_by_id=row.reversed_by_id,
            reverses_id=row.reverses_id,
            reverses_kind=row.reverses_kind,
            order_id=row.order_id,
            order_number=row.order_number,
        )
        item.update(note=row.note, created_at=row.created_at, operator=row.operator)
        found.append(item)
    return found


def _document_item(
    document_id,
    *,
    kind,
    status,
    reversed_by_id,
    reverses_id,
    reverses_kind,
    order_id=None,
    order_number=None,
):
    def link(kind_of, id_of):
        return {"id": id_of, "number": document_number(kind_of, id_of)} if id_of else None

    return {
        "id": document_id,
        "number": document_number(kind, document_id),
        "kind": kind,
        "status": status,
        "can_reverse": status == DocumentStatus.POSTED and kind in REVERSIBLE,
        "reversed_by": link(DocumentKind.REVERSAL, reversed_by_id),
        "reverses": link(reverses_kind, reverses_id) if reverses_id else None,
        # The allocation order an allocation or a return belongs to.
        "order": {"id": order_id, "number": order_number} if order_id else None,
    }
