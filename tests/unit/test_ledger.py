"""The ledger service: batches, shortages, idempotency, reversals, stocktakes."""

import threading
import time

import pytest
from sqlalchemy import select, text

from stockapp import queries
from stockapp.database import begin_write, write_transaction
from stockapp.extensions import db
from stockapp.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    Movement,
    MovementKind,
    Receipt,
    ReceiptLine,
    Role,
)
from stockapp.models.ledger import MAX_BALANCE
from stockapp.services import counting, documents, ledger, receiving, warehouses
from stockapp.services.errors import (
    AlreadyReversed,
    BalanceLimit,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    StaleCount,
)
from stockapp.services.warehouses import default_location_id
from tests.support.db import held, on_hand, row_count


@pytest.fixture
def setup(ctx, make_user, make_style):
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",))
    return make_user(Role.CLERK), skus


def take(variant_id, qty, operator_id, **extra):
    """Take stock out directly through the ledger (as a write-off would)."""
    location = default_location_id()
    with write_transaction():
        return ledger.post(
            [ledger.Line(variant_id, location, -qty, **extra)],
            kind=MovementKind.WRITE_OFF,
            operator_id=operator_id,
            document_id=None,
        )


def test_receive_posts_movements_with_balance_after(setup):
    user, skus = setup
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    receiving.receive(lines=[(s, 5), (m, 3)], operator_id=user, note="first")
    result = receiving.receive(lines=[(s, 2)], operator_id=user, note="second")
    assert on_hand(s) == 7 and on_hand(m) == 3
    rows = db.session.scalars(
        select(Movement).where(Movement.variant_id == s).order_by(Movement.id)
    )
    assert [(r.delta, r.balance_after, r.kind, r.note) for r in rows] == [
        (5, 5, "inbound", "first"),
        (2, 7, "inbound", "second"),
    ]
    doc = db.session.get(Document, result["document"]["id"])
    assert doc.status == DocumentStatus.POSTED and doc.operator_id == user
    assert doc.number.startswith("RC")


def test_a_short_line_refuses_the_whole_batch_and_names_every_short_variant(setup):
    user, skus = setup
    s, m, l_ = skus["A1024-Black-S"], skus["A1024-Black-M"], skus["A1024-Black-L"]
    receiving.receive(lines=[(s, 5), (m, 1)], operator_id=user)
    before = row_count("movements"), row_count("documents")
    location = default_location_id()
    with pytest.raises(InsufficientStock) as refused, write_transaction():
        ledger.post(
            [
                ledger.Line(l_, location, 4),  # fine on its own
                ledger.Line(s, location, -8),  # short by 3
                ledger.Line(m, location, -3),  # short by 2
            ],
            kind=MovementKind.WRITE_OFF,
            operator_id=user,
            document_id=None,
        )
    shortages = {(x.sku, x.on_hand, x.requested, x.short) for x in refused.value.shortages}
    assert shortages == {("A1024-Black-S", 5, 8, 3), ("A1024-Black-M", 1, 3, 2)}
    assert "A1024-Black-S" in refused.value.detail and "A1024-Black-M" in refused.value.detail
    assert (row_count("movements"), row_count("documents")) == before
    assert (on_hand(s), on_hand(m), on_hand(l_)) == (5, 1, 0)


def test_stock_never_goes_negative_from_zero(setup):
    user, skus = setup
    with pytest.raises(InsufficientStock) as refused:
        take(skus["A1024-Black-S"], 1, user)
    assert refused.value.shortages[0].short == 1
    assert row_count("movements") == 0


def test_a_batch_may_hit_one_variant_twice_in_order(setup):
    user, skus = setup
    s = skus["A1024-Black-S"]
    location = default_location_id()
    with write_transaction():
        posted = ledger.post(
            [
                ledger.Line(s, location, 4),
                ledger.Line(s, location, -3),
                ledger.Line(s, location, 2),
            ],
            kind=MovementKind.INBOUND,
            operator_id=user,
            document_id=None,
        )
    assert [m["balance_after"] for m in posted] == [4, 1, 3] and on_hand(s) == 3
    stored = [db.session.get(Movement, m["id"]) for m in posted]
    assert [(m.delta, m.balance_after) for m in stored] == [(4, 4), (-3, 1), (2, 3)]


def test_zero_movements_and_writes_outside_a_transaction_are_refused(setup):
    user, skus = setup
    line = ledger.Line(skus["A1024-Black-S"], default_location_id(), 1)
    with pytest.raises(ValueError), write_transaction():
        ledger.post(
            [ledger.Line(line.variant_id, line.location_id, 0)],
            kind=MovementKind.INBOUND,
            operator_id=user,
            document_id=None,
        )
    with pytest.raises(RuntimeError):
        ledger.post([line], kind=MovementKind.INBOUND, operator_id=user, document_id=None)
    db.session.rollback()
    assert row_count("movements") == 0


def test_idempotency_key_posts_once_and_returns_the_first_result(setup):
    user, skus = setup
    s = skus["A1024-Black-S"]
    first = receiving.receive(lines=[(s, 5)], operator_id=user, idempotency_key="tap-1")
    again = receiving.receive(lines=[(s, 5)], operator_id=user, idempotency_key="tap-1")
    assert first == again
    assert on_hand(s) == 5 and row_count("movements") == 1 and row_count("documents") == 1


def test_idempotency_key_reused_for_another_request_is_refused(setup):
    user, skus = setup
    s = skus["A1024-Black-S"]
    receiving.receive(lines=[(s, 5)], operator_id=user, idempotency_key="k")
    with pytest.raises(IdempotencyKeyReused):
        receiving.receive(lines=[(s, 6)], operator_id=user, idempotency_key="k")
    assert on_hand(s) == 5 and row_count("movements") == 1


def test_idempotency_keys_belong_to_their_user(setup, make_user):
    user, skus = setup
    other = make_user(Role.CLERK)
    s = skus["A1024-Black-S"]
    receiving.receive(lines=[(s, 5)], operator_id=user, idempotency_key="k")
    receiving.receive(lines=[(s, 5)], operator_id=other, idempotency_key="k")
    assert on_hand(s) == 10


def test_a_failed_request_keeps_no_key_so_it_can_be_retried(setup):
    user, skus = setup
    s = skus["A1024-Black-S"]
    with pytest.raises(StaleCount):
        counting.count(
            lines=[counting.CountLine(s, counted=3, expected=9)],
            operator_id=user,
            idempotency_key="c",
        )
    assert row_count("idempotency_records") == 0
    counting.count(
        lines=[counting.CountLine(s, counted=3, expected=0)], operator_id=user, idempotency_key="c"
    )
    assert on_hand(s) == 3


def test_stocktake_posts_counted_minus_on_hand_for_changed_lines_only(setup):
    user, skus = setup
    s, m, l_ = skus["A1024-Black-S"], skus["A1024-Black-M"], skus["A1024-Black-L"]
    receiving.receive(lines=[(s, 10), (m, 4)], operator_id=user)
    result = counting.count(
        lines=[
            counting.CountLine(s, counted=7, expected=10),
            counting.CountLine(m, counted=4, expected=4),
            counting.CountLine(l_, counted=2, expected=0),
        ],
        operator_id=user,
        note="monthly count",
    )
    rows = db.session.scalars(
        select(Movement)
        .where(Movement.document_id == result["document"]["id"])
        .order_by(Movement.id)
    ).all()
    assert {(r.variant_id, r.delta, r.balance_after, r.kind) for r in rows} == {
        (s, -3, 7, "stocktake"),
        (l_, 2, 2, "stocktake"),
    }
    assert (on_hand(s), on_hand(m), on_hand(l_)) == (7, 4, 2)


def test_stale_stocktake_names_every_stale_line_and_writes_nothing(setup):
    user, skus = setup
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    receiving.receive(lines=[(s, 10), (m, 4)], operator_id=user)
    before = row_count("movements"), row_count("documents")
    with pytest.raises(StaleCount) as refused:
        counting.count(
            lines=[
                counting.CountLine(s, counted=7, expected=9),
                counting.CountLine(m, counted=1, expected=2),
            ],
            operator_id=user,
        )
    assert {(d.sku, d.expected, d.on_hand) for d in refused.value.differences} == {
        ("A1024-Black-S", 9, 10),
        ("A1024-Black-M", 2, 4),
    }
    assert (row_count("movements"), row_count("documents")) == before
    assert (on_hand(s), on_hand(m)) == (10, 4)


def test_reversal_restores_and_links_and_happens_once(setup, make_user):
    user, skus = setup
    manager = make_user(Role.MANAGER)
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    receiving.receive(lines=[(s, 2)], operator_id=user)
    receipt = receiving.receive(lines=[(s, 5), (m, 3)], operator_id=user)["document"]["id"]
    with write_transaction():
        reversal = ledger.reverse(receipt, operator_id=manager, reason="entered twice")
    assert [m["reverses"] is not None for m in reversal["movements"]] == [True, True]
    reversal = reversal["document"]["id"]
    assert (on_hand(s), on_hand(m)) == (2, 0)
    original = db.session.get(Document, receipt)
    assert original.status == DocumentStatus.REVERSED
    reversal_doc = db.session.get(Document, reversal)
    assert reversal_doc.reverses_id == receipt and reversal_doc.note == "entered twice"
    taken = db.session.scalars(select(Movement).where(Movement.document_id == receipt)).all()
    back = db.session.scalars(select(Movement).where(Movement.document_id == reversal)).all()
    assert sorted((b.reverses_id, b.delta, b.kind) for b in back) == sorted(
        (t.id, -t.delta, "reversal") for t in taken
    )
    before = row_count("movements")
    with pytest.raises(AlreadyReversed), write_transaction():
        ledger.reverse(receipt, operator_id=manager, reason="again")
    with pytest.raises(InvalidTransition), write_transaction():
        ledger.reverse(reversal, operator_id=manager, reason="undo the undo")
    with pytest.raises(NotFound), write_transaction():
        ledger.reverse(999_999, operator_id=manager, reason="nothing")
    assert row_count("movements") == before


def test_reversing_stock_that_has_left_is_refused(setup):
    user, skus = setup
    s = skus["A1024-Black-S"]
    receipt = receiving.receive(lines=[(s, 5)], operator_id=user)["document"]["id"]
    take(s, 4, user)
    with pytest.raises(InsufficientStock), write_transaction():
        ledger.reverse(receipt, operator_id=user, reason="too late")
    assert db.session.get(Document, receipt).status == DocumentStatus.POSTED
    assert on_hand(s) == 1


def test_discrepancies_finds_every_kind_of_disagreement_and_nothing_else(setup, make_style):
    """A balance off its movements, one without movements, movements without a balance,
    a negative balance; not movements summing to 0 without a balance, nor clean rows."""
    user, skus = setup
    other = make_style("B2048", sizes=("S", "M", "L"), colours=("Black",))
    off, alone, orphan = (skus[f"A1024-Black-{size}"] for size in ("S", "M", "L"))
    negative, clean, zero = (other[f"B2048-Black-{size}"] for size in ("S", "M", "L"))
    receiving.receive(lines=[(off, 5), (orphan, 4), (clean, 3), (zero, 2)], operator_id=user)
    take(zero, 2, user)
    assert ledger.discrepancies() == []
    location = default_location_id()
    sqlite = db.engine.dialect.name == "sqlite"
    # The damage is never committed: rolled back, the ledger is clean again.
    db.session.rollback()  # the reads' transaction: the damage needs a write transaction
    begin_write()
    if sqlite:
        db.session.execute(db.text("PRAGMA ignore_check_constraints = ON"))
    else:
        db.session.execute(db.text("ALTER TABLE balances DROP CONSTRAINT ck_balances_not_negative"))
    try:
        db.session.execute(db.text("UPDATE balances SET qty = 9 WHERE variant_id = :v"), {"v": off})
        db.session.execute(
            db.text("DELETE FROM balances WHERE variant_id IN (:o, :z)"), {"o": orphan, "z": zero}
        )
        db.session.execute(
            db.text("INSERT INTO balances (variant_id, location_id, qty) VALUES (:v, :l, :q)"),
            [{"v": alone, "l": location, "q": 3}, {"v": negative, "l": location, "q": -2}],
        )
        db.session.execute(
            db.text(
                "INSERT INTO movements (variant_id, location_id, delta, balance_after, kind, "
                "operator_id, note, created_at) "
                "VALUES (:v, :l, -2, -2, 'write_off', :u, '', CURRENT_TIMESTAMP)"
            ),
            {"v": negative, "l": location, "u": user},
        )
        found = ledger.discrepancies()
    finally:
        db.session.rollback()
        if sqlite:
            db.session.execute(db.text("PRAGMA ignore_check_constraints = OFF"))
    expected = [
        {"variant_id": off, "location_id": location, "balance": 9, "movements": 5},
        {"variant_id": alone, "location_id": location, "balance": 3, "movements": 0},
        {"variant_id": orphan, "location_id": location, "balance": 0, "movements": 4},
        {"variant_id": negative, "location_id": location, "balance": -2, "movements": -2},
    ]
    assert found == sorted(expected, key=lambda row: row["variant_id"])
    assert ledger.discrepancies() == []


def test_one_line_posts_as_written_and_refuses_out_of_bounds_writing_nothing(setup):
    """A single line (one statement on PostgreSQL): the first stock of a variant creates
    its balance; what comes back is what is stored; below zero and past the limit
    are refused by name with nothing written."""
    user, skus = setup
    s = skus["A1024-Black-S"]
    location = default_location_id()

    def post_one(delta):
        with write_transaction():
            document = documents.create(DocumentKind.RECEIPT, operator_id=user, note="one")
            return ledger.post(
                [ledger.Line(s, location, delta)],
                kind=MovementKind.INBOUND,
                operator_id=user,
                document_id=document["id"],
                note="one",
            )

    version = queries.stock_version()
    (first,) = post_one(4)  # the balance made first: the version moves on once
    assert queries.stock_version() == version + 1
    (second,) = post_one(-3)
    assert queries.stock_version() == version + 2
    assert (first["balance_after"], second["balance_after"], on_hand(s)) == (4, 1, 1)
    stored = db.session.get(Movement, second["id"])
    assert (stored.delta, stored.balance_after, stored.kind, stored.note) == (
        -3,
        1,
        MovementKind.INBOUND,
        "one",
    )
    assert stored.document_id is not None and stored.operator_id == user
    assert second["created_at"] == stored.created_at.isoformat()
    before = row_count("movements"), row_count("documents")
    with pytest.raises(InsufficientStock) as short:
        post_one(-2)
    assert [(x.sku, x.on_hand, x.short) for x in short.value.shortages] == [("A1024-Black-S", 1, 1)]
    with pytest.raises(BalanceLimit):
        post_one(MAX_BALANCE)
    assert (row_count("movements"), row_count("documents"), on_hand(s)) == (*before, 1)
    assert queries.stock_version() == version + 2  # a refusal leaves it
    assert ledger.discrepancies() == []


def test_a_document_and_its_parts_are_written_together_in_their_order(setup):
    """``documents.create(parts=…)``: a header and lines (one statement on PostgreSQL),
    each row with the new document's id, the lines in the order given; a part of one
    row and an empty part as well."""
    user, skus = setup
    ids = [skus["A1024-Black-L"], skus["A1024-Black-S"], skus["A1024-Black-M"]]
    location = default_location_id()

    def line(variant_id, received):
        return {
            "variant_id": variant_id,
            "received": received,
            "damaged": 0,
            "unit_cost": None,
            "reason": "",
            "note": "",
        }

    def header():
        unset = ("po_id", "supplier_id", "submitted_at", "decided_by", "decided_at")
        return {**dict.fromkeys(unset), "submitted_by": user, "reject_reason": ""}

    with write_transaction():
        many = documents.create(
            DocumentKind.RECEIPT,
            operator_id=user,
            note="three",
            status=DocumentStatus.DRAFT,
            parts=[
                (Receipt.__table__, [header()]),
                (
                    ReceiptLine.__table__,
                    [{**line(v, n), "location_id": location} for n, v in enumerate(ids, 1)],
                ),
            ],
        )
        one = documents.create(
            DocumentKind.RECEIPT,
            operator_id=user,
            status=DocumentStatus.DRAFT,
            parts=[
                (Receipt.__table__, [header()]),
                (ReceiptLine.__table__, [{**line(ids[0], 7), "location_id": location}]),
                (ReceiptLine.__table__, []),
            ],
        )
    lines = db.session.execute(
        select(ReceiptLine.document_id, ReceiptLine.variant_id, ReceiptLine.received).order_by(
            ReceiptLine.id
        )
    ).all()
    assert [tuple(row) for row in lines] == [
        (many["id"], ids[0], 1),
        (many["id"], ids[1], 2),
        (many["id"], ids[2], 3),
        (one["id"], ids[0], 7),
    ]
    headers = db.session.scalars(select(Receipt).order_by(Receipt.document_id)).all()
    assert [(r.document_id, r.submitted_by) for r in headers] == [
        (many["id"], user),
        (one["id"], user),
    ]
    stored = db.session.get(Document, many["id"])
    assert (stored.note, stored.status, stored.number) == ("three", "draft", many["number"])


# ------------------------------------------------- taking from several bins


def bins_holding(variant_id: int, operator_id: int, pieces: list[int]) -> list[int]:
    """New bins B-01… of the main warehouse holding ``pieces`` of a variant each."""
    warehouse_id = db.session.get(Location, default_location_id()).warehouse_id
    ids = [
        warehouses.create_location(warehouse_id=warehouse_id, code=f"B-{n:02}")
        for n in range(1, len(pieces) + 1)
    ]
    with write_transaction():
        ledger.post(
            [ledger.Line(variant_id, b, n) for b, n in zip(ids, pieces, strict=True)],
            kind=MovementKind.INBOUND,
            operator_id=operator_id,
            document_id=None,
        )
    return ids


def taken(wanted: dict[int, int]) -> tuple[list[tuple], set]:
    """What ``take_from_locations`` would take and which balances it locks (rolled back)."""
    with write_transaction():
        lines, locked = ledger.take_from_locations(wanted)
        db.session.rollback()
    return [(ln.variant_id, ln.location_id, ln.delta) for ln in lines], set(locked)


def test_a_take_locks_only_the_bins_it_needs_lowest_first(setup):
    """A variant kept in many bins: the take locks its first bins until they hold the
    most pieces any variant of the take wants, not every bin the variant is in."""
    user, skus = setup
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    b1, b2, b3, b4 = bins_holding(s, user, [4, 3, 6, 9])
    receiving.receive(lines=[(m, 2)], operator_id=user)
    default = default_location_id()
    assert taken({s: 6, m: 1}) == (
        [(s, b1, -4), (s, b2, -2), (m, default, -1)],
        {(s, b1), (s, b2), (m, default)},
    )
    lines, locked = taken({s: 20})
    assert lines == [(s, b1, -4), (s, b2, -3), (s, b3, -6), (s, b4, -7)]
    assert locked == {(s, b1), (s, b2), (s, b3), (s, b4)}
    with pytest.raises(InsufficientStock) as refused:
        taken({s: 23, m: 1})
    assert [(x.on_hand, x.requested) for x in refused.value.shortages] == [(22, 23)]
    assert ledger.discrepancies() == []


def test_a_take_whose_bins_were_emptied_while_it_waited_takes_from_the_next(app, setup):
    """PostgreSQL: the take chose its bins from a snapshot in which another
    transaction had not yet committed emptying the first; once that commits and the
    take has its lock, the bin is empty. It gives its locks back and takes from the
    next bin, rather than refusing stock that is there."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("on SQLite the take holds the write lock: nothing commits in between")
    user, skus = setup
    s = skus["A1024-Black-S"]
    b1, b2 = bins_holding(s, user, [5, 5])
    holding, go, results = threading.Event(), threading.Event(), []

    def drain_first_bin():
        with app.app_context(), write_transaction():
            ledger.post(
                [ledger.Line(s, b1, -5)],
                kind=MovementKind.WRITE_OFF,
                operator_id=user,
                document_id=None,
            )
            holding.set()
            go.wait(timeout=30)

    def take_three():
        with app.app_context(), write_transaction():
            lines, locked = ledger.take_from_locations({s: 3})
            ledger.post(
                lines, kind=MovementKind.ALLOCATION, operator_id=user, document_id=None, held=locked
            )
            results.append([(ln.location_id, ln.delta) for ln in lines])

    drainer = threading.Thread(target=drain_first_bin)
    drainer.start()
    assert holding.wait(timeout=30)
    taker = threading.Thread(target=take_three)
    taker.start()
    deadline = time.monotonic() + 30
    while not waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    go.set()
    drainer.join(timeout=30)
    taker.join(timeout=30)
    db.session.remove()
    assert results == [[(b2, -3)]]
    assert (held(s, b1), held(s, b2)) == (0, 2)
    assert ledger.discrepancies() == []


def waiting_for_a_lock() -> bool:
    """Whether a session of this database is waiting for a row lock (PostgreSQL)."""
    with db.engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        )
