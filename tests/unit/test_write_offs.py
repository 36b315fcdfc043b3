"""Write-offs (报损): submitted by a clerk, approved or rejected by a manager; only
posting takes stock out."""

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from stockapp.extensions import db
from stockapp.models import Balance, DocumentStatus, Movement, MovementKind, Role, WriteOff
from stockapp.services import ledger, moves, receiving, settings, warehouses, write_offs
from stockapp.services.errors import (
    AlreadyApproved,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from tests.support.db import held, row_count, written


@pytest.fixture
def shop(ctx, make_user, make_style):
    """A1024 (Black; S, M): 10 S and 4 M in the default bin; a quarantine bin Q with 3 S."""
    skus = make_style("A1024", sizes=("S", "M"), colours=("Black",))
    clerk, manager = make_user(Role.CLERK), make_user(Role.MANAGER)
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    receiving.receive(lines=[(s, 10), (m, 4)], operator_id=clerk)
    main = warehouses.main_warehouse_id()
    quarantine = warehouses.create_location(warehouse_id=main, code="Q", is_quarantine=True)
    default = warehouses.default_location_id()
    moves.move(
        from_location_id=default, to_location_id=quarantine, lines=[(s, 3)], operator_id=clerk
    )
    return {"clerk": clerk, "manager": manager, "s": s, "m": m, "default": default, "q": quarantine}


def submit(shop, lines=None, who="clerk", **extra):
    return write_offs.submit(
        location_id=extra.pop("location_id", shop["default"]),
        lines=lines or [(shop["s"], 2)],
        reason=extra.pop("reason", "damaged"),
        operator_id=shop[who],
        note=extra.pop("note", "torn"),
        **extra,
    )


def test_a_clerks_write_off_waits_and_moves_nothing_until_approved(shop):
    result = submit(shop, [(shop["s"], 2), (shop["m"], 1)])
    document = result["document"]
    assert document["number"].startswith("WO") and document["status"] == "submitted"
    assert result["movements"] == []
    assert (held(shop["s"], shop["default"]), held(shop["m"], shop["default"])) == (7, 4)
    approved = write_offs.approve(document["id"], operator_id=shop["manager"])
    assert approved["document"]["status"] == DocumentStatus.POSTED
    assert [(m["kind"], m["delta"]) for m in approved["movements"]] == [
        (MovementKind.WRITE_OFF, -2),
        (MovementKind.WRITE_OFF, -1),
    ]
    assert (held(shop["s"], shop["default"]), held(shop["m"], shop["default"])) == (5, 3)
    header = db.session.get(WriteOff, document["id"])
    assert header.decided_by == shop["manager"] and header.reason == "damaged"
    operators = db.session.scalars(
        select(Movement.operator_id).where(Movement.document_id == document["id"])
    ).all()
    assert set(operators) == {shop["manager"]}
    assert ledger.discrepancies() == []


def test_approving_twice_posts_once(shop):
    document = submit(shop)["document"]
    write_offs.approve(document["id"], operator_id=shop["manager"])
    before = written()
    with pytest.raises(AlreadyApproved):
        write_offs.approve(document["id"], operator_id=shop["manager"])
    assert written() == before and held(shop["s"], shop["default"]) == 5


def test_the_same_key_twice_submits_once(shop):
    first = submit(shop, idempotency_key="wo-1")
    again = submit(shop, idempotency_key="wo-1")
    assert again["document"]["id"] == first["document"]["id"]
    assert row_count("write_offs") == 1


def test_a_managers_write_off_posts_at_once_from_quarantine(shop):
    result = submit(shop, [(shop["s"], 3)], who="manager", location_id=shop["q"], reason="lost")
    assert result["document"]["status"] == DocumentStatus.POSTED
    assert held(shop["s"], shop["q"]) == 0 and held(shop["s"], shop["default"]) == 7


def test_without_approval_in_the_settings_a_clerks_write_off_posts_at_once(shop):
    settings.update({"write_offs_need_approval": False})
    result = submit(shop)
    assert result["document"]["status"] == DocumentStatus.POSTED
    assert held(shop["s"], shop["default"]) == 5


def test_a_rejected_write_off_moves_nothing_and_cannot_be_approved(shop):
    document = submit(shop)["document"]
    with pytest.raises(InvalidInput) as refused:
        write_offs.reject(document["id"], operator_id=shop["manager"], reason="  ")
    assert "reason" in refused.value.errors
    rejected = write_offs.reject(document["id"], operator_id=shop["manager"], reason="found it")
    assert rejected["document"]["status"] == DocumentStatus.REJECTED
    assert db.session.get(WriteOff, document["id"]).reject_reason == "found it"
    with pytest.raises(InvalidTransition):
        write_offs.approve(document["id"], operator_id=shop["manager"])
    with pytest.raises(InvalidTransition):
        write_offs.reject(document["id"], operator_id=shop["manager"], reason="again")
    assert held(shop["s"], shop["default"]) == 7


def test_approval_is_refused_when_the_bin_no_longer_holds_the_pieces(shop):
    document = submit(shop, [(shop["s"], 6)])["document"]
    moves.move(
        from_location_id=shop["default"],
        to_location_id=shop["q"],
        lines=[(shop["s"], 5)],
        operator_id=shop["clerk"],
    )
    before = written()
    with pytest.raises(InsufficientStock) as refused:
        write_offs.approve(document["id"], operator_id=shop["manager"])
    ((sku, location, short),) = [(x.sku, x.location, x.short) for x in refused.value.shortages]
    assert (sku, location, short) == ("A1024-Black-S", "DEFAULT", 4)
    assert "DEFAULT" in refused.value.detail
    assert written() == before
    status = db.session.scalar(
        select(func.count()).select_from(WriteOff).where(WriteOff.decided_by.is_(None))
    )
    assert status == 1  # still waiting, undecided
    assert ledger.discrepancies() == []


@pytest.mark.parametrize(
    "case, field",
    [
        ("unknown reason", "reason"),
        ("zero", "lines[0]"),
        ("unknown variant", "lines[0]"),
        ("twice", "lines[1]"),
        ("nothing", "lines"),
    ],
)
def test_bad_write_offs_are_refused_and_write_nothing(shop, case, field):
    lines, reason = [(shop["s"], 1)], "damaged"
    if case == "unknown reason":
        reason = "stolen"
    elif case == "zero":
        lines = [(shop["s"], 0)]
    elif case == "unknown variant":
        lines = [(999_999, 1)]
    elif case == "twice":
        lines = [(shop["s"], 1), (shop["s"], 2)]
    before = written()
    with pytest.raises(InvalidInput) as refused:
        write_offs.submit(
            location_id=shop["default"],
            lines=lines if case != "nothing" else [],
            reason=reason,
            operator_id=shop["clerk"],
        )
    assert field in refused.value.errors
    assert written() == before and row_count("write_offs") == 0


def test_more_than_the_bin_holds_is_refused_at_submission(shop):
    with pytest.raises(InsufficientStock) as refused:
        submit(shop, [(shop["m"], 5)], location_id=shop["default"])
    assert [x.short for x in refused.value.shortages] == [1]
    with pytest.raises(NotFound):
        submit(shop, location_id=999_999)
    with pytest.raises(NotFound):
        write_offs.approve(999_999, operator_id=shop["manager"])
    assert row_count("write_offs") == 0


THREADS = 8
ROUNDS = 25
INITIAL = 30


def test_concurrent_moves_and_write_off_approvals_keep_the_ledger_exact(app, make_user, make_style):
    """8 threads on both databases: bin moves in both directions between three bins and
    approvals of write-offs (each raced by two threads) over the same variants. Afterwards
    no balance is negative, each write-off posted at most once, and the total is the
    start less exactly the approved write-offs."""
    with app.app_context():
        variants = list(make_style("C1", sizes=("S", "M"), colours=()).values())
        clerk, manager = make_user(Role.CLERK), make_user(Role.MANAGER)
        main = warehouses.main_warehouse_id()
        bins = [warehouses.default_location_id()] + [
            warehouses.create_location(warehouse_id=main, code=code) for code in ("A", "B")
        ]
        receiving.receive(lines=[(v, INITIAL) for v in variants], operator_id=clerk)
        pending = [
            write_offs.submit(
                location_id=bins[0], lines=[(v, 1)], reason="damaged", operator_id=clerk
            )["document"]["id"]
            for v in variants
            for _ in range(6)
        ]
    barrier = threading.Barrier(THREADS)
    outcomes = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        tally, errors = Counter(), []
        with app.app_context():
            barrier.wait()
            for n in range(ROUNDS):
                try:
                    if n % 3 == 0:
                        document_id = pending[(seed // 2 + n) % len(pending)]
                        write_offs.approve(document_id, operator_id=manager)
                        tally["approved"] += 1
                    else:
                        source, destination = rng.sample(bins, 2)
                        moves.move(
                            from_location_id=source,
                            to_location_id=destination,
                            lines=[(v, rng.randint(1, 4)) for v in rng.sample(variants, 2)],
                            operator_id=clerk,
                        )
                        tally["moved"] += 1
                except (InsufficientStock, AlreadyApproved) as refused:
                    tally[type(refused).__name__] += 1
                except Exception as unexpected:  # any other error fails the test
                    errors.append(repr(unexpected))
        outcomes.append((tally, errors))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert [e for _, errs in outcomes for e in errs] == []
    tally = sum((t for t, _ in outcomes), Counter())
    assert tally["moved"] > 0 and tally["approved"] > 0 and tally["AlreadyApproved"] > 0
    with app.app_context():
        posted = db.session.execute(
            select(Movement.document_id, func.count())
            .where(Movement.kind == MovementKind.WRITE_OFF)
            .group_by(Movement.document_id)
        ).all()
        assert all(count == 1 for _, count in posted)  # one line each, posted at most once
        assert len(posted) == tally["approved"]
        assert db.session.scalar(select(func.min(Balance.qty))) >= 0
        total = db.session.scalar(select(func.sum(Balance.qty)))
        assert total == INITIAL * len(variants) - tally["approved"]
        assert ledger.discrepancies() == []
