"""Reversing a bin move or a write-off (冲销): what posts, what is refused (nothing
written), idempotency, warehouses, and two managers at once; the ledger after each write."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import Document, DocumentStatus, Movement, MovementKind, Role
from stockapp.queries import moves as found_in
from stockapp.services import ledger, moves, receiving, reversals, transfers, warehouses, write_offs
from stockapp.services.errors import (
    AlreadyReversed,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from tests.support.db import held, written
from tests.support.threads import run_threads


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


@pytest.fixture
def shop(ctx, make_user, make_style):
    """A1024 (Black; S, M): 10 S and 4 M in MAIN's default bin; bins A-01 and B-02."""
    skus = make_style("A1024", sizes=("S", "M"), colours=("Black",))
    clerk, manager = make_user(Role.CLERK), make_user(Role.MANAGER)
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    receiving.receive(lines=[(s, 10), (m, 4)], operator_id=clerk)
    main = warehouses.main_warehouse_id()
    return {
        "clerk": clerk,
        "manager": manager,
        "s": s,
        "m": m,
        "default": warehouses.default_location_id(),
        "a": warehouses.create_location(warehouse_id=main, code="A-01"),
        "b": warehouses.create_location(warehouse_id=main, code="B-02"),
    }


def move(shop, lines, source="default", to="a") -> dict:
    return moves.move(
        from_location_id=shop[source],
        to_location_id=shop[to],
        lines=lines,
        operator_id=shop["clerk"],
    )["document"]


def reverse(shop, document_id: int, reason="booked twice", **extra) -> dict:
    return reversals.reverse_document(
        document_id, operator_id=extra.pop("by", shop["manager"]), reason=reason, **extra
    )


def status(document_id: int) -> DocumentStatus:
    db.session.rollback()
    return db.session.get(Document, document_id).status


def test_a_bin_move_reversed_puts_the_pieces_back_in_its_source(shop):
    moved = move(shop, [(shop["s"], 3), (shop["m"], 2)])
    reversal = reverse(shop, moved["id"])
    assert reversal["document"]["number"].startswith("RV")
    assert sorted((m["location_id"], m["delta"]) for m in reversal["movements"]) == sorted(
        [(shop["a"], -3), (shop["a"], -2), (shop["default"], 3), (shop["default"], 2)]
    )
    assert {m["kind"] for m in reversal["movements"]} == {MovementKind.REVERSAL}
    assert (held(shop["s"], shop["default"]), held(shop["s"], shop["a"])) == (10, 0)
    assert (held(shop["m"], shop["default"]), held(shop["m"], shop["a"])) == (4, 0)
    assert ledger.discrepancies() == []
    assert status(moved["id"]) == DocumentStatus.REVERSED
    originals = db.session.scalars(
        select(Movement.id).where(Movement.document_id == moved["id"])
    ).all()
    assert sorted(m["reverses"] for m in reversal["movements"]) == sorted(originals)
    shown = found_in.move_detail(moved["id"])
    assert shown["can_reverse"] is False
    assert shown["reversal"]["number"] == reversal["document"]["number"]
    assert shown["reversal"]["reason"] == "booked twice"
    before = written()
    with pytest.raises(AlreadyReversed):
        reverse(shop, moved["id"], "again")
    assert written() == before


def test_a_bin_moves_reversal_is_refused_once_its_pieces_left_the_destination(shop):
    moved = move(shop, [(shop["s"], 3), (shop["m"], 2)])
    move(shop, [(shop["s"], 2)], source="a", to="b")
    before = written()
    with pytest.raises(InsufficientStock) as refused:
        reverse(shop, moved["id"])
    assert [(x.sku, x.location, x.short) for x in refused.value.shortages] == [
        ("A1024-Black-S", "A-01", 2)
    ]
    assert refused.value.detail == (
        f"{moved['number']} cannot be reversed: its pieces are no longer all where it put "
        "them. A1024-Black-S is short by 2 (on hand 1, needed 3) in A-01"
    )
    assert written() == before and status(moved["id"]) == DocumentStatus.POSTED
    assert ledger.discrepancies() == []
    move(shop, [(shop["s"], 2)], source="b", to="a")  # back where the move put them
    reverse(shop, moved["id"])
    assert held(shop["s"], shop["default"]) == 10 and held(shop["s"], shop["b"]) == 0
    assert ledger.discrepancies() == []


def submitted(shop, who="clerk", qty=2) -> dict:
    return write_offs.submit(
        location_id=shop["default"],
        lines=[(shop["s"], qty)],
        reason="damaged",
        operator_id=shop[who],
        note="torn",
    )["document"]


def test_an_approved_write_off_reversed_comes_back_and_its_record_says_so(shop):
    document = submitted(shop)
    write_offs.approve(document["id"], operator_id=shop["manager"])
    assert held(shop["s"], shop["default"]) == 8
    reversal = reverse(shop, document["id"], "found in the back room")
    assert [(m["location_id"], m["delta"]) for m in reversal["movements"]] == [(shop["default"], 2)]
    assert held(shop["s"], shop["default"]) == 10 and ledger.discrepancies() == []
    shown = found_in.write_off_detail(document["id"])
    assert shown["status"] == DocumentStatus.REVERSED
    assert shown["decided_by"] is not None, "who approved it stays on its record"
    assert shown["reversal"]["number"] == reversal["document"]["number"]
    assert shown["reversal"]["reason"] == "found in the back room"
    assert shown["can_reverse"] is False
    listed = found_in.write_off_list(statuses=(DocumentStatus.POSTED, DocumentStatus.REVERSED))
    assert [row["document"].id for row in listed.rows] == [document["id"]]


def test_a_managers_own_write_off_is_reversed_too(shop):
    document = submitted(shop, who="manager")
    reverse(shop, document["id"])
    assert held(shop["s"], shop["default"]) == 10 and ledger.discrepancies() == []


def test_a_write_off_waiting_or_rejected_posted_nothing_and_is_not_reversed(shop):
    waiting, rejected = submitted(shop), submitted(shop)
    write_offs.reject(rejected["id"], operator_id=shop["manager"], reason="not torn")
    before = written()
    for document, message in (
        (waiting, f"{waiting['number']} is not approved: nothing was posted"),
        (rejected, f"{rejected['number']} was rejected: nothing was posted"),
    ):
        with pytest.raises(InvalidTransition) as refused:
            reverse(shop, document["id"])
        assert message in refused.value.detail
        assert found_in.write_off_detail(document["id"])["can_reverse"] is False
    assert written() == before and held(shop["s"], shop["default"]) == 10
    assert status(waiting["id"]) == DocumentStatus.SUBMITTED
    assert status(rejected["id"]) == DocumentStatus.REJECTED
    # The one waiting can still be approved, and then reversed.
    write_offs.approve(waiting["id"], operator_id=shop["manager"])
    reverse(shop, waiting["id"])
    assert held(shop["s"], shop["default"]) == 10 and ledger.discrepancies() == []


def test_the_same_key_reverses_once(shop):
    moved = move(shop, [(shop["s"], 3)])
    first = reverse(shop, moved["id"], idempotency_key="rv-1")
    before = written()
    again = reverse(shop, moved["id"], idempotency_key="rv-1")
    assert again["document"]["id"] == first["document"]["id"] and written() == before
    with pytest.raises(IdempotencyKeyReused):
        reverse(shop, moved["id"], "another reason", idempotency_key="rv-1")
    assert written() == before and held(shop["s"], shop["default"]) == 10
    assert ledger.discrepancies() == []


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_needed_and_bounded(shop, reason):
    moved = move(shop, [(shop["s"], 3)])
    before = written()
    with pytest.raises(InvalidInput) as refused:
        reverse(shop, moved["id"], reason)
    assert "reason" in refused.value.errors
    assert written() == before and status(moved["id"]) == DocumentStatus.POSTED


def test_what_is_not_a_move_write_off_receipt_or_stocktake_is_not_reversed(shop):
    moved = move(shop, [(shop["s"], 3)])
    reversal = reverse(shop, moved["id"])["document"]
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=shop["manager"])
    transfer = transfers.create(
        from_warehouse_id=warehouses.main_warehouse_id(),
        to_warehouse_id=sh,
        lines=[(shop["s"], 1)],
        operator_id=shop["manager"],
    )
    transfers.ship(transfer["id"], operator_id=shop["manager"])
    before = written()
    for document_id, number in ((reversal["id"], reversal["number"]), (transfer["id"], None)):
        with pytest.raises(InvalidTransition) as refused:
            reverse(shop, document_id)
        assert "cannot be reversed here" in refused.value.detail
        assert (number or transfer["number"]) in refused.value.detail
    with pytest.raises(NotFound):
        reverse(shop, 999_999)
    assert written() == before and ledger.discrepancies() == []


def test_a_manager_reverses_only_in_the_warehouses_they_work_in(shop, make_user):
    moved = move(shop, [(shop["s"], 3)])
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=shop["manager"])
    elsewhere = make_user(Role.MANAGER)
    warehouses.set_user_warehouses(user_id=elsewhere, warehouse_ids=[sh])
    before = written()
    with pytest.raises(NotPermitted):
        reversals.require_access(moved["id"], elsewhere)
    with pytest.raises(NotPermitted):
        reverse(shop, moved["id"], by=elsewhere)
    assert written() == before and status(moved["id"]) == DocumentStatus.POSTED
    reversals.require_access(moved["id"], shop["manager"])  # every warehouse: allowed


def test_nothing_goes_back_into_a_deactivated_warehouse(shop):
    boss = shop["manager"]
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    shelf = warehouses.create_location(warehouse_id=sh, code="S-1", actor_id=boss)
    receiving.create(
        lines=[receiving.ArrivedLine(shop["s"], 2, location_id=shelf)],
        operator_id=boss,
        warehouse_id=sh,
        submit=True,
    )
    written_off = write_offs.submit(
        location_id=shelf, lines=[(shop["s"], 2)], reason="lost", operator_id=boss
    )["document"]
    warehouses.change_warehouse(warehouse_id=sh, active=False, actor_id=boss)
    before = written()
    with pytest.raises(InvalidTransition, match="Warehouse SH is deactivated"):
        reverse(shop, written_off["id"])
    assert written() == before and held(shop["s"], shop["default"]) == 10
    warehouses.change_warehouse(warehouse_id=sh, active=True, actor_id=boss)
    reverse(shop, written_off["id"])
    assert held(shop["s"], shelf) == 2 and ledger.discrepancies() == []


def test_two_managers_reversing_one_move_at_once_reverse_it_once(app, shop, make_user):
    """Four managers (threads) reverse the same bin move, and each of them a move of its
    own, at once: each move is reversed exactly once, on both databases."""
    managers = [shop["manager"]] + [make_user(Role.MANAGER) for _ in range(3)]
    shared = move(shop, [(shop["s"], 4)])
    own = [move(shop, [(shop["m"], 1)], to="b") for _ in managers]
    db.session.commit()

    def call(task):
        _, document_id, manager = task
        return reversals.reverse_document(document_id, operator_id=manager, reason="at once")

    tasks = [
        [("reverse", shared["id"], manager), ("reverse", own[i]["id"], manager)]
        for i, manager in enumerate(managers)
    ]
    _, tally, errors = run_threads(app, tasks, call, {"reverse": (AlreadyReversed,)})
    assert errors == []
    assert tally == {"reverse:ok": 1 + len(managers), "reverse:AlreadyReversed": 3}
    assert held(shop["s"], shop["default"]) == 10 and held(shop["m"], shop["default"]) == 4
    reversed_ids = db.session.scalars(
        select(Document.reverses_id).where(Document.reverses_id.is_not(None))
    ).all()
    assert sorted(reversed_ids) == sorted([shared["id"], *(m["id"] for m in own)])
    assert ledger.discrepancies() == []
