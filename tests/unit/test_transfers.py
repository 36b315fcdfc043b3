"""Transfers (调拨): every state change and refusal, in transit counted in neither
warehouse, the ledger after each write, idempotency, and 16 threads at once."""

import random
import threading
from collections import Counter

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import (
    Balance,
    Location,
    Movement,
    MovementKind,
    Role,
    Transfer,
    TransferDecision,
    TransferLine,
    TransferStatus,
)
from stockapp.queries import stock_levels
from stockapp.queries.stock import in_transit
from stockapp.services import ledger, orders, transfers, warehouses
from stockapp.services.errors import (
    AlreadyCancelled,
    AlreadyReceived,
    AlreadyShipped,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from stockapp.services.transfers import Received
from tests.support.db import on_hand, row_count


@pytest.fixture(autouse=True)
def english(ctx):
    with force_locale("en"):
        yield


@pytest.fixture
def shop(ctx, make_user, make_style):
    """Three warehouses (MAIN, W2 with a quarantine bin, W3), a manager of all, a clerk
    of MAIN and one of W2; 10 of each variant in MAIN's default bin."""
    boss = make_user(Role.MANAGER, username="boss")
    w1 = warehouses.main_warehouse_id()
    w2 = warehouses.create_warehouse(code="W2", name="Two", actor_id=boss)
    w3 = warehouses.create_warehouse(code="W3", name="Three", actor_id=boss)
    quarantine = warehouses.create_location(warehouse_id=w2, code="Q", is_quarantine=True)
    a_clerk, b_clerk = make_user(Role.CLERK), make_user(Role.CLERK)
    warehouses.set_user_warehouses(user_id=b_clerk, warehouse_ids=[w2])
    variants = make_style("T1", sizes=("S", "M"), colours=())
    put(list(variants.values()), warehouses.default_location_id(), 10, boss)
    return {
        "boss": boss,
        "w1": w1,
        "w2": w2,
        "w3": w3,
        "quarantine": quarantine,
        "a": a_clerk,
        "b": b_clerk,
        "s": variants["T1-S"],
        "m": variants["T1-M"],
    }


def put(variant_ids, location_id: int, qty: int, operator_id: int) -> None:
    with write_transaction():
        ledger.post(
            [ledger.Line(v, location_id, qty) for v in variant_ids],
            kind=MovementKind.INBOUND,
            operator_id=operator_id,
            document_id=None,
        )


def balance(variant_id: int, location_id: int) -> int:
    db.session.rollback()
    qty = db.session.scalar(
        select(Balance.qty).where(
            Balance.variant_id == variant_id, Balance.location_id == location_id
        )
    )
    return qty or 0


def state(transfer_id: int) -> TransferStatus:
    db.session.rollback()
    return db.session.get(Transfer, transfer_id).status


def new(shop, qty=4, **given) -> int:
    return transfers.create(
        from_warehouse_id=given.get("source", shop["w1"]),
        to_warehouse_id=given.get("to", shop["w2"]),
        lines=[(shop["s"], qty), (shop["m"], qty)],
        operator_id=given.get("by", shop["boss"]),
    )["id"]


def shipped(shop, qty=4) -> int:
    transfer_id = new(shop, qty)
    transfers.ship(transfer_id, operator_id=shop["a"])
    return transfer_id


def test_ship_moves_stock_into_transit_counted_in_neither_warehouse(shop):
    transfer_id = new(shop)
    assert state(transfer_id) == TransferStatus.DRAFT
    assert stock_levels([shop["s"]])[shop["s"]].on_hand == 10
    result = transfers.ship(transfer_id, operator_id=shop["a"])
    assert result["status"] == TransferStatus.SHIPPED
    assert {m["kind"] for m in result["movements"]} == {MovementKind.TRANSFER_OUT}
    assert state(transfer_id) == TransferStatus.SHIPPED
    assert balance(shop["s"], warehouses.default_location_id()) == 6
    assert in_transit(shop["s"]) == 4
    # In neither warehouse's on hand or available: 6 left of 10 in all.
    assert stock_levels([shop["s"]])[shop["s"]].available == 6
    assert on_hand(shop["s"]) == 10
    assert ledger.discrepancies() == []


def test_receiving_everything_closes_it(shop):
    transfer_id = shipped(shop)
    result = transfers.receive(
        transfer_id,
        lines=[Received(shop["s"], 4), Received(shop["m"], 4)],
        operator_id=shop["b"],
    )
    assert result["status"] == TransferStatus.CLOSED
    default_w2 = warehouses.usual_locations([shop["s"]], shop["w2"])[shop["s"]]
    assert balance(shop["s"], default_w2) == 4
    assert in_transit(shop["s"]) == 0
    assert stock_levels([shop["s"]])[shop["s"]].on_hand == 10
    assert ledger.discrepancies() == []


def test_short_and_damaged_wait_for_a_manager_who_writes_off_and_returns(shop):
    transfer_id = shipped(shop)
    result = transfers.receive(
        transfer_id,
        lines=[Received(shop["s"], 2, damaged=1, reason="torn"), Received(shop["m"], 3)],
        operator_id=shop["b"],
    )
    assert result["status"] == TransferStatus.RECEIVED
    assert balance(shop["s"], shop["quarantine"]) == 1
    assert in_transit(shop["s"]) == 1
    assert in_transit(shop["m"]) == 1
    done = transfers.decide(
        transfer_id,
        lines=[(shop["s"], TransferDecision.WRITE_OFF), (shop["m"], TransferDecision.RETURN)],
        operator_id=shop["boss"],
    )
    assert done["status"] == TransferStatus.CLOSED
    assert in_transit(shop["s"]) == in_transit(shop["m"]) == 0
    assert on_hand(shop["s"]) == 9  # one written off
    assert balance(shop["m"], warehouses.default_location_id()) == 6 + 1
    kinds = Counter(m["kind"] for m in done["movements"])
    assert kinds == {MovementKind.WRITE_OFF: 1, MovementKind.TRANSFER_IN: 2}
    db.session.rollback()
    line = db.session.scalar(select(TransferLine).where(TransferLine.variant_id == shop["s"]))
    assert (line.received, line.damaged, line.reason, line.written_off) == (2, 1, "torn", 1)
    assert ledger.discrepancies() == []


def test_a_decision_per_line_keeps_it_waiting_until_every_line_is_decided(shop):
    transfer_id = shipped(shop)
    transfers.receive(transfer_id, lines=[], operator_id=shop["b"])
    first = transfers.decide(
        transfer_id, lines=[(shop["s"], TransferDecision.RETURN)], operator_id=shop["boss"]
    )
    assert first["status"] == TransferStatus.RECEIVED
    with pytest.raises(InvalidInput) as refused:
        transfers.decide(
            transfer_id, lines=[(shop["s"], TransferDecision.RETURN)], operator_id=shop["boss"]
        )
    assert set(refused.value.errors) == {"lines[0]"}
    last = transfers.decide(
        transfer_id, lines=[(shop["m"], TransferDecision.WRITE_OFF)], operator_id=shop["boss"]
    )
    assert last["status"] == TransferStatus.CLOSED
    with pytest.raises(InvalidTransition):
        transfers.decide(
            transfer_id, lines=[(shop["m"], TransferDecision.RETURN)], operator_id=shop["boss"]
        )
    assert ledger.discrepancies() == []


def test_damaged_without_a_quarantine_stays_in_transit_for_the_manager(shop):
    transfer_id = transfers.create(
        from_warehouse_id=shop["w1"],
        to_warehouse_id=shop["w3"],
        lines=[(shop["s"], 3)],
        operator_id=shop["boss"],
    )["id"]
    transfers.ship(transfer_id, operator_id=shop["boss"])
    result = transfers.receive(
        transfer_id, lines=[Received(shop["s"], 2, damaged=1)], operator_id=shop["boss"]
    )
    assert result["status"] == TransferStatus.RECEIVED
    assert in_transit(shop["s"]) == 1


def test_cancelling_a_shipped_transfer_brings_the_goods_back(shop):
    transfer_id = shipped(shop)
    result = transfers.cancel(transfer_id, operator_id=shop["boss"])
    assert result["status"] == TransferStatus.CANCELLED
    assert balance(shop["s"], warehouses.default_location_id()) == 10
    assert in_transit(shop["s"]) == 0
    with pytest.raises(AlreadyCancelled):
        transfers.cancel(transfer_id, operator_id=shop["boss"])
    with pytest.raises(AlreadyCancelled):
        transfers.ship(transfer_id, operator_id=shop["boss"])
    assert ledger.discrepancies() == []


def test_a_draft_is_cancelled_with_nothing_moved(shop):
    transfer_id = new(shop)
    before = row_count("movements")
    transfers.cancel(transfer_id, operator_id=shop["boss"])
    assert state(transfer_id) == TransferStatus.CANCELLED
    assert row_count("movements") == before


def test_steps_twice_post_once(shop):
    transfer_id = new(shop)
    first = transfers.ship(transfer_id, operator_id=shop["a"], idempotency_key="k1")
    again = transfers.ship(transfer_id, operator_id=shop["a"], idempotency_key="k1")
    assert again == first
    with pytest.raises(AlreadyShipped):
        transfers.ship(transfer_id, operator_id=shop["a"])
    lines = [Received(shop["s"], 4), Received(shop["m"], 4)]
    transfers.receive(transfer_id, lines=lines, operator_id=shop["b"], idempotency_key="r")
    transfers.receive(transfer_id, lines=lines, operator_id=shop["b"], idempotency_key="r")
    with pytest.raises(AlreadyReceived):
        transfers.receive(transfer_id, lines=lines, operator_id=shop["b"])
    with pytest.raises(InvalidTransition):
        transfers.cancel(transfer_id, operator_id=shop["boss"])
    db.session.rollback()
    moved = db.session.scalar(
        select(func.count(Movement.id)).where(Movement.document_id == transfer_id)
    )
    assert moved == 4 + 4  # ship: 2 out, 2 in; receive: 2 out of transit, 2 in
    assert ledger.discrepancies() == []


def test_receiving_a_draft_or_deciding_a_shipped_transfer_is_refused(shop):
    transfer_id = new(shop)
    with pytest.raises(InvalidTransition):
        transfers.receive(transfer_id, lines=[], operator_id=shop["b"])
    transfers.ship(transfer_id, operator_id=shop["a"])
    with pytest.raises(InvalidTransition):
        transfers.decide(
            transfer_id, lines=[(shop["s"], TransferDecision.RETURN)], operator_id=shop["boss"]
        )


def test_shipping_more_than_the_source_holds_names_the_shortfall(shop):
    transfer_id = new(shop, qty=11)
    before = row_count("movements")
    with pytest.raises(InsufficientStock) as refused:
        transfers.ship(transfer_id, operator_id=shop["a"])
    assert {(s.sku, s.location, s.short) for s in refused.value.shortages} == {
        ("T1-S", "MAIN", 1),
        ("T1-M", "MAIN", 1),
    }
    assert row_count("movements") == before
    assert state(transfer_id) == TransferStatus.DRAFT


def test_ship_takes_lowest_bin_first_and_never_quarantine_or_another_warehouse(shop):
    put([shop["s"]], shop["quarantine"], 5, shop["boss"])
    transfer_id = transfers.create(
        from_warehouse_id=shop["w2"],
        to_warehouse_id=shop["w3"],
        lines=[(shop["s"], 1)],
        operator_id=shop["boss"],
    )["id"]
    with pytest.raises(InsufficientStock):
        transfers.ship(transfer_id, operator_id=shop["boss"])


def test_over_receipt_unknown_and_twice_listed_lines_are_refused(shop):
    transfer_id = shipped(shop)
    with pytest.raises(InvalidInput) as refused:
        transfers.receive(
            transfer_id,
            lines=[Received(shop["s"], 4, damaged=1), Received(shop["s"], 1), Received(999, 1)],
            operator_id=shop["b"],
        )
    assert set(refused.value.errors) == {"lines[0]", "lines[1]", "lines[2]"}
    assert "more than the 4 shipped" in str(refused.value.errors["lines[0]"])
    with pytest.raises(InvalidInput) as refused:
        transfers.receive(
            transfer_id, lines=[], location_id=shop["quarantine"], operator_id=shop["b"]
        )
    assert set(refused.value.errors) == {"location"}
    assert state(transfer_id) == TransferStatus.SHIPPED


def test_received_into_a_chosen_bin(shop):
    bin_id = warehouses.create_location(warehouse_id=shop["w2"], code="B-1")
    transfer_id = shipped(shop)
    transfers.receive(
        transfer_id,
        lines=[Received(shop["s"], 4), Received(shop["m"], 4)],
        location_id=bin_id,
        operator_id=shop["b"],
    )
    assert balance(shop["s"], bin_id) == 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to": "w1"}, "to_warehouse"),
        ({"lines": "none"}, "lines"),
        ({"lines": "zero"}, "lines[0]"),
        ({"lines": "twice"}, "lines[1]"),
        ({"lines": "unknown"}, "lines[0]"),
    ],
)
def test_a_bad_draft_is_refused_and_nothing_written(shop, change, field):
    lines = {
        "zero": [(shop["s"], 0)],
        "twice": [(shop["s"], 1), (shop["s"], 1)],
        "unknown": [(999_999, 1)],
        "none": [],
    }.get(change.get("lines"), [(shop["s"], 1)])
    with pytest.raises(InvalidInput) as refused:
        transfers.create(
            from_warehouse_id=shop["w1"],
            to_warehouse_id=shop[change.get("to", "w2")],
            lines=lines,
            operator_id=shop["boss"],
        )
    assert field in refused.value.errors
    assert row_count("transfers") == 0


def test_a_deactivated_warehouse_takes_no_transfer(shop):
    warehouses.change_warehouse(warehouse_id=shop["w3"], active=False)
    with pytest.raises(InvalidInput) as refused:
        new(shop, to=shop["w3"])
    assert "warehouse" in refused.value.errors


def test_warehouse_permissions(shop):
    # The clerk of MAIN cannot make a transfer into W2, which is not theirs.
    with pytest.raises(NotPermitted):
        new(shop, by=shop["a"])
    transfer_id = new(shop)
    # Only the source ships, only the destination receives.
    with pytest.raises(NotPermitted):
        transfers.ship(transfer_id, operator_id=shop["b"])
    transfers.ship(transfer_id, operator_id=shop["a"])
    with pytest.raises(NotPermitted):
        transfers.receive(transfer_id, lines=[], operator_id=shop["a"])
    # A clerk of W3 alone reads and does nothing of a MAIN → W2 transfer.
    outsider = shop["b"] + 100
    with pytest.raises(NotPermitted):
        transfers.cancel(transfer_id, operator_id=outsider)
    assert not transfers.may_read(outsider, shop["w1"], shop["w2"])
    assert transfers.may_read(shop["a"], shop["w1"], shop["w2"])
    with pytest.raises(NotFound):
        transfers.ship(123456, operator_id=shop["boss"])


def test_transit_is_no_bin_for_anything_else(shop):
    transit = warehouses.transit_location_id(shop["w2"])
    assert transit not in {loc.id for loc in warehouses.locations()}
    with pytest.raises(NotFound):
        warehouses.require_location(shop["boss"], transit)
    shipped(shop, qty=10)
    # An order's completion cannot take what is in transit.
    order_id = orders.create(
        number="O1", customer="C", lines=[(shop["s"], 1)], operator_id=shop["boss"]
    )["id"]
    orders.record_picks(order_id, lines=[(shop["s"], 1)], operator_id=shop["boss"])
    with pytest.raises(InsufficientStock):
        orders.complete(order_id, operator_id=shop["boss"])
    db.session.rollback()
    codes = db.session.scalars(
        select(Location.code).where(Location.is_transit).order_by(Location.id)
    ).all()
    assert codes == ["~TRANSIT"] * 3


THREADS = 16
OPERATIONS = 12


def test_concurrent_ships_receives_and_cancels_keep_the_books_straight(app, shop):
    """16 threads shipping, receiving and cancelling transfers over 3 warehouses on
    overlapping variants: afterwards the total over all bins and transit is exactly the
    start less what was written off, nothing negative, every step posted at most once."""
    ids = [shop["w1"], shop["w2"], shop["w3"]]
    variants = [shop["s"], shop["m"]]
    for warehouse_id in ids[1:]:
        put(
            variants,
            warehouses.usual_locations(variants, warehouse_id)[shop["s"]],
            10,
            shop["boss"],
        )
    start = sum(on_hand(v) for v in variants)
    setup = random.Random(3)
    made = []
    for _ in range(30):
        source, to = setup.sample(ids, 2)
        made.append(
            transfers.create(
                from_warehouse_id=source,
                to_warehouse_id=to,
                lines=[(v, setup.randint(1, 4)) for v in variants],
                operator_id=shop["boss"],
            )["id"]
        )
    db.session.remove()
    barrier = threading.Barrier(THREADS)
    outcomes = []
    expected = (
        AlreadyShipped,
        AlreadyReceived,
        AlreadyCancelled,
        InvalidTransition,
        InsufficientStock,
    )

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        tally, errors = Counter(), []
        with app.app_context():
            barrier.wait()
            for _ in range(OPERATIONS):
                transfer_id, choice = rng.choice(made), rng.random()
                key = rng.choice([None, f"{transfer_id}"])
                try:
                    if choice < 0.45:
                        op = "ship"
                        transfers.ship(
                            transfer_id, operator_id=shop["boss"], idempotency_key=key and f"s{key}"
                        )
                    elif choice < 0.8:
                        op = "receive"
                        transfers.receive(
                            transfer_id,
                            lines=[Received(v, rng.randint(0, 1)) for v in variants],
                            operator_id=shop["boss"],
                        )
                    else:
                        op = "cancel"
                        transfers.cancel(transfer_id, operator_id=shop["boss"])
                    tally[op] += 1
                except expected as refusal:
                    tally[type(refusal).__name__] += 1
                except Exception as unexpected:  # anything else fails the test
                    errors.append(f"{op} {transfer_id}: {unexpected!r}")
                finally:
                    db.session.remove()
        outcomes.append((tally, errors))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert [e for _, errors in outcomes for e in errors] == []
    tally = sum((t for t, _ in outcomes), Counter())
    assert tally["ship"] and tally["receive"] and tally["cancel"], tally

    # The received ones with differences: a manager writes the rest off.
    written_off = 0
    for transfer_id in made:
        if state(transfer_id) == TransferStatus.RECEIVED:
            left = {
                line.variant_id: line.in_transit
                for line in db.session.get(Transfer, transfer_id).lines
                if line.in_transit
            }
            written_off += sum(left.values())
            transfers.decide(
                transfer_id,
                lines=[(v, TransferDecision.WRITE_OFF) for v in left],
                operator_id=shop["boss"],
            )
    db.session.rollback()
    assert sum(on_hand(v) for v in variants) == start - written_off
    assert db.session.scalar(select(func.min(Balance.qty))) >= 0
    assert ledger.discrepancies() == []
    for transfer_id in made:
        transfer = db.session.get(Transfer, transfer_id)
        kinds = Counter(
            db.session.scalars(select(Movement.kind).where(Movement.document_id == transfer_id))
        )
        shipped_lines = len(transfer.lines) * 2 if transfer.shipped_at else 0
        assert kinds[MovementKind.TRANSFER_OUT] == shipped_lines  # shipped at most once
        if transfer.status == TransferStatus.CLOSED or transfer.status == TransferStatus.RECEIVED:
            assert transfer.received_at is not None
        assert all(line.in_transit == 0 for line in transfer.lines) or (
            transfer.status == TransferStatus.SHIPPED
        )
