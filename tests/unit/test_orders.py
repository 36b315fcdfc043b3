"""Allocation orders (配货单) and returns (退货) at the service tier.

Every transition (create → open → picking → completed → cancelled, open or
picking → cancelled) and every refusal. A refusal is checked against a snapshot
of every table it could touch (and the stock version): a failed call writes
nothing at all.
"""

import itertools
import threading
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import select

from stockapp.database import begin_write, write_transaction
from stockapp.extensions import db
from stockapp.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    Location,
    Movement,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    ReturnCondition,
    Role,
)
from stockapp.queries import order_page, stock_levels, stock_version
from stockapp.queries.orders import picked_in_full
from stockapp.services import catalogue, ledger, orders, receiving, returns, warehouses
from stockapp.services.errors import (
    AlreadyCancelled,
    AlreadyCompleted,
    DomainError,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from stockapp.services.returns import ReturnLine
from stockapp.services.warehouses import default_location_id, main_warehouse_id
from tests.support.db import held, on_hand

S, M, L = "A1024-Black-S", "A1024-Black-M", "A1024-Black-L"
TABLES = ("orders", "order_lines", "documents", "movements", "balances", "idempotency_records")
DAMAGED = ReturnCondition.DAMAGED


@pytest.fixture
def w(ctx, make_user, make_style):
    """The world of a test: a clerk, a manager and three sizes of one style; messages
    in English, whatever the translations say."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",))
    numbers = (f"PO-{n}" for n in itertools.count(1))
    with force_locale("en"):
        yield SimpleNamespace(
            clerk=make_user(Role.CLERK),
            manager=make_user(Role.MANAGER),
            s=skus[S],
            m=skus[M],
            l=skus[L],
            next_number=lambda: next(numbers),
            make_user=make_user,
        )


# ---------------------------------------------------------------- helpers


def receive(w, *lines):
    receiving.receive(lines=list(lines), operator_id=w.clerk)


def new_order(w, lines, *, picks=None, number=None) -> int:
    """Create an order (and record absolute picks, if given); return its id."""
    created = orders.create(
        number=number or w.next_number(), customer="Shop", lines=lines, operator_id=w.clerk
    )
    if picks:
        orders.record_picks(created["id"], lines=picks, operator_id=w.clerk)
    return created["id"]


def completed_order(w, lines, picks=None) -> tuple[int, dict]:
    order_id = new_order(w, lines, picks=picks or lines)
    return order_id, orders.complete(order_id, operator_id=w.manager)


def state() -> dict:
    """Every row a call could write, and the stock version."""
    snapshot = {
        table: db.session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()
        for table in TABLES
    }
    snapshot["version"] = stock_version()
    return snapshot


def refused(error_class, call, *args, **kwargs) -> DomainError:
    """Run a call that must be refused with exactly ``error_class``; assert it wrote nothing."""
    before = state()
    with pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    assert type(raised.value) is error_class, repr(raised.value)
    assert state() == before, "a refused call changed the database"
    return raised.value


def status_of(order_id: int) -> str:
    return db.session.scalar(select(Order.status).where(Order.id == order_id))


def lines_of(order_id: int) -> dict[int, tuple]:
    """variant → (ordered, picked, shipped, returned, reserving)."""
    rows = db.session.execute(
        select(
            OrderLine.variant_id,
            OrderLine.ordered,
            OrderLine.picked,
            OrderLine.shipped,
            OrderLine.returned,
            OrderLine.reserving,
        ).where(OrderLine.order_id == order_id)
    )
    return {v: (o, p, s, r, bool(res)) for v, o, p, s, r, res in rows}


def movements_of(document_id: int) -> list[tuple]:
    """(id, variant, location, delta, kind, reverses) of a document, in order."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                Movement.id,
                Movement.variant_id,
                Movement.location_id,
                Movement.delta,
                Movement.kind,
                Movement.reverses_id,
            )
            .where(Movement.document_id == document_id)
            .order_by(Movement.id)
        )
    ]


def documents_of(order_id: int) -> list[tuple]:
    """(id, kind, status, reverses) of the documents that belong to an order."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(Document.id, Document.kind, Document.status, Document.reverses_id)
            .where(Document.order_id == order_id)
            .order_by(Document.id)
        )
    ]


def level(variant_id: int) -> tuple[int, int, int]:
    """(on hand, reserved, available)."""
    found = stock_levels([variant_id])[variant_id]
    return found.on_hand, found.reserved, found.available


def shortfall(order_id: int) -> dict[int, int]:
    page = order_page(db.session.get(Order, order_id))
    return {
        cell["variant"].id: cell["short"]
        for group in page["styles"]
        for cell in group["cells"].values()
    }


def field_errors(error: DomainError) -> dict[str, str]:
    return {field: str(message) for field, message in error.errors.items()}


# ---------------------------------------------------------------- create


def test_create_reserves_and_leaves_on_hand_alone(w):
    receive(w, (w.s, 10), (w.m, 5))
    before_movements = state()["movements"]
    created = orders.create(
        number="PO-7", customer="Shop", lines=[(w.s, 3), (w.m, 2)], operator_id=w.clerk
    )
    assert created == {
        "id": created["id"],
        "number": "PO-7",
        "status": "open",
        "warehouse_id": main_warehouse_id(),
        "warehouse": "MAIN",
    }
    assert level(w.s) == (10, 3, 7) and level(w.m) == (5, 2, 3) and level(w.l) == (0, 0, 0)
    assert status_of(created["id"]) == OrderStatus.OPEN
    assert lines_of(created["id"]) == {w.s: (3, 0, 0, 0, True), w.m: (2, 0, 0, 0, True)}
    assert state()["movements"] == before_movements
    assert documents_of(created["id"]) == []


def test_an_order_may_ask_for_more_than_available_and_older_orders_are_covered_first(w):
    receive(w, (w.s, 5), (w.m, 1))
    older = new_order(w, [(w.s, 4)])
    newer = new_order(w, [(w.s, 3), (w.m, 1)])
    newest = new_order(w, [(w.s, 2)])
    assert level(w.s) == (5, 9, -4)
    # FIFO: the older order takes 4 of 5; the newer one gets the 1 left; the newest none.
    assert shortfall(older) == {w.s: 0}
    assert shortfall(newer) == {w.s: 2, w.m: 0}
    assert shortfall(newest) == {w.s: 2}
    assert order_page(db.session.get(Order, newer))["short"] == 2
    orders.cancel(older, operator_id=w.clerk)
    assert shortfall(newer) == {w.s: 0, w.m: 0}
    assert shortfall(newest) == {w.s: 0}
    assert level(w.s) == (5, 5, 0)


def test_a_duplicate_number_is_refused_on_the_number_field(w):
    first = new_order(w, [(w.s, 1)], number="PO-1")
    error = refused(
        InvalidInput,
        orders.create,
        number="PO-1",
        customer="Other",
        lines=[(w.m, 2)],
        operator_id=w.clerk,
    )
    assert set(error.errors) == {"number"} and "PO-1" in field_errors(error)["number"]
    assert lines_of(first) == {w.s: (1, 0, 0, 0, True)}


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("empty", "lines"),
        ("unknown variant", "lines[1]"),
        ("archived variant", "lines[1]"),
        ("variant twice", "lines[1]"),
        ("zero", "lines[1]"),
        ("negative", "lines[1]"),
    ],
)
def test_create_refuses_bad_lines_and_writes_nothing(w, case, field):
    catalogue.archive_variant(w.l)
    second = {
        "unknown variant": (999_999, 1),
        "archived variant": (w.l, 1),
        "variant twice": (w.s, 2),
        "zero": (w.m, 0),
        "negative": (w.m, -1),
    }
    lines = [] if case == "empty" else [(w.s, 1), second[case]]
    error = refused(
        InvalidInput,
        orders.create,
        number="PO-1",
        customer="Shop",
        lines=lines,
        operator_id=w.clerk,
    )
    assert set(error.errors) == {field}


def test_create_names_every_bad_line_at_once(w):
    error = refused(
        InvalidInput,
        orders.create,
        number="PO-1",
        customer="Shop",
        lines=[(w.s, 1), (w.s, 1), (999_999, 1), (w.m, 0), (w.l, 2)],
        operator_id=w.clerk,
    )
    messages = field_errors(error)
    assert set(messages) == {"lines[1]", "lines[2]", "lines[3]"}
    assert "twice" in messages["lines[1]"]
    assert "archived" in messages["lines[2]"]
    assert "at least one" in messages["lines[3]"]


# ---------------------------------------------------------------- picks


def test_an_order_is_picked_in_full_while_every_line_is_and_not_after(w):
    """The flag the managers' to-do counts follows the picks, both ways."""
    receive(w, (w.s, 10), (w.m, 10))
    order_id = new_order(w, [(w.s, 5), (w.m, 3)])
    other = new_order(w, [(w.s, 1)], picks=[(w.s, 1)])

    def in_full() -> set[int]:
        return set(db.session.scalars(select(Order.id).where(picked_in_full())))

    assert in_full() == {other}
    orders.record_picks(order_id, lines=[(w.s, 5), (w.m, 2)], operator_id=w.clerk)
    assert in_full() == {other}
    orders.record_picks(order_id, lines=[(w.m, 1)], operator_id=w.clerk, relative=True)
    assert in_full() == {order_id, other}
    orders.record_picks(order_id, lines=[(w.s, 4)], operator_id=w.clerk)
    assert in_full() == {other}
    orders.complete(other, operator_id=w.manager)
    assert in_full() == set()


def test_picks_move_the_order_to_picking_absolute_and_relative(w):
    receive(w, (w.s, 10), (w.m, 10))
    order_id = new_order(w, [(w.s, 5), (w.m, 3)])
    result = orders.record_picks(order_id, lines=[(w.s, 2)], operator_id=w.clerk)
    assert result == {"status": "picking", "picked": {str(w.s): 2, str(w.m): 0}}
    assert status_of(order_id) == OrderStatus.PICKING
    relative = orders.record_picks(
        order_id, lines=[(w.s, 1), (w.m, 3)], operator_id=w.clerk, relative=True
    )
    assert relative["picked"] == {str(w.s): 3, str(w.m): 3}
    absolute = orders.record_picks(order_id, lines=[(w.s, 1)], operator_id=w.clerk)
    assert absolute["picked"] == {str(w.s): 1, str(w.m): 3}  # replaces, does not add
    orders.record_picks(order_id, lines=[(w.s, -1)], operator_id=w.clerk, relative=True)
    assert lines_of(order_id) == {w.s: (5, 0, 0, 0, True), w.m: (3, 3, 0, 0, True)}
    assert status_of(order_id) == OrderStatus.PICKING
    # Picking moves no stock and keeps the whole order reserved.
    assert level(w.s) == (10, 5, 5) and level(w.m) == (10, 3, 7)


def test_picking_more_than_ordered_is_refused_naming_the_sku_and_nothing_is_written(w):
    order_id = new_order(w, [(w.s, 5), (w.m, 3)])
    error = refused(
        InvalidInput,
        orders.record_picks,
        order_id,
        lines=[(w.s, 2), (w.m, 4)],
        operator_id=w.clerk,
    )
    messages = field_errors(error)
    assert set(messages) == {"lines[1]"}
    assert M in messages["lines[1]"] and "4" in messages["lines[1]"] and "3" in messages["lines[1]"]
    # The good line of the same call was not kept, and the order is still open.
    assert lines_of(order_id) == {w.s: (5, 0, 0, 0, True), w.m: (3, 0, 0, 0, True)}
    assert status_of(order_id) == OrderStatus.OPEN
    orders.record_picks(order_id, lines=[(w.s, 4)], operator_id=w.clerk)
    error = refused(
        InvalidInput,
        orders.record_picks,
        order_id,
        lines=[(w.m, 1), (w.s, 2)],
        operator_id=w.clerk,
        relative=True,
    )
    assert set(error.errors) == {"lines[1]"} and "6" in field_errors(error)["lines[1]"]
    assert lines_of(order_id)[w.s][1] == 4 and lines_of(order_id)[w.m][1] == 0


@pytest.mark.parametrize("relative", [False, True])
def test_picked_cannot_go_below_zero(w, relative):
    order_id = new_order(w, [(w.s, 5)], picks=[(w.s, 2)])
    error = refused(
        InvalidInput,
        orders.record_picks,
        order_id,
        lines=[(w.s, -3 if relative else -1)],
        operator_id=w.clerk,
        relative=relative,
    )
    assert S in field_errors(error)["lines[0]"] and "below 0" in field_errors(error)["lines[0]"]
    assert lines_of(order_id)[w.s][1] == 2


def test_a_variant_not_on_the_order_cannot_be_picked(w):
    order_id = new_order(w, [(w.s, 5)])
    error = refused(
        InvalidInput,
        orders.record_picks,
        order_id,
        lines=[(w.s, 1), (w.l, 1), (424_242, 1)],
        operator_id=w.clerk,
    )
    messages = field_errors(error)
    assert set(messages) == {"lines[1]", "lines[2]"}
    assert L in messages["lines[1]"] and "not on this order" in messages["lines[1]"]
    assert "424242" in messages["lines[2]"]


def test_picks_on_a_completed_or_cancelled_order_are_refused(w):
    receive(w, (w.s, 5))
    done, _ = completed_order(w, [(w.s, 2)])
    gone = new_order(w, [(w.s, 2)])
    orders.cancel(gone, operator_id=w.clerk)
    for order_id in (done, gone):
        for relative in (False, True):
            refused(
                InvalidTransition,
                orders.record_picks,
                order_id,
                lines=[(w.s, 1)],
                operator_id=w.clerk,
                relative=relative,
            )
    refused(NotFound, orders.record_picks, 999_999, lines=[(w.s, 1)], operator_id=w.clerk)


# ---------------------------------------------------------------- complete


def test_complete_takes_stock_down_by_what_was_picked_not_what_was_ordered(w):
    receive(w, (w.s, 10), (w.m, 10), (w.l, 10))
    order_id = new_order(
        w, [(w.s, 5), (w.m, 3), (w.l, 2)], picks=[(w.s, 4), (w.m, 3)], number="PO-9"
    )
    assert level(w.s) == (10, 5, 5)
    result = orders.complete(order_id, operator_id=w.manager)

    assert level(w.s) == (6, 0, 6) and level(w.m) == (7, 0, 7) and level(w.l) == (10, 0, 10)
    assert status_of(order_id) == OrderStatus.COMPLETED
    # Shipped what was picked; the rest short-shipped; nothing reserves any more.
    assert lines_of(order_id) == {
        w.s: (5, 4, 4, 0, False),
        w.m: (3, 3, 3, 0, False),
        w.l: (2, 0, 0, 0, False),
    }
    assert shortfall(order_id) == {w.s: 1, w.m: 0, w.l: 2}
    assert order_page(db.session.get(Order, order_id))["shipped"] == 7
    order = db.session.get(Order, order_id)
    assert order.completed_by == w.manager and order.completed_at is not None

    document = result["document"]
    assert result["order"] == {
        "id": order_id,
        "number": "PO-9",
        "customer": "Shop",
        "status": "completed",
        "warehouse": "MAIN",
    }
    assert document["kind"] == "allocation" and document["number"].startswith("AL")
    assert documents_of(order_id) == [(document["id"], "allocation", "posted", None)]
    location = default_location_id()
    assert [m[1:] for m in movements_of(document["id"])] == [
        (w.s, location, -4, "allocation", None),
        (w.m, location, -3, "allocation", None),
    ]
    assert [(m["variant_id"], m["delta"], m["balance_after"]) for m in result["movements"]] == [
        (w.s, -4, 6),
        (w.m, -3, 7),
    ]
    notes = db.session.scalars(select(Movement.note).where(Movement.document_id == document["id"]))
    assert set(notes) == {"PO-9"}
    assert ledger.discrepancies() == []


def test_complete_takes_from_the_default_location_first_and_cancel_puts_back_there(w):
    with write_transaction():
        default = db.session.get(Location, default_location_id())
        shelf = Location(warehouse_id=default.warehouse_id, code="B-01")
        db.session.add(shelf)
        db.session.flush()
        shelf_id = shelf.id
        ledger.post(
            [ledger.Line(w.s, shelf_id, 5), ledger.Line(w.s, default_location_id(), 2)],
            kind=MovementKind.INBOUND,
            operator_id=w.clerk,
            document_id=None,
        )
    order_id, result = completed_order(w, [(w.s, 4)])
    assert [m[1:4] for m in movements_of(result["document"]["id"])] == [
        (w.s, default_location_id(), -2),
        (w.s, shelf_id, -2),
    ]
    assert on_hand(w.s) == 3
    orders.cancel(order_id, operator_id=w.manager, reason="wrong shop", may_reverse=True)
    per_location = dict(
        db.session.execute(
            sa.text("SELECT location_id, qty FROM balances WHERE variant_id = :v"), {"v": w.s}
        ).all()
    )
    assert per_location == {default_location_id(): 2, shelf_id: 5}
    assert ledger.discrepancies() == []


def test_an_order_with_nothing_picked_is_not_completed(w):
    """Completing an order with nothing picked is a mistaken tap: cancel it instead."""
    receive(w, (w.s, 10))
    order_id = new_order(w, [(w.s, 3)])
    before = state()
    error = refused(InvalidTransition, orders.complete, order_id, operator_id=w.manager)
    assert "cancel" in str(error.detail)
    assert state() == before
    assert status_of(order_id) == OrderStatus.OPEN
    assert level(w.s) == (10, 3, 7)


def test_complete_refused_for_shortage_names_every_short_sku_and_changes_nothing(w):
    receive(w, (w.s, 1), (w.m, 5))
    order_id = new_order(w, [(w.s, 3), (w.m, 2), (w.l, 2)], picks=[(w.s, 3), (w.m, 2), (w.l, 2)])
    error = refused(InsufficientStock, orders.complete, order_id, operator_id=w.manager)
    assert {(x.sku, x.on_hand, x.requested, x.short) for x in error.shortages} == {
        (S, 1, 3, 2),
        (L, 0, 2, 2),
    }
    assert S in error.detail and L in error.detail and M not in error.detail
    assert status_of(order_id) == OrderStatus.PICKING
    assert level(w.s) == (1, 3, -2) and level(w.m) == (5, 2, 3)
    # Once the stock arrives the same order completes.
    receive(w, (w.s, 2), (w.l, 2))
    orders.complete(order_id, operator_id=w.manager)
    assert (on_hand(w.s), on_hand(w.m), on_hand(w.l)) == (0, 3, 0)


def test_a_second_completion_is_refused_and_posts_nothing(w):
    receive(w, (w.s, 5))
    order_id, _ = completed_order(w, [(w.s, 2)])
    refused(AlreadyCompleted, orders.complete, order_id, operator_id=w.manager)
    assert on_hand(w.s) == 3 and len(documents_of(order_id)) == 1
    refused(NotFound, orders.complete, 999_999, operator_id=w.manager)


def test_a_completion_replayed_with_its_idempotency_key_returns_the_first_result(w):
    receive(w, (w.s, 5))
    order_id = new_order(w, [(w.s, 2)], picks=[(w.s, 2)])
    first = orders.complete(order_id, operator_id=w.manager, idempotency_key="tap-1")
    before = state()
    again = orders.complete(order_id, operator_id=w.manager, idempotency_key="tap-1")
    assert again == first
    assert state() == before  # nothing posted, stock version unchanged
    assert on_hand(w.s) == 3 and len(documents_of(order_id)) == 1
    other = new_order(w, [(w.s, 1)], picks=[(w.s, 1)])
    refused(
        IdempotencyKeyReused,
        orders.complete,
        other,
        operator_id=w.manager,
        idempotency_key="tap-1",
    )


def test_picks_replayed_with_their_idempotency_key_return_the_first_result(w):
    order_id = new_order(w, [(w.s, 5)])
    first = orders.record_picks(
        order_id, lines=[(w.s, 1)], operator_id=w.clerk, relative=True, idempotency_key="scan-1"
    )
    again = orders.record_picks(
        order_id, lines=[(w.s, 1)], operator_id=w.clerk, relative=True, idempotency_key="scan-1"
    )
    assert lines_of(order_id)[w.s][1] == 1  # the replay added nothing
    assert again == first


# ---------------------------------------------------------------- cancel


@pytest.mark.parametrize("picked", [False, True])
def test_cancelling_an_open_or_picking_order_releases_its_reservation(w, picked):
    receive(w, (w.s, 5))
    order_id = new_order(w, [(w.s, 3)], picks=[(w.s, 2)] if picked else None)
    assert status_of(order_id) == (OrderStatus.PICKING if picked else OrderStatus.OPEN)
    result = orders.cancel(order_id, operator_id=w.clerk)
    assert result == {
        "order": {
            "id": order_id,
            "number": result["order"]["number"],
            "status": "cancelled",
            "warehouse": "MAIN",
        },
        "reversal": None,
    }
    assert status_of(order_id) == OrderStatus.CANCELLED
    assert level(w.s) == (5, 0, 5)
    assert lines_of(order_id)[w.s][4] is False
    assert documents_of(order_id) == []
    order = db.session.get(Order, order_id)
    assert order.cancelled_by == w.clerk and order.cancelled_at is not None


def test_cancelling_a_completed_order_reverses_exactly_what_it_took(w):
    receive(w, (w.s, 10), (w.m, 10))
    order_id, done = completed_order(w, [(w.s, 4), (w.m, 3)], picks=[(w.s, 4), (w.m, 1)])
    assert (on_hand(w.s), on_hand(w.m)) == (6, 9)
    result = orders.cancel(
        order_id, operator_id=w.manager, reason="customer refused", may_reverse=True
    )
    assert (on_hand(w.s), on_hand(w.m)) == (10, 10)
    assert level(w.s) == (10, 0, 10)  # a cancelled order reserves nothing
    assert status_of(order_id) == OrderStatus.CANCELLED
    assert db.session.get(Order, order_id).cancel_reason == "customer refused"

    allocation, reversal = done["document"]["id"], result["reversal"]["document"]["id"]
    assert documents_of(order_id) == [
        (allocation, "allocation", "reversed", None),
        (reversal, "reversal", "posted", allocation),
    ]
    taken = {m[0]: m for m in movements_of(allocation)}
    back = movements_of(reversal)
    assert len(back) == len(taken) == 2
    for _, variant, location, delta, kind, reverses in back:
        original = taken[reverses]
        assert (variant, location, delta, kind) == (
            original[1],
            original[2],
            -original[3],
            "reversal",
        )
    assert {m["reverses"] for m in result["reversal"]["movements"]} == set(taken)
    notes = db.session.scalars(select(Movement.note).where(Movement.document_id == reversal))
    assert set(notes) == {"customer refused"}
    assert ledger.discrepancies() == []


def test_cancelling_a_completed_order_needs_a_manager_and_a_reason(w):
    receive(w, (w.s, 5))
    order_id, _ = completed_order(w, [(w.s, 2)])
    refused(NotPermitted, orders.cancel, order_id, operator_id=w.clerk, reason="oops")
    error = refused(InvalidInput, orders.cancel, order_id, operator_id=w.manager, may_reverse=True)
    assert set(error.errors) == {"reason"}
    assert status_of(order_id) == OrderStatus.COMPLETED and on_hand(w.s) == 3


def test_a_completed_order_with_returns_cannot_be_cancelled(w):
    receive(w, (w.s, 5))
    order_id, _ = completed_order(w, [(w.s, 3)])
    returns.book_return(lines=[ReturnLine(w.s, 1)], operator_id=w.clerk, order_id=order_id)
    error = refused(
        InvalidTransition,
        orders.cancel,
        order_id,
        operator_id=w.manager,
        reason="late",
        may_reverse=True,
    )
    assert "return" in str(error.detail)
    assert status_of(order_id) == OrderStatus.COMPLETED and on_hand(w.s) == 3


def test_a_second_cancel_is_refused_and_posts_nothing(w):
    receive(w, (w.s, 5))
    was_open = new_order(w, [(w.s, 1)])
    orders.cancel(was_open, operator_id=w.clerk)
    was_completed, _ = completed_order(w, [(w.s, 2)])
    orders.cancel(was_completed, operator_id=w.manager, reason="r", may_reverse=True)
    for order_id in (was_open, was_completed):
        refused(AlreadyCancelled, orders.cancel, order_id, operator_id=w.clerk)
        refused(
            AlreadyCancelled,
            orders.cancel,
            order_id,
            operator_id=w.manager,
            reason="again",
            may_reverse=True,
        )
    assert on_hand(w.s) == 5 and len(documents_of(was_completed)) == 2
    refused(NotFound, orders.cancel, 999_999, operator_id=w.manager)


def test_a_cancelled_order_cannot_be_completed(w):
    receive(w, (w.s, 5))
    order_id = new_order(w, [(w.s, 2)], picks=[(w.s, 2)])
    orders.cancel(order_id, operator_id=w.clerk)
    error = refused(InvalidTransition, orders.complete, order_id, operator_id=w.manager)
    assert "cancelled" in str(error.detail)
    assert on_hand(w.s) == 5


def test_the_allocation_document_is_reversed_only_through_its_order(w):
    receive(w, (w.s, 5))
    order_id, done = completed_order(w, [(w.s, 2)])
    other = new_order(w, [(w.s, 1)])
    for wrong in (None, other):
        before = state()
        with pytest.raises(InvalidTransition) as error, write_transaction():
            ledger.reverse(
                done["document"]["id"], operator_id=w.manager, reason="x", order_id=wrong
            )
        assert "allocation order" in str(error.value.detail)
        assert state() == before
    assert documents_of(order_id) == [(done["document"]["id"], "allocation", "posted", None)]
    orders.cancel(order_id, operator_id=w.manager, reason="through the order", may_reverse=True)
    assert on_hand(w.s) == 5


# ---------------------------------------------------------------- returns


def test_a_resellable_return_against_a_completed_order_adds_stock(w):
    receive(w, (w.s, 5), (w.m, 5))
    order_id, _ = completed_order(w, [(w.s, 4), (w.m, 2)])
    result = returns.book_return(
        lines=[ReturnLine(w.s, 2)], operator_id=w.clerk, order_id=order_id, note="wrong colour"
    )
    assert (on_hand(w.s), on_hand(w.m)) == (3, 3)
    document = result["document"]
    assert document["kind"] == "return" and document["number"].startswith("RT")
    assert documents_of(order_id)[-1] == (document["id"], "return", "posted", None)
    assert [m[1:] for m in movements_of(document["id"])] == [
        (w.s, default_location_id(), 2, "return", None)
    ]
    assert lines_of(order_id) == {w.s: (4, 4, 4, 2, False), w.m: (2, 2, 2, 0, False)}
    assert status_of(order_id) == OrderStatus.COMPLETED
    assert ledger.discrepancies() == []


def test_a_damaged_return_is_booked_and_written_off_in_one_document(w):
    receive(w, (w.s, 5), (w.m, 5))
    order_id, _ = completed_order(w, [(w.s, 4), (w.m, 2)])
    result = returns.book_return(
        lines=[ReturnLine(w.s, 3, DAMAGED), ReturnLine(w.m, 1)],
        operator_id=w.clerk,
        order_id=order_id,
    )
    assert (on_hand(w.s), on_hand(w.m)) == (1, 4)  # the damaged ones never rejoin stock
    location = default_location_id()
    assert [m[1:] for m in movements_of(result["document"]["id"])] == [
        (w.s, location, 3, "return", None),
        (w.m, location, 1, "return", None),
        (w.s, location, -3, "write_off", None),
    ]
    assert [(m["kind"], m["delta"], m["balance_after"]) for m in result["movements"]] == [
        ("return", 3, 4),
        ("return", 1, 4),
        ("write_off", -3, 1),
    ]
    assert lines_of(order_id)[w.s][3] == 3 and lines_of(order_id)[w.m][3] == 1
    assert ledger.discrepancies() == []


def test_returns_never_exceed_what_the_order_shipped_net_of_earlier_returns(w):
    receive(w, (w.s, 10), (w.m, 10))
    order_id, _ = completed_order(w, [(w.s, 5), (w.m, 2)], picks=[(w.s, 4), (w.m, 2)])
    returns.book_return(lines=[ReturnLine(w.s, 3)], operator_id=w.clerk, order_id=order_id)
    error = refused(
        InvalidInput,
        returns.book_return,
        lines=[ReturnLine(w.m, 1), ReturnLine(w.s, 2, DAMAGED)],
        operator_id=w.clerk,
        order_id=order_id,
    )
    message = field_errors(error)["lines[1]"]
    assert set(error.errors) == {"lines[1]"}
    assert S in message and "4" in message and "3" in message
    assert lines_of(order_id)[w.m][3] == 0  # the good line of the refused call was not kept
    # Ordered 5 but shipped 4: the fourth piece may come back, a fifth may not.
    returns.book_return(lines=[ReturnLine(w.s, 1, DAMAGED)], operator_id=w.clerk, order_id=order_id)
    refused(
        InvalidInput,
        returns.book_return,
        lines=[ReturnLine(w.s, 1)],
        operator_id=w.clerk,
        order_id=order_id,
    )
    # The same variant twice in one document counts both lines.
    error = refused(
        InvalidInput,
        returns.book_return,
        lines=[ReturnLine(w.m, 1), ReturnLine(w.m, 2)],
        operator_id=w.clerk,
        order_id=order_id,
    )
    assert set(error.errors) == {"lines[1]"}
    error = refused(
        InvalidInput,
        returns.book_return,
        lines=[ReturnLine(w.l, 1)],
        operator_id=w.clerk,
        order_id=order_id,
    )
    assert "not on the order" in field_errors(error)["lines[0]"]
    assert lines_of(order_id)[w.s][2:4] == (4, 4) and on_hand(w.s) == 9


def test_returns_against_an_order_that_has_not_shipped_are_refused(w):
    receive(w, (w.s, 5))
    still_open = new_order(w, [(w.s, 2)])
    picking = new_order(w, [(w.s, 2)], picks=[(w.s, 2)])
    cancelled = new_order(w, [(w.s, 2)])
    orders.cancel(cancelled, operator_id=w.clerk)
    reversed_, _ = completed_order(w, [(w.s, 2)])
    orders.cancel(reversed_, operator_id=w.manager, reason="r", may_reverse=True)
    for order_id in (still_open, picking, cancelled, reversed_):
        refused(
            InvalidTransition,
            returns.book_return,
            lines=[ReturnLine(w.s, 1)],
            operator_id=w.clerk,
            order_id=order_id,
        )
    refused(
        NotFound,
        returns.book_return,
        lines=[ReturnLine(w.s, 1)],
        operator_id=w.clerk,
        order_id=999_999,
    )
    assert on_hand(w.s) == 5


def test_a_return_without_an_order_adds_stock_and_can_be_reversed_on_its_own(w):
    result = returns.book_return(
        lines=[ReturnLine(w.s, 2), ReturnLine(w.m, 1, DAMAGED)], operator_id=w.clerk, note="walk-in"
    )
    assert (on_hand(w.s), on_hand(w.m)) == (2, 0)
    document = db.session.get(Document, result["document"]["id"])
    assert document.kind == DocumentKind.RETURN and document.order_id is None
    assert [m[3:5] for m in movements_of(document.id)] == [
        (2, "return"),
        (1, "return"),
        (-1, "write_off"),
    ]
    with write_transaction():
        ledger.reverse(document.id, operator_id=w.manager, reason="booked twice")
    assert (on_hand(w.s), on_hand(w.m)) == (0, 0)
    assert db.session.get(Document, document.id).status == DocumentStatus.REVERSED
    assert ledger.discrepancies() == []


@pytest.mark.parametrize("case", ["empty", "zero", "negative"])
@pytest.mark.parametrize("against_order", [False, True])
def test_a_return_needs_lines_with_pieces(w, case, against_order):
    receive(w, (w.s, 5))
    order_id = completed_order(w, [(w.s, 3)])[0] if against_order else None
    lines = {
        "empty": [],
        "zero": [ReturnLine(w.s, 1), ReturnLine(w.s, 0)],
        "negative": [ReturnLine(w.s, -1)],
    }[case]
    error = refused(
        InvalidInput, returns.book_return, lines=lines, operator_id=w.clerk, order_id=order_id
    )
    assert set(error.errors) == {"lines"}


# ---------------------------------------------------------------- stock version


def test_the_stock_version_rises_with_every_write_and_never_with_a_refusal(w):
    seen = [stock_version()]

    def rose():
        now = stock_version()
        assert now > seen[-1], "a successful write did not raise the stock version"
        seen.append(now)

    def refuse(error_class, call, *args, **kwargs):
        refused(error_class, call, *args, **kwargs)  # checks the version among the rest
        assert stock_version() == seen[-1]

    receive(w, (w.s, 3))
    rose()
    order_id = new_order(w, [(w.s, 2), (w.m, 1)])
    rose()
    refuse(InvalidInput, orders.create, number="x", customer="c", lines=[], operator_id=w.clerk)
    orders.record_picks(order_id, lines=[(w.s, 2)], operator_id=w.clerk)
    rose()
    orders.record_picks(order_id, lines=[(w.m, 1)], operator_id=w.clerk, relative=True)
    rose()
    refuse(InvalidInput, orders.record_picks, order_id, lines=[(w.s, 9)], operator_id=w.clerk)
    refuse(InsufficientStock, orders.complete, order_id, operator_id=w.manager)
    orders.record_picks(order_id, lines=[(w.m, 0)], operator_id=w.clerk)
    rose()
    orders.complete(order_id, operator_id=w.manager, idempotency_key="k")
    rose()
    orders.complete(order_id, operator_id=w.manager, idempotency_key="k")  # a replay
    assert stock_version() == seen[-1]
    refuse(AlreadyCompleted, orders.complete, order_id, operator_id=w.manager)
    returns.book_return(lines=[ReturnLine(w.s, 1, DAMAGED)], operator_id=w.clerk, order_id=order_id)
    rose()
    refuse(
        InvalidInput,
        returns.book_return,
        lines=[ReturnLine(w.s, 2)],
        operator_id=w.clerk,
        order_id=order_id,
    )
    refuse(
        InvalidTransition,
        orders.cancel,
        order_id,
        operator_id=w.manager,
        reason="r",
        may_reverse=True,
    )
    other, _ = completed_order(w, [(w.s, 1)])
    rose()
    orders.cancel(other, operator_id=w.manager, reason="r", may_reverse=True)
    rose()
    refuse(AlreadyCancelled, orders.cancel, other, operator_id=w.manager)
    open_one = new_order(w, [(w.l, 1)])
    rose()
    orders.cancel(open_one, operator_id=w.clerk)
    rose()


# ------------------------------------------- a request that read the order first


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name == "sqlite":
        pytest.skip(
            "on SQLite an open write transaction holds the write lock: "
            "no other writer can commit in between"
        )


def elsewhere(app, call, *args, **kwargs) -> None:
    """Run a service call from another thread (its own session and connection)."""
    failures = []

    def work():
        with app.app_context():
            try:
                call(*args, **kwargs)
            except Exception as error:  # reported below
                failures.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and failures == []


def test_cancel_inside_a_request_sees_a_completion_committed_after_the_order_was_read(
    app, w, postgres_only
):
    """A POST on PostgreSQL opens its transaction up front and may load the order
    before it calls the service; the service must still decide on the order as it
    is once locked, not as the request first read it."""
    receive(w, (w.s, 5))
    order_id = new_order(w, [(w.s, 2)], picks=[(w.s, 2)])
    db.session.remove()
    begin_write()
    order = db.session.get(Order, order_id)  # the view keeps it to render the page
    assert order.status == OrderStatus.PICKING
    elsewhere(app, orders.complete, order_id, operator_id=w.manager)
    with pytest.raises(NotPermitted):
        orders.cancel(order.id, operator_id=w.clerk)
    db.session.remove()
    assert status_of(order_id) == OrderStatus.COMPLETED and on_hand(w.s) == 3


def test_a_return_inside_a_request_sees_a_cancel_committed_after_the_order_was_read(
    app, w, postgres_only
):
    receive(w, (w.s, 5))
    order_id, _ = completed_order(w, [(w.s, 2)])
    db.session.remove()
    begin_write()
    order = db.session.get(Order, order_id)
    assert order.status == OrderStatus.COMPLETED
    elsewhere(app, orders.cancel, order_id, operator_id=w.manager, reason="r", may_reverse=True)
    with pytest.raises(InvalidTransition):
        returns.book_return(lines=[ReturnLine(w.s, 2)], operator_id=w.clerk, order_id=order.id)
    db.session.remove()
    assert status_of(order_id) == OrderStatus.CANCELLED and on_hand(w.s) == 5


def test_cancel_inside_a_request_sees_a_return_committed_after_the_lines_were_read(
    app, w, postgres_only
):
    receive(w, (w.s, 5))
    order_id, _ = completed_order(w, [(w.s, 2)])
    db.session.remove()
    begin_write()
    order = db.session.get(Order, order_id)
    assert [line.returned for line in order.lines] == [0]  # the page shows the lines
    elsewhere(
        app, returns.book_return, lines=[ReturnLine(w.s, 1)], operator_id=w.clerk, order_id=order_id
    )
    with pytest.raises(InvalidTransition):
        orders.cancel(order.id, operator_id=w.manager, reason="r", may_reverse=True)
    db.session.remove()
    assert status_of(order_id) == OrderStatus.COMPLETED and on_hand(w.s) == 4


# ---------------------------------------------------------------- warehouses


@pytest.fixture
def shop(w):
    """A second warehouse SH with a bin A-01 and a quarantine bin Q, its clerk (SH only)
    and a clerk of both warehouses; the clerk and manager of ``w`` keep MAIN (the
    manager every warehouse)."""
    sh = warehouses.create_warehouse(code="SH", name="Shop", actor_id=w.manager)
    bin_a = warehouses.create_location(warehouse_id=sh, code="A-01", actor_id=w.manager)
    quarantine = warehouses.create_location(
        warehouse_id=sh, code="Q", is_quarantine=True, actor_id=w.manager
    )
    clerk = w.make_user(Role.CLERK)
    both = w.make_user(Role.CLERK)
    warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=[sh], actor_id=w.manager)
    warehouses.set_user_warehouses(
        user_id=both, warehouse_ids=[sh, main_warehouse_id()], actor_id=w.manager
    )
    return SimpleNamespace(id=sh, bin=bin_a, quarantine=quarantine, clerk=clerk, both=both)


def test_an_order_ships_from_the_users_own_warehouse_or_the_one_chosen(w, shop):
    mine = orders.create(number="PO-1", customer="A", lines=[(w.s, 1)], operator_id=shop.clerk)
    assert (mine["warehouse_id"], mine["warehouse"]) == (shop.id, "SH")
    main = orders.create(number="PO-2", customer="A", lines=[(w.s, 1)], operator_id=shop.both)
    assert main["warehouse"] == "MAIN", "a user of the main warehouse: the main one"
    chosen = orders.create(
        number="PO-3", customer="A", lines=[(w.s, 1)], operator_id=shop.both, warehouse_id=shop.id
    )
    assert chosen["warehouse"] == "SH"
    assert db.session.get(Order, chosen["id"]).warehouse_id == shop.id


def test_an_order_from_a_warehouse_the_user_does_not_work_in_is_refused(w, shop):
    refused(
        NotPermitted,
        orders.create,
        number="PO-1",
        customer="A",
        lines=[(w.s, 1)],
        operator_id=shop.clerk,
        warehouse_id=main_warehouse_id(),
    )
    refused(
        NotFound,
        orders.create,
        number="PO-1",
        customer="A",
        lines=[(w.s, 1)],
        operator_id=w.manager,
        warehouse_id=99_999,
    )
    other = warehouses.create_warehouse(code="BJ", name="Beijing", actor_id=w.manager)
    warehouses.change_warehouse(warehouse_id=other, active=False, actor_id=w.manager)
    error = refused(
        InvalidInput,
        orders.create,
        number="",
        customer="A",
        lines=[(w.s, 0)],
        operator_id=w.manager,
        warehouse_id=other,
    )
    assert set(error.errors) == {"lines[0]", "warehouse"}, "every bad field at once"
    assert "deactivated" in str(error.errors["warehouse"])


def test_every_action_on_an_order_needs_a_user_of_its_warehouse(w, shop):
    receive(w, (w.s, 5))
    order_id = new_order(w, [(w.s, 2)])
    for call, kwargs in [
        (orders.record_picks, {"lines": [(w.s, 1)]}),
        (orders.complete, {}),
        (orders.cancel, {}),
    ]:
        error = refused(NotPermitted, call, order_id, operator_id=shop.clerk, **kwargs)
        assert str(error) == "You do not work in this warehouse."
    orders.record_picks(order_id, lines=[(w.s, 2)], operator_id=shop.both)
    orders.complete(order_id, operator_id=w.manager)
    refused(NotPermitted, orders.complete, order_id, operator_id=shop.clerk)
    refused(
        NotPermitted,
        returns.book_return,
        lines=[ReturnLine(w.s, 1)],
        order_id=order_id,
        operator_id=shop.clerk,
    )
    refused(
        NotPermitted,
        orders.cancel,
        order_id,
        operator_id=shop.clerk,
        reason="wrong",
        may_reverse=True,
    )


def test_completion_takes_from_the_orders_warehouse_only(w, shop):
    receive(w, (w.s, 4))  # MAIN's default location
    receiving.receive(
        lines=[(w.s, 3), (w.m, 1)],
        operator_id=shop.clerk,
        warehouse_id=shop.id,
        location_id=shop.bin,
    )
    order_id = orders.create(
        number="PO-1", customer="A", lines=[(w.s, 3), (w.m, 1)], operator_id=shop.clerk
    )["id"]
    orders.record_picks(order_id, lines=[(w.s, 3), (w.m, 1)], operator_id=shop.clerk)
    result = orders.complete(order_id, operator_id=w.manager)
    assert {(m["variant_id"], m["location_id"], m["delta"]) for m in result["movements"]} == {
        (w.s, shop.bin, -3),
        (w.m, shop.bin, -1),
    }
    assert result["order"]["warehouse"] == "SH"
    assert held(w.s, shop.bin) == 0 and held(w.s, default_location_id()) == 4


def test_completion_is_refused_naming_the_warehouse_when_only_another_holds_the_stock(w, shop):
    receive(w, (w.s, 10))  # all of it in MAIN
    receiving.receive(
        lines=[(w.s, 1)], operator_id=shop.clerk, warehouse_id=shop.id, location_id=shop.bin
    )
    order_id = orders.create(number="PO-1", customer="A", lines=[(w.s, 3)], operator_id=shop.clerk)[
        "id"
    ]
    orders.record_picks(order_id, lines=[(w.s, 3)], operator_id=shop.clerk)
    error = refused(InsufficientStock, orders.complete, order_id, operator_id=w.manager)
    assert [(s.sku, s.location, s.on_hand, s.requested, s.short) for s in error.shortages] == [
        (S, "SH", 1, 3, 2)
    ]
    assert status_of(order_id) == OrderStatus.PICKING


def test_availability_on_the_order_page_is_its_warehouses(w, shop):
    receive(w, (w.s, 10))
    receiving.receive(
        lines=[(w.s, 4)], operator_id=shop.clerk, warehouse_id=shop.id, location_id=shop.bin
    )
    new_order(w, [(w.s, 6)])  # MAIN reserves 6 of its 10
    older = orders.create(number="SH-1", customer="A", lines=[(w.s, 3)], operator_id=shop.clerk)
    younger = orders.create(number="SH-2", customer="A", lines=[(w.s, 2)], operator_id=shop.clerk)

    def cell(order_id):
        page = order_page(db.session.get(Order, order_id))
        (found,) = (c for g in page["styles"] for c in g["cells"].values())
        return found["level"].as_dict(), found["short"], found["bins"]

    # SH: 4 on hand, its two orders reserve 5; MAIN's 10 and its order count for nothing.
    assert cell(older["id"]) == (
        {"on_hand": 4, "reserved": 5, "available": -1},
        0,
        [("A-01", 4)],
    )
    assert cell(younger["id"])[1] == 1, "the younger order is short by what the older leaves"
    assert level(w.s) == (14, 11, 3), "over every warehouse, as before"


def test_a_return_goes_back_into_the_orders_warehouse(w, shop):
    receiving.receive(
        lines=[(w.s, 5)], operator_id=shop.clerk, warehouse_id=shop.id, location_id=shop.bin
    )
    order_id = orders.create(number="PO-1", customer="A", lines=[(w.s, 4)], operator_id=shop.clerk)[
        "id"
    ]
    orders.record_picks(order_id, lines=[(w.s, 4)], operator_id=shop.clerk)
    orders.complete(order_id, operator_id=w.manager)
    booked = returns.book_return(
        lines=[ReturnLine(w.s, 2), ReturnLine(w.s, 1, DAMAGED)],
        order_id=order_id,
        operator_id=shop.both,
    )
    assert [(m["location_id"], m["delta"], m["kind"]) for m in booked["movements"]] == [
        (shop.bin, 2, "return"),
        (shop.quarantine, 1, "return"),
    ], "resellable into its usual bin, damaged kept apart in its quarantine bin"
    assert held(w.s, shop.bin) == 3 and held(w.s, shop.quarantine) == 1
    assert held(w.s, default_location_id()) == 0
    refused(
        InvalidInput,
        returns.book_return,
        lines=[ReturnLine(w.s, 1)],
        order_id=order_id,
        warehouse_id=main_warehouse_id(),
        operator_id=shop.both,
    )


def test_a_return_without_an_order_goes_into_the_users_warehouse_or_the_chosen_one(w, shop):
    mine = returns.book_return(lines=[ReturnLine(w.s, 2)], operator_id=shop.clerk)
    assert [(m["location_id"], m["delta"]) for m in mine["movements"]] == [
        (warehouses.usual_locations([w.s], shop.id)[w.s], 2)
    ]
    chosen = returns.book_return(
        lines=[ReturnLine(w.s, 1, DAMAGED)], operator_id=shop.both, warehouse_id=main_warehouse_id()
    )
    assert [(m["location_id"], m["delta"], m["kind"]) for m in chosen["movements"]] == [
        (default_location_id(), 1, "return"),
        (default_location_id(), -1, "write_off"),
    ], "MAIN has no quarantine bin: written off at once, as before"
    refused(
        NotPermitted,
        returns.book_return,
        lines=[ReturnLine(w.s, 1)],
        operator_id=shop.clerk,
        warehouse_id=main_warehouse_id(),
    )
