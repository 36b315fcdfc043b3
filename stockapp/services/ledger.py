"""The stock ledger: the ONLY code that writes balances and movements.

Every change of stock is an immutable movement carrying the balance after it; the
balance row of its (variant, location) changes by the same delta in the same
transaction. Callers run these functions inside ``write_transaction()`` together
with the document they post, so a document and its movements commit together.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert, literal, select, text, tuple_, union_all, update

from ..database import (
    NESTING,
    Prepared,
    arrays,
    in_list,
    insert_rows,
    mark_stock_changed,
    run,
    stock_version_bump,
    unnested,
    update_rows,
    upsert,
    utcnow,
    version_shard,
)
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    Balance,
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    Movement,
    MovementKind,
    Variant,
    Warehouse,
)
from ..models.ledger import MAX_BALANCE, Int64
from . import documents
from .errors import (
    AlreadyReversed,
    BalanceLimit,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    Shortage,
)

balances = Balance.__table__
movements = Movement.__table__

# The hot statements, built once: building a statement costs more than running it.
_GUARDED_UPDATE = Prepared(
    update(balances)
    .where(
        balances.c.variant_id == bindparam("v"),
        balances.c.location_id == bindparam("loc"),
        balances.c.qty + bindparam("delta") >= 0,
        balances.c.qty + bindparam("delta") <= MAX_BALANCE,
    )
    .values(qty=balances.c.qty + bindparam("delta"))
    .returning(balances.c.qty)
)
_INSERT_MOVEMENT = Prepared(insert(movements).returning(movements.c.id))
_RECORDED = ("kind", "document_id", "operator_id", "note", "created_at", "reverses_id")


def _post_one_statement() -> Prepared:
    """PostgreSQL: the guarded UPDATE, the movement it makes and the stock version
    moved on (``stock_version_bump``) as one statement, one round trip; no row when
    the balance is missing or the line would take it out of bounds (and nothing
    written)."""
    changed = (
        _GUARDED_UPDATE.statement.returning(balances.c.variant_id, balances.c.location_id)
    ).cte("changed")
    recorded = (bindparam(name, type_=movements.c[name].type) for name in _RECORDED)
    chosen = select(
        changed.c.variant_id,
        changed.c.location_id,
        bindparam("delta", type_=movements.c.delta.type),
        changed.c.qty,
        *recorded,
    )
    columns = ("variant_id", "location_id", "delta", "balance_after", *_RECORDED)
    bumped = stock_version_bump("postgresql", when=changed).cte("bumped")
    return Prepared(
        insert(movements)
        .from_select(columns, chosen)
        .returning(movements.c.id, movements.c.balance_after)
        .add_cte(bumped)
    )


_POST_ONE_PG = _post_one_statement()
_PAIR = ("variant_id", "location_id")
_pairs = unnested(balances, _PAIR)
_ZERO_BALANCES_PG = (
    upsert("postgresql")(balances)
    .from_select(
        (*_PAIR, "qty"), select(_pairs.c.variant_id, _pairs.c.location_id, literal(0, Int64))
    )
    .on_conflict_do_nothing(index_elements=list(_PAIR))
)
_ZERO_BALANCES_SQLITE = (
    upsert("sqlite")(balances)
    .values(variant_id=bindparam("variant_id"), location_id=bindparam("location_id"), qty=0)
    .on_conflict_do_nothing(index_elements=list(_PAIR))
)


@dataclass(frozen=True)
class Line:
    """One change: ``delta`` pieces of a variant into (+) or out of (−) a location."""

    variant_id: int
    location_id: int
    delta: int
    reverses_id: int | None = None


def post(
    lines: Sequence[Line],
    *,
    kind: MovementKind,
    operator_id: int,
    document_id: int | None,
    note: str = "",
    held: dict[tuple[int, int], int] | None = None,
) -> list[dict]:
    """Post a batch of lines atomically; return the new movements, in line order.

    ``held``: the quantities of the lines' balances as the caller has already locked
    them in this transaction (``lock_balances``, or its own ``FOR UPDATE`` in
    (variant, location) order), so that a batch does not lock them twice; a
    balance missing from it is locked here.

    Each movement comes back as plain data (id, variant_id, location_id, delta,
    balance_after, kind, note, created_at, reverses), ready to show or store.

    One line changes its balance by a guarded ``UPDATE … WHERE qty + delta >= 0``
    (on PostgreSQL in the same statement as its movement: one round trip);
    a batch locks its balances in (variant, location) order (so that two batches
    over the same variants cannot deadlock), applies its lines in that order
    under the same bounds, and writes the balances back at once: the statements
    a post costs do not grow with its lines. If any line would take a balance
    below zero, ``InsufficientStock``
    names every short variant, and if any would take one past ``MAX_BALANCE``,
    ``BalanceLimit`` names those; the caller's transaction rolls back: all lines
    or none.
    """
    _require_write_transaction()
    if any(line.delta == 0 for line in lines):
        raise ValueError("a movement of zero pieces is not a movement")
    now = utcnow()
    recorded = {
        "kind": kind,
        "document_id": document_id,
        "operator_id": operator_id,
        "note": note,
        "created_at": now,
    }
    if len(lines) == 1 and held is None and _dialect() == "postgresql":
        return [_post_one(lines[0], recorded)]
    if len(lines) == 1 and held is None:
        balance_after, short = _apply(lines)
    else:
        balance_after, short = _apply_batch(lines, held or {})
    _refuse(short)
    mark_stock_changed()
    rows = [_row(line, balance_after[i], recorded) for i, line in enumerate(lines)]
    if not rows:
        return []
    if len(rows) == 1:  # the common case, without the batching machinery
        ids = [run(_INSERT_MOVEMENT, rows[0]).scalar_one()]
    else:  # one statement whatever the number of rows; the ids in the rows' order
        ids = [movement_id for (movement_id,) in insert_rows(movements, rows, "id")]
    return [_posted(movement_id, row) for movement_id, row in zip(ids, rows, strict=True)]


def _post_one(line: Line, recorded: dict) -> dict:
    """PostgreSQL: one line, its balance changed and its movement written by one
    statement (``_POST_ONE_PG``); a first stock of the variant there creates its
    balance and tries again."""
    params = {
        "v": line.variant_id,
        "loc": line.location_id,
        "delta": line.delta,
        **recorded,
        "reverses_id": line.reverses_id,
        "shard": version_shard(),
    }
    found = run(_POST_ONE_PG, params).first()
    if found is None and line.delta > 0:
        _create_balances([(line.variant_id, line.location_id)])
        found = run(_POST_ONE_PG, params).first()
    if found is None:
        _refuse([(line, _on_hand(line.variant_id, line.location_id))])
    # The statement moved the stock version on: the transaction need not again.
    movement_id, balance_after = found
    return _posted(movement_id, _row(line, balance_after, recorded))


def _row(line: Line, balance_after: int, recorded: dict) -> dict:
    """The movement row of a line: its change, the balance after it, and what the
    batch records of every movement (kind, document, operator, note, time)."""
    return {
        "variant_id": line.variant_id,
        "location_id": line.location_id,
        "delta": line.delta,
        "balance_after": balance_after,
        **recorded,
        "reverses_id": line.reverses_id,
    }


def _refuse(short: list[tuple["Line", int]]) -> None:
    """Raise for the lines that would take a balance out of bounds, if any: past
    ``MAX_BALANCE`` (``BalanceLimit``), else below zero (``InsufficientStock``)."""
    if not short:
        return
    if any(line.delta > 0 for line, _ in short):
        raise BalanceLimit(shortages([(ln, q) for ln, q in short if ln.delta > 0]))
    raise InsufficientStock(shortages(short))


def _posted(movement_id: int, row: dict) -> dict:
    """A movement as written, as plain data."""
    return {
        "id": movement_id,
        "variant_id": row["variant_id"],
        "location_id": row["location_id"],
        "delta": row["delta"],
        "balance_after": row["balance_after"],
        "kind": row["kind"],
        "note": row["note"],
        "created_at": row["created_at"].isoformat(),
        "reverses": row["reverses_id"],
    }


def post_document(
    kind: DocumentKind,
    lines: Sequence[Line],
    *,
    movement_kind: MovementKind,
    operator_id: int,
    note: str = "",
    reverses_id: int | None = None,
    order_id: int | None = None,
    held: dict[tuple[int, int], int] | None = None,
) -> dict:
    """Create a posted document and post its lines, in the caller's transaction
    (``held`` as for ``post``).

    Returns ``{"document": …, "movements": […]}`` as written.
    """
    document = documents.create(
        kind, operator_id=operator_id, note=note, reverses_id=reverses_id, order_id=order_id
    )
    posted = post(
        lines,
        kind=movement_kind,
        operator_id=operator_id,
        document_id=document["id"],
        note=note,
        held=held,
    )
    return {"document": document, "movements": posted}


def lock_balances(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Lock the balances of (variant, location) pairs and return their quantities.

    For callers that read a balance and then post a change computed from it (a
    stocktake): nobody else can change these balances until the transaction ends.
    The rows are found by two flat lists (variants, locations), never by a list of
    pairs, whose expression PostgreSQL nests as deep as it is long: this may lock a
    few more balances of the same variants, and never fewer.
    """
    _require_write_transaction()
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    _create_balances(pairs)
    wanted = set(pairs)
    rows = run(
        _LOCK_BALANCES,
        {"variants": sorted({v for v, _ in pairs}), "locations": sorted({loc for _, loc in pairs})},
    )
    return {(v, loc): qty for v, loc, qty in rows if (v, loc) in wanted}


# The lock of ``lock_balances``: one list parameter each, however many variants.
_LOCK_BALANCES = Prepared(
    select(balances.c.variant_id, balances.c.location_id, balances.c.qty)
    .where(in_list(balances.c.variant_id, "variants"), in_list(balances.c.location_id, "locations"))
    .order_by(balances.c.variant_id, balances.c.location_id)
    .with_for_update()
)


def take_from_locations(
    wanted: dict[int, int], *, warehouse_id: int | None = None, also: Sequence[int] = ()
) -> tuple[list[Line], dict[tuple[int, int], int]]:
    """Lines that take ``wanted`` pieces of each variant out of its sellable locations
    (of one warehouse, or of every one), and the balances locked for them (``held``
    for ``post``).

    Takes from the lowest location id first (the default location is the first
    made), never from a quarantine or transit location, and locks (in the ledger's
    order, in one statement) only the balances it needs: each variant's, lowest
    first, until they hold the most pieces any variant wants. A variant kept in
    sixty bins then costs one or two locked rows, not sixty. On PostgreSQL another
    transaction may have taken from those bins between the statement's snapshot and
    its locks; then the locks are given back (a savepoint) and every sellable
    balance of the variants is locked, in order, as before. ``also``: locations
    where the same post puts the variants (a transfer's transit location), whose
    balances are locked in that same statement, so that no lock is taken out of
    order. A variant whose locations hold too little in all is named with its
    shortfall (and the warehouse, when one is given) in ``InsufficientStock``,
    before anything is written.
    """
    if also:
        _create_balances([(v, loc) for v in wanted for loc in also])
    params = {
        "variants": sorted(wanted),
        "warehouse": warehouse_id,
        "also": sorted(also),
        "most": max(wanted.values(), default=0),
    }
    in_warehouse = warehouse_id is not None
    postgresql = _dialect() == "postgresql"
    if postgresql:
        run(_SAVEPOINT)
    rows = run(_NEEDED[in_warehouse], params).all()
    held = _sellable(rows, also)
    if postgresql and any(sum(q for _, q in held.get(v, ())) < n for v, n in wanted.items()):
        run(_ROLLBACK_TO_SAVEPOINT)
        rows = run(_TAKEABLE[in_warehouse], params).all()
        held = _sellable(rows, also)
    lines, short = [], []
    for variant_id, pieces in sorted(wanted.items()):
        stock = held.get(variant_id, [])
        on_hand = sum(qty for _, qty in stock)
        if on_hand < pieces:
            short.append((variant_id, on_hand, pieces))
            continue
        for location_id, qty in stock:
            take = min(qty, pieces)
            if take:
                lines.append(Line(variant_id, location_id, -take))
                pieces -= take
            if not pieces:
                break
    if short:
        skus = dict(
            db.session.execute(
                select(Variant.id, Variant.sku).where(Variant.id.in_([v for v, _, _ in short]))
            ).all()
        )
        place = "" if warehouse_id is None else db.session.get(Warehouse, warehouse_id).code
        raise InsufficientStock(
            [
                Shortage(sku=skus[v], location=place, on_hand=on_hand, requested=pieces)
                for v, on_hand, pieces in short
            ]
        )
    return lines, {(v, loc): qty for v, loc, qty in rows}


def _sellable(rows, also: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """The locked rows of ``take_from_locations`` outside ``also``, per variant, in
    location order."""
    held: dict[int, list[tuple[int, int]]] = {}
    for variant_id, location_id, qty in rows:
        if location_id not in also:
            held.setdefault(variant_id, []).append((location_id, qty))
    return held


def _takeable(*, in_warehouse: bool, needed: bool) -> Prepared:
    """The lock of ``take_from_locations``: the variants' sellable balances (all of
    them, or only those ``needed``) and their balances in ``also``."""
    locations = Location.__table__
    takeable = (balances.c.qty > 0) & ~locations.c.is_quarantine & ~locations.c.is_transit
    if in_warehouse:
        takeable &= locations.c.warehouse_id == bindparam("warehouse")
    sellable = (
        select(balances.c.variant_id, balances.c.location_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(in_list(balances.c.variant_id, "variants"), takeable)
    )
    if needed:  # lowest first, while the bins before hold fewer than the most wanted
        before = func.sum(balances.c.qty).over(
            partition_by=balances.c.variant_id, order_by=balances.c.location_id
        )
        ranked = sellable.add_columns((before - balances.c.qty).label("before")).subquery()
        sellable = select(ranked.c.variant_id, ranked.c.location_id).where(
            ranked.c.before < bindparam("most")
        )
    return Prepared(
        select(balances.c.variant_id, balances.c.location_id, balances.c.qty)
        .where(
            in_list(balances.c.variant_id, "variants"),
            tuple_(balances.c.variant_id, balances.c.location_id).in_(sellable)
            | in_list(balances.c.location_id, "also"),
        )
        .order_by(balances.c.variant_id, balances.c.location_id)
        .with_for_update()  # the balances only: every document shares the locations
    )


_NEEDED = {w: _takeable(in_warehouse=w, needed=True) for w in (False, True)}
_TAKEABLE = {w: _takeable(in_warehouse=w, needed=False) for w in (False, True)}
_SAVEPOINT = Prepared(text("SAVEPOINT take_from_locations"))
_ROLLBACK_TO_SAVEPOINT = Prepared(text("ROLLBACK TO SAVEPOINT take_from_locations"))


def _create_balances(pairs: Iterable[tuple[int, int]]) -> None:
    """Balance rows at 0 for (variant, location) pairs that have none; the rows already
    there are left alone."""
    if _dialect() == "postgresql":
        run(_ZERO_BALANCES_PG, arrays(_PAIR, pairs))
    else:
        run(_ZERO_BALANCES_SQLITE, [{"variant_id": v, "location_id": loc} for v, loc in pairs])


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def reverse(
    document_id: int, *, operator_id: int, reason: str, order_id: int | None = None
) -> dict:
    """Reverse a posted document: post the opposite of each of its movements.

    Each reversing movement points at the movement it reverses and the new
    reversal document at the original; the original becomes ``reversed``. The
    movements are undone last first, so a return written off in the same
    document comes back before it goes out again. A document is reversed at
    most once (its row is locked while this runs, and the links are unique in
    the schema). A document that belongs to an allocation order is reversed
    only through that order (``order_id``), which keeps its figures in step.
    Returns the reversal document and its movements.
    """
    _require_write_transaction()
    session = db.session
    # Read afresh under the lock: a copy the request loaded before may be out of date.
    original = session.get(Document, document_id, with_for_update=True, populate_existing=True)
    if original is None:
        raise NotFound(_l("Document %(id)s does not exist.", id=document_id))
    if original.status == DocumentStatus.REVERSED:
        raise AlreadyReversed(_l("%(number)s has already been reversed.", number=original.number))
    if original.kind == DocumentKind.TRANSFER:
        raise InvalidTransition(
            _l("%(number)s is a transfer: change it through the transfer.", number=original.number)
        )
    if original.kind == DocumentKind.REVERSAL or original.status != DocumentStatus.POSTED:
        raise InvalidTransition(_l("%(number)s cannot be reversed.", number=original.number))
    if original.order_id != order_id:
        raise InvalidTransition(
            _l(
                "%(number)s belongs to an allocation order: change it through the order.",
                number=original.number,
            )
        )
    taken = session.execute(
        select(Movement.id, Movement.variant_id, Movement.location_id, Movement.delta)
        .where(Movement.document_id == original.id)
        .order_by(Movement.id.desc())
    )
    reversal = post_document(
        DocumentKind.REVERSAL,
        [Line(v, loc, -delta, reverses_id=mid) for mid, v, loc, delta in taken],
        movement_kind=MovementKind.REVERSAL,
        operator_id=operator_id,
        note=reason,
        reverses_id=original.id,
        order_id=order_id,
    )
    original.status = DocumentStatus.REVERSED
    return reversal


def discrepancies() -> list[dict]:
    """Every balance that disagrees with the sum of its movements, or is negative.

    Also reports movements whose (variant, location) has no balance row at all
    (their sum against a balance of 0). One pass over the movements: the balances
    and the movements, side by side (UNION ALL), grouped by (variant, location) and
    compared in the database, so that only the disagreements leave it.
    """
    both = union_all(
        select(
            balances.c.variant_id,
            balances.c.location_id,
            balances.c.qty.label("recorded"),
            literal(0, Int64).label("delta"),
        ),
        select(
            movements.c.variant_id,
            movements.c.location_id,
            literal(0, Int64).label("recorded"),
            movements.c.delta,
        ),
    ).subquery()
    recorded = func.sum(both.c.recorded)
    computed = func.sum(both.c.delta)
    found = db.session.execute(
        select(both.c.variant_id, both.c.location_id, recorded, computed)
        .group_by(both.c.variant_id, both.c.location_id)
        .having((recorded != computed) | (recorded < 0))
        .order_by(both.c.variant_id, both.c.location_id)
    )
    return [
        {"variant_id": variant_id, "location_id": location_id, "balance": qty, "movements": total}
        for variant_id, location_id, qty, total in found
    ]


def _apply(lines: Sequence[Line]) -> tuple[dict[int, int], list[tuple[Line, int]]]:
    """Post one line by one guarded UPDATE: its balance after, or it is short."""
    (line,) = lines
    params = {"v": line.variant_id, "loc": line.location_id, "delta": line.delta}
    qty = run(_GUARDED_UPDATE, params).scalar()
    if qty is None and line.delta > 0:
        # First stock of this variant here: create its balance row and try again.
        _create_balances([(line.variant_id, line.location_id)])
        qty = run(_GUARDED_UPDATE, params).scalar()
    if qty is None:
        return {}, [(line, _on_hand(line.variant_id, line.location_id))]
    return {0: qty}, []


def _apply_batch(
    lines: Sequence[Line], held: dict[tuple[int, int], int]
) -> tuple[dict[int, int], list[tuple[Line, int]]]:
    """Post many lines in three statements, whatever their number: lock their balances
    (in (variant, location) order, so that two batches over the same variants cannot
    deadlock), apply the lines to them in that order, each bounded like the guarded
    UPDATE, and write the new quantities back in one ``update_rows``. Returns each
    line's balance after it, by index, and the lines that are short (or over)."""
    pairs = {(line.variant_id, line.location_id) for line in lines}
    held = {pair: held[pair] for pair in pairs & held.keys()}
    held.update(lock_balances(pairs - held.keys()))
    qty = dict(held)
    balance_after: dict[int, int] = {}
    short: list[tuple[Line, int]] = []
    for i in sorted(
        range(len(lines)), key=lambda i: (lines[i].variant_id, lines[i].location_id, i)
    ):
        line = lines[i]
        pair = (line.variant_id, line.location_id)
        if 0 <= qty[pair] + line.delta <= MAX_BALANCE:
            qty[pair] += line.delta
            balance_after[i] = qty[pair]
        else:
            short.append((line, qty[pair]))
    if not short:
        changed = [
            {"variant_id": v, "location_id": loc, "qty": n}
            for (v, loc), n in qty.items()
            if n != held[(v, loc)]
        ]
        update_rows(balances, _PAIR, changed)
    return balance_after, short


def _on_hand(variant_id: int, location_id: int) -> int:
    qty = db.session.execute(
        select(balances.c.qty).where(
            balances.c.variant_id == variant_id, balances.c.location_id == location_id
        )
    ).scalar()
    return qty or 0


def check_held(lines: Sequence[Line]) -> None:
    """``InsufficientStock`` for the lines taking pieces out (negative deltas) that their
    balances do not hold now, without a lock: for a document that waits for approval,
    which posts nothing yet (its approval posts and checks again, under the ledger's
    lock). Each line is one (variant, location) of its document."""
    taken = [line for line in lines if line.delta < 0]
    if not taken:
        return
    rows = db.session.execute(
        select(balances.c.variant_id, balances.c.location_id, balances.c.qty).where(
            balances.c.variant_id.in_({line.variant_id for line in taken}),
            balances.c.location_id.in_({line.location_id for line in taken}),
        )
    )
    held = {(v, loc): qty for v, loc, qty in rows}
    on_hand = [(line, held.get((line.variant_id, line.location_id), 0)) for line in taken]
    short = [(line, qty) for line, qty in on_hand if qty + line.delta < 0]
    if short:
        raise InsufficientStock(shortages(short))


def shortages(short: list[tuple[Line, int]]) -> list[Shortage]:
    """Each short line (with what its balance holds) as a ``Shortage``: SKU and location code."""
    ids = {line.variant_id for line, _ in short}
    skus = dict(
        db.session.execute(select(Variant.id, Variant.sku).where(Variant.id.in_(ids))).all()
    )
    location_ids = {line.location_id for line, _ in short}
    codes = dict(
        db.session.execute(
            select(Location.id, Location.code).where(Location.id.in_(location_ids))
        ).all()
    )
    return [
        Shortage(
            sku=skus[line.variant_id],
            location=codes[line.location_id],
            on_hand=on_hand,
            requested=-line.delta,
        )
        for line, on_hand in short
    ]


def _require_write_transaction() -> None:
    if not db.session().info.get(NESTING):
        raise RuntimeError("the ledger writes only inside write_transaction()")
