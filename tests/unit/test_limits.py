"""The limits the services keep whatever the caller: 64-bit counts and the balance limit,
the one line cap, supplier names unique by the same folding on both databases."""

import pytest
import sqlalchemy as sa

from stockapp import queries
from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import MovementKind, Role
from stockapp.models.ledger import MAX_BALANCE, MAX_LINES
from stockapp.services import (
    counting,
    ledger,
    orders,
    purchasing,
    receiving,
    returns,
    supplier_returns,
    suppliers,
)
from stockapp.services.documents import LINE_CAP
from stockapp.services.errors import BalanceLimit, InvalidInput
from stockapp.services.warehouses import default_location_id
from tests.support.db import insert_wide_style, on_hand, row_count

PAST_31_BITS = 2**31 + 7
WRITTEN = ("documents", "movements", "balances", "orders", "purchase_orders", "receipts")


@pytest.fixture
def clerk(ctx, make_user):
    return make_user(Role.CLERK)


@pytest.fixture
def wide(ctx, clerk):
    """A style of MAX_LINES + 1 variants."""
    return insert_wide_style("W1", MAX_LINES + 1)


def written() -> tuple:
    return tuple(row_count(t) for t in WRITTEN)


def put(variant_id: int, delta: int, operator_id: int, location_id=None) -> list[dict]:
    with write_transaction():
        return ledger.post(
            [ledger.Line(variant_id, location_id or default_location_id(), delta)],
            kind=MovementKind.INBOUND,
            operator_id=operator_id,
            document_id=None,
        )


# --- 64-bit counts ------------------------------------------------------------------------


def test_a_balance_past_2_to_the_31_is_kept_exactly(make_style, clerk):
    variant = make_style("A1024", sizes=("M",))["A1024-Black-M"]
    put(variant, PAST_31_BITS, clerk)
    receiving.receive(lines=[(variant, 1_000_000)], operator_id=clerk)
    assert on_hand(variant) == PAST_31_BITS + 1_000_000
    # Sums come back as ints on both databases (PostgreSQL sums BIGINT as a numeric).
    level = queries.stock_levels([variant])[variant]
    assert type(level.on_hand) is int and level.on_hand == PAST_31_BITS + 1_000_000
    after = db.session.scalars(sa.text("SELECT balance_after FROM movements ORDER BY id")).all()
    assert after == [PAST_31_BITS, PAST_31_BITS + 1_000_000]
    # A stocktake compares and corrects it like any other figure.
    counting.count(
        lines=[counting.CountLine(variant, 5, PAST_31_BITS + 1_000_000)], operator_id=clerk
    )
    assert on_hand(variant) == 5
    assert ledger.discrepancies() == []


def test_a_movement_past_the_balance_limit_is_refused_and_writes_nothing(make_style, clerk):
    variant = make_style("A1024", sizes=("M",))["A1024-Black-M"]
    put(variant, MAX_BALANCE - 10, clerk)
    before = written()
    with pytest.raises(BalanceLimit) as refused:
        receiving.receive(lines=[(variant, 11)], operator_id=clerk)
    assert refused.value.status == 422
    message = str(refused.value)  # in the app's default language
    assert all(part in message for part in ("A1024-Black-M", "DEFAULT", "1000000000001"))
    assert written() == before and on_hand(variant) == MAX_BALANCE - 10
    receiving.receive(lines=[(variant, 10)], operator_id=clerk)  # up to the limit is fine
    assert on_hand(variant) == MAX_BALANCE


# --- the line cap ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["inbound", "stocktake", "order", "po", "return", "supplier return"]
)
def test_more_lines_than_the_cap_are_refused_before_anything_is_written(wide, clerk, kind):
    supplier = suppliers.save(name="Mill")
    before = written()
    calls = {
        "inbound": lambda: receiving.receive(lines=[(v, 1) for v in wide], operator_id=clerk),
        "stocktake": lambda: counting.count(
            lines=[counting.CountLine(v, 1, 0) for v in wide], operator_id=clerk
        ),
        "order": lambda: orders.create(
            number="PH-1", customer="Zhang", lines=[(v, 1) for v in wide], operator_id=clerk
        ),
        "po": lambda: purchasing.create(
            number="PO-1",
            supplier_id=supplier,
            lines=[purchasing.OrderedLine(v, 1) for v in wide],
            operator_id=clerk,
        ),
        "return": lambda: returns.book_return(
            lines=[returns.ReturnLine(v, 1) for v in wide], operator_id=clerk
        ),
        "supplier return": lambda: supplier_returns.submit(
            supplier_id=supplier,
            lines=[(v, default_location_id(), 1) for v in wide],
            operator_id=clerk,
        ),
    }
    with pytest.raises(InvalidInput) as refused:
        calls[kind]()
    assert refused.value.errors == {"lines": LINE_CAP}
    assert str(refused.value) == str(LINE_CAP) and str(MAX_LINES) in str(LINE_CAP)
    assert written() == before


def test_a_stocktake_of_the_full_cap_over_many_locations_posts(wide, clerk):
    """The balances are locked by flat lists: PostgreSQL once refused a list of pairs as
    this long ("stack depth limit exceeded")."""
    locations = [default_location_id()]
    warehouse = db.session.scalar(sa.text("SELECT warehouse_id FROM locations"))
    for n in range(7):
        db.session.execute(
            sa.text(
                "INSERT INTO locations (warehouse_id, code, is_default) VALUES (:w, :c, false)"
            ),
            {"w": warehouse, "c": f"A-0{n}"},
        )
    db.session.commit()
    locations = db.session.scalars(
        sa.text("SELECT id FROM locations WHERE NOT is_transit ORDER BY id")
    ).all()
    counted = wide[:MAX_LINES]
    with write_transaction():
        ledger.post(
            [ledger.Line(v, loc, 1) for v in counted for loc in locations],
            kind=MovementKind.INBOUND,
            operator_id=clerk,
            document_id=None,
        )
    assert len(locations) * len(counted) == 8_000
    counting.count(
        lines=[counting.CountLine(v, 0, len(locations)) for v in counted], operator_id=clerk
    )
    assert sum(on_hand(v) for v in counted[:5]) == 0
    assert row_count("movements") == 16_000


# --- supplier names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, second",
    [
        ("änderung gmbh", "Änderung GmbH"),
        ("Änderung GmbH", "Änderung GmbH"),
        ("Änderung GmbH", "ÄNDERUNG GMBH"),
        ("Straße Textil", "STRASSE TEXTIL"),
        ("ＡＢＣ纺织", "abc纺织"),
    ],
)
def test_a_supplier_name_is_taken_whatever_its_case(ctx, first, second):
    suppliers.save(name=first)
    with pytest.raises(InvalidInput) as refused:
        suppliers.save(name=second)
    assert refused.value.errors == {"name": suppliers.TAKEN}
    assert row_count("suppliers") == 1


def test_a_supplier_may_change_the_case_of_its_own_name(ctx):
    mill = suppliers.save(name="änderung gmbh")
    suppliers.save(name="Änderung GmbH", supplier_id=mill)
    other = suppliers.save(name="Hangzhou Mill")
    with pytest.raises(InvalidInput):
        suppliers.save(name="ÄNDERUNG GMBH", supplier_id=other)
    names = db.session.scalars(sa.text("SELECT name FROM suppliers ORDER BY id")).all()
    assert names == ["Änderung GmbH", "Hangzhou Mill"]
