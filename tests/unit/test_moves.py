"""Bin moves (移库): stock from one bin to another of a warehouse, posted at once."""

import pytest
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import Document, DocumentKind, Movement, Role
from stockapp.services import ledger, moves, receiving, warehouses
from stockapp.services.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    NotFound,
)
from tests.support.db import held, row_count, written


@pytest.fixture
def shop(ctx, make_user, make_style):
    """Style A1024 (Black; S, M), 10 S and 4 M in the default bin; bins A-01 and B-02."""
    skus = make_style("A1024", sizes=("S", "M"), colours=("Black",))
    clerk = make_user(Role.CLERK)
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    receiving.receive(lines=[(s, 10), (m, 4)], operator_id=clerk)
    main = warehouses.main_warehouse_id()
    return {
        "clerk": clerk,
        "s": s,
        "m": m,
        "default": warehouses.default_location_id(),
        "a": warehouses.create_location(warehouse_id=main, code="A-01"),
        "b": warehouses.create_location(warehouse_id=main, code="B-02"),
    }


def test_a_move_posts_out_of_the_source_and_into_the_destination(shop):
    result = moves.move(
        from_location_id=shop["default"],
        to_location_id=shop["a"],
        lines=[(shop["s"], 3), (shop["m"], 4)],
        operator_id=shop["clerk"],
        note="shelf 1",
    )
    document = result["document"]
    assert document["number"].startswith("MV") and document["status"] == "posted"
    assert [(m["kind"], m["location_id"], m["delta"]) for m in result["movements"]] == [
        ("move_out", shop["default"], -3),
        ("move_out", shop["default"], -4),
        ("move_in", shop["a"], 3),
        ("move_in", shop["a"], 4),
    ]
    assert (held(shop["s"], shop["default"]), held(shop["s"], shop["a"])) == (7, 3)
    assert (held(shop["m"], shop["default"]), held(shop["m"], shop["a"])) == (0, 4)
    stored = db.session.get(Document, document["id"])
    assert stored.kind == DocumentKind.MOVE and stored.note == "shelf 1"
    assert ledger.discrepancies() == []


def test_the_same_key_twice_moves_once(shop):
    args = {
        "from_location_id": shop["default"],
        "to_location_id": shop["a"],
        "lines": [(shop["s"], 2)],
        "operator_id": shop["clerk"],
        "idempotency_key": "mv-1",
    }
    first = moves.move(**args)
    again = moves.move(**args)
    assert again["document"]["id"] == first["document"]["id"]
    assert held(shop["s"], shop["a"]) == 2
    with pytest.raises(IdempotencyKeyReused):
        moves.move(**(args | {"lines": [(shop["s"], 3)]}))
    assert held(shop["s"], shop["a"]) == 2 and ledger.discrepancies() == []


def test_a_short_source_is_refused_naming_the_bin_and_the_shortfall(shop):
    before = written()
    with pytest.raises(InsufficientStock) as refused:
        moves.move(
            from_location_id=shop["a"],
            to_location_id=shop["b"],
            lines=[(shop["s"], 1)],
            operator_id=shop["clerk"],
        )
    (shortage,) = refused.value.shortages
    assert (shortage.sku, shortage.location, shortage.short) == ("A1024-Black-S", "A-01", 1)
    assert "A-01" in refused.value.detail  # the message names the bin
    assert written() == before and ledger.discrepancies() == []


@pytest.mark.parametrize(
    "case, field",
    [
        ("same bin", "to_location"),
        ("other warehouse", "to_location"),
        ("unknown variant", "lines[0]"),
        ("zero", "lines[0]"),
        ("negative", "lines[0]"),
        ("twice", "lines[1]"),
        ("no lines", "lines"),
    ],
)
def test_bad_moves_are_refused_and_write_nothing(shop, case, field):
    to, lines = shop["a"], [(shop["s"], 1)]
    if case == "same bin":
        to = shop["default"]
    elif case == "other warehouse":
        # A warehouse the clerk works in too: the refusal is the move's own rule.
        other = warehouses.create_warehouse(code="SHOP2", name="Shop 2")
        warehouses.set_user_warehouses(
            user_id=shop["clerk"], warehouse_ids=[warehouses.main_warehouse_id(), other]
        )
        to = warehouses.create_location(warehouse_id=other, code="A-01")
    elif case == "unknown variant":
        lines = [(999_999, 1)]
    elif case == "zero":
        lines = [(shop["s"], 0)]
    elif case == "negative":
        lines = [(shop["s"], -2)]
    elif case == "twice":
        lines = [(shop["s"], 1), (shop["s"], 1)]
    else:
        lines = []
    before = written()
    with pytest.raises(InvalidInput) as refused:
        moves.move(
            from_location_id=shop["default"],
            to_location_id=to,
            lines=lines,
            operator_id=shop["clerk"],
            idempotency_key=f"bad-{case}",
        )
    assert field in refused.value.errors
    assert written() == before and held(shop["s"], shop["default"]) == 10


def test_an_unknown_bin_is_not_found(shop):
    with pytest.raises(NotFound):
        moves.move(
            from_location_id=shop["default"],
            to_location_id=999_999,
            lines=[(shop["s"], 1)],
            operator_id=shop["clerk"],
        )
    assert row_count("movements") == 2


def test_moves_back_and_forth_keep_the_total(shop):
    for source, destination in [("default", "a"), ("a", "b"), ("b", "default")]:
        moves.move(
            from_location_id=shop[source],
            to_location_id=shop[destination],
            lines=[(shop["s"], 5)],
            operator_id=shop["clerk"],
        )
    assert held(shop["s"], shop["default"]) == 10
    assert (
        db.session.scalar(select(Movement.balance_after).order_by(Movement.id.desc()).limit(1))
        == 10
    )
    assert ledger.discrepancies() == []
