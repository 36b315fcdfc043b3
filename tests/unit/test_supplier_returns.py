"""Returns to the supplier (退供应商): submitted by a clerk, approved or rejected by a
manager, against a purchase order or not; only posting takes the pieces out of their
bins, and a posted return is reversed like any document. After every write the ledger
still adds up (here, and in the ``app`` fixture's teardown)."""

import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from stockapp.extensions import db
from stockapp.models import (
    DocumentStatus,
    Movement,
    MovementKind,
    PurchaseOrder,
    Role,
    SupplierReturn,
)
from stockapp.queries.supplier_returns import po_returned
from stockapp.services import (
    ledger,
    moves,
    receiving,
    reversals,
    settings,
    supplier_returns,
    suppliers,
    warehouses,
)
from stockapp.services.errors import (
    AlreadyApproved,
    AlreadyReversed,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from tests.support.db import held, placed_po, row_count, written


@pytest.fixture
def shop(ctx, make_user, make_style):
    """PO-1 from 广州服装厂 (A1024 Black S 6, M 4) received: S 3 good and 2 damaged (into
    MAIN's quarantine bin Q-1), M 4 good, into the default bin. Another supplier, and a
    warehouse SH (its bin SH-A) whose clerk works only there."""
    skus = make_style("A1024", sizes=("S", "M"), colours=("Black",))
    clerk, manager = make_user(Role.CLERK), make_user(Role.MANAGER)
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    main = warehouses.main_warehouse_id()
    quarantine = warehouses.create_location(warehouse_id=main, code="Q-1", is_quarantine=True)
    po = placed_po(skus, manager)
    receiving.create(
        po_id=po,
        lines=[receiving.ArrivedLine(s, 3, damaged=2), receiving.ArrivedLine(m, 4)],
        operator_id=manager,
        submit=True,
    )
    sh = warehouses.create_warehouse(code="SH", name="上海仓")
    sh_bin = warehouses.create_location(warehouse_id=sh, code="SH-A")
    sh_clerk = make_user(Role.CLERK)
    warehouses.set_user_warehouses(user_id=sh_clerk, warehouse_ids=[sh])
    return {
        "clerk": clerk,
        "manager": manager,
        "sh_clerk": sh_clerk,
        "s": s,
        "m": m,
        "po": po,
        "supplier": db.session.get(PurchaseOrder, po).supplier_id,
        "other_supplier": suppliers.save(name="杭州面料"),
        "default": warehouses.default_location_id(),
        "q": quarantine,
        "sh_bin": sh_bin,
    }


def english(message) -> str:
    """A lazy message as an English-speaking user reads it (the tests' context is zh)."""
    with force_locale("en"):
        return str(message)


def submit(shop, lines=None, who="clerk", **extra):
    return supplier_returns.submit(
        supplier_id=extra.pop("supplier_id", shop["supplier"]),
        po_id=extra.pop("po_id", shop["po"]),
        lines=lines or [(shop["s"], shop["q"], 2)],
        reason=extra.pop("reason", "damaged"),
        operator_id=shop[who],
        note=extra.pop("note", "破洞"),
        **extra,
    )


def test_a_clerks_return_from_quarantine_waits_and_moves_nothing_until_approved(shop):
    result = submit(shop, [(shop["s"], shop["q"], 2), (shop["m"], shop["default"], 1)])
    document = result["document"]
    assert document["number"].startswith("SR") and document["status"] == "submitted"
    assert result["movements"] == []
    assert (held(shop["s"], shop["q"]), held(shop["m"], shop["default"])) == (2, 4)
    assert po_returned(shop["po"]) == {}
    assert po_returned(shop["po"], waiting=True) == {shop["s"]: 2, shop["m"]: 1}
    approved = supplier_returns.approve(document["id"], operator_id=shop["manager"])
    assert approved["document"]["status"] == DocumentStatus.POSTED
    assert [(m["kind"], m["location_id"], m["delta"]) for m in approved["movements"]] == [
        (MovementKind.SUPPLIER_RETURN, shop["q"], -2),
        (MovementKind.SUPPLIER_RETURN, shop["default"], -1),
    ]
    assert (held(shop["s"], shop["q"]), held(shop["m"], shop["default"])) == (0, 3)
    header = db.session.get(SupplierReturn, document["id"])
    assert (header.decided_by, header.reason, header.po_id) == (
        shop["manager"],
        "damaged",
        shop["po"],
    )
    operators = db.session.scalars(
        select(Movement.operator_id).where(Movement.document_id == document["id"])
    ).all()
    assert set(operators) == {shop["manager"]}
    assert po_returned(shop["po"]) == {shop["s"]: 2, shop["m"]: 1}
    assert ledger.discrepancies() == []


def test_a_managers_return_and_one_without_approval_post_at_once(shop):
    result = submit(shop, [(shop["m"], shop["default"], 1)], who="manager", po_id=None)
    assert result["document"]["status"] == DocumentStatus.POSTED
    settings.update({"write_offs_need_approval": False})
    result = submit(shop, [(shop["s"], shop["q"], 1)])
    assert result["document"]["status"] == DocumentStatus.POSTED
    assert (held(shop["m"], shop["default"]), held(shop["s"], shop["q"])) == (3, 1)
    assert ledger.discrepancies() == []


def test_the_same_key_twice_submits_once_and_approving_twice_posts_once(shop):
    first = submit(shop, idempotency_key="sr-1")
    again = submit(shop, idempotency_key="sr-1")
    assert again["document"]["id"] == first["document"]["id"]
    assert row_count("supplier_returns") == 1
    supplier_returns.approve(first["document"]["id"], operator_id=shop["manager"])
    before = written()
    with pytest.raises(AlreadyApproved):
        supplier_returns.approve(first["document"]["id"], operator_id=shop["manager"])
    assert written() == before and held(shop["s"], shop["q"]) == 0
    assert ledger.discrepancies() == []


def test_a_rejected_return_moves_nothing_counts_for_nothing_and_cannot_be_approved(shop):
    document = submit(shop)["document"]
    with pytest.raises(InvalidInput) as refused:
        supplier_returns.reject(document["id"], operator_id=shop["manager"], reason=" ")
    assert "reason" in refused.value.errors
    rejected = supplier_returns.reject(
        document["id"], operator_id=shop["manager"], reason="supplier will credit"
    )
    assert rejected["document"]["status"] == DocumentStatus.REJECTED
    assert db.session.get(SupplierReturn, document["id"]).reject_reason == "supplier will credit"
    with pytest.raises(InvalidTransition):
        supplier_returns.approve(document["id"], operator_id=shop["manager"])
    with pytest.raises(InvalidTransition):
        supplier_returns.reject(document["id"], operator_id=shop["manager"], reason="again")
    assert held(shop["s"], shop["q"]) == 2
    assert po_returned(shop["po"], waiting=True) == {}
    assert ledger.discrepancies() == []


def test_more_than_the_bin_holds_is_refused_naming_the_bin_and_the_shortfall(shop):
    before = written()
    with pytest.raises(InsufficientStock) as refused:
        submit(shop, [(shop["s"], shop["q"], 1), (shop["m"], shop["q"], 1)], po_id=None)
    ((sku, location, short),) = [(x.sku, x.location, x.short) for x in refused.value.shortages]
    assert (sku, location, short) == ("A1024-Black-M", "Q-1", 1)
    assert "Q-1" in refused.value.detail
    assert written() == before and row_count("supplier_returns") == 0


def test_approval_is_refused_when_the_bin_no_longer_holds_the_pieces(shop):
    document = submit(shop)["document"]
    moves.move(
        from_location_id=shop["q"],
        to_location_id=shop["default"],
        lines=[(shop["s"], 1)],
        operator_id=shop["clerk"],
    )
    before = written()
    with pytest.raises(InsufficientStock) as refused:
        supplier_returns.approve(document["id"], operator_id=shop["manager"])
    assert [(x.location, x.short) for x in refused.value.shortages] == [("Q-1", 1)]
    assert written() == before
    header = db.session.get(SupplierReturn, document["id"])
    assert header.decided_by is None and header.decided_at is None
    assert ledger.discrepancies() == []


def test_a_variant_may_leave_two_bins_and_the_po_counts_them_together(shop):
    # S: 5 came on PO-1 (3 good in the default bin, 2 damaged in Q-1).
    result = submit(shop, [(shop["s"], shop["q"], 2), (shop["s"], shop["default"], 3)])
    assert row_count("supplier_return_lines") == 2
    before = written()
    with pytest.raises(InvalidInput) as refused:
        submit(shop, [(shop["s"], shop["default"], 1)])
    assert list(refused.value.errors) == ["lines[0]"]
    message = english(refused.value.errors["lines[0]"])
    assert message == "A1024-Black-S: 5 came on PO-1 and 5 went back already: at most 0 more."
    assert written() == before
    supplier_returns.approve(result["document"]["id"], operator_id=shop["manager"])
    assert po_returned(shop["po"]) == {shop["s"]: 5}
    # Without a PO the bins are the only limit.
    moves.move(
        from_location_id=shop["default"],
        to_location_id=shop["q"],
        lines=[(shop["m"], 1)],
        operator_id=shop["clerk"],
    )
    assert submit(shop, [(shop["m"], shop["q"], 1)], po_id=None)["document"]["id"]
    assert ledger.discrepancies() == []


def test_a_po_limits_what_goes_back_to_what_came_less_what_went_back(shop, make_style):
    submit(shop, [(shop["m"], shop["default"], 3)])  # waiting: it counts
    before = written()
    with pytest.raises(InvalidInput) as refused:
        submit(shop, [(shop["s"], shop["default"], 1), (shop["m"], shop["default"], 2)])
    assert list(refused.value.errors) == ["lines[1]"]
    message = english(refused.value.errors["lines[1]"])
    assert message == "A1024-Black-M: 4 came on PO-1 and 3 went back already: at most 1 more."
    # A variant that never came on the PO cannot go back against it, whatever the bin holds.
    other = make_style("B1", sizes=("M",), colours=())["B1-M"]
    receiving.receive(lines=[(other, 5)], operator_id=shop["manager"])
    with pytest.raises(InvalidInput) as refused:
        submit(shop, [(other, shop["default"], 1)])
    assert english(refused.value.errors["lines[0]"]).startswith("B1-M: 0 came on PO-1")
    assert written()[0] == before[0] + 1  # the inbound only
    assert row_count("supplier_returns") == 1
    assert ledger.discrepancies() == []


def test_approval_is_refused_when_a_receipt_of_the_po_was_reversed_meanwhile(shop):
    document = submit(shop, [(shop["m"], shop["default"], 2)])["document"]
    receipt = db.session.scalar(select(func.min(Movement.document_id)))
    reversals.reverse_document(receipt, operator_id=shop["manager"], reason="wrong PO")
    before = written()
    with pytest.raises(InvalidInput) as refused:
        supplier_returns.approve(document["id"], operator_id=shop["manager"])
    assert english(refused.value.errors["lines[0]"]).startswith("A1024-Black-M: 0 came on PO-1")
    assert written() == before
    assert db.session.get(SupplierReturn, document["id"]).decided_by is None
    assert ledger.discrepancies() == []


@pytest.mark.parametrize(
    "case, field",
    [
        ("unknown supplier", "supplier"),
        ("unknown PO", "purchase_order"),
        ("another supplier's PO", "purchase_order"),
        ("unknown reason", "reason"),
        ("zero", "lines[0]"),
        ("too many", "lines[0]"),
        ("unknown variant", "lines[0]"),
        ("twice in one bin", "lines[1]"),
        ("nothing", "lines"),
        ("two warehouses", "lines[1]"),
    ],
)
def test_bad_returns_are_refused_and_write_nothing(shop, case, field):
    s, q = shop["s"], shop["q"]
    args = {"lines": [(s, q, 1)], "who": "manager"}
    match case:
        case "unknown supplier":
            args["supplier_id"] = 999_999
        case "unknown PO":
            args["po_id"] = 999_999
        case "another supplier's PO":
            args["supplier_id"] = shop["other_supplier"]
        case "unknown reason":
            args["reason"] = "stolen"
        case "zero":
            args["lines"] = [(s, q, 0)]
        case "too many":
            args["lines"] = [(s, q, 1_000_001)]
        case "unknown variant":
            args["lines"] = [(999_999, q, 1)]
        case "twice in one bin":
            args["lines"] = [(s, q, 1), (s, q, 1)]
        case "nothing":
            args["lines"] = []
        case "two warehouses":
            args["lines"] = [(s, q, 1), (s, shop["sh_bin"], 1)]
    before = written()
    lines = args.pop("lines")
    with pytest.raises(InvalidInput) as refused:
        supplier_returns.submit(
            supplier_id=args.pop("supplier_id", shop["supplier"]),
            po_id=args.pop("po_id", shop["po"]),
            lines=lines,
            reason=args.pop("reason", "damaged"),
            operator_id=shop[args.pop("who")],
        )
    assert field in refused.value.errors
    if case == "another supplier's PO":
        assert "广州服装厂" in english(refused.value.errors[field])
    assert written() == before and row_count("supplier_returns") == 0


def test_a_clerk_works_only_with_the_bins_of_their_warehouses(shop):
    before = written()
    with pytest.raises(NotPermitted):
        submit(shop, who="sh_clerk")  # MAIN's quarantine bin
    with pytest.raises(NotFound):
        submit(shop, [(shop["s"], 999_999, 1)])
    assert written() == before
    document = submit(shop)["document"]
    manager_of_sh = shop["sh_clerk"]
    with pytest.raises(NotPermitted):
        supplier_returns.approve(document["id"], operator_id=manager_of_sh)
    with pytest.raises(NotPermitted):
        supplier_returns.reject(document["id"], operator_id=manager_of_sh, reason="no")
    with pytest.raises(NotFound):
        supplier_returns.approve(999_999, operator_id=shop["manager"])
    assert held(shop["s"], shop["q"]) == 2


def test_a_posted_return_is_reversed_into_its_bins_and_leaves_the_po(shop):
    document = submit(shop, [(shop["s"], shop["q"], 2), (shop["m"], shop["default"], 4)])
    supplier_returns.approve(document["document"]["id"], operator_id=shop["manager"])
    assert (held(shop["s"], shop["q"]), held(shop["m"], shop["default"])) == (0, 0)
    reversal = reversals.reverse_document(
        document["document"]["id"], operator_id=shop["manager"], reason="supplier sent them back"
    )
    assert sorted(m["delta"] for m in reversal["movements"]) == [2, 4]
    assert (held(shop["s"], shop["q"]), held(shop["m"], shop["default"])) == (2, 4)
    assert po_returned(shop["po"], waiting=True) == {}
    with pytest.raises(AlreadyReversed):
        reversals.reverse_document(
            document["document"]["id"], operator_id=shop["manager"], reason="again"
        )
    # What went back is free to go back again.
    assert submit(shop, [(shop["m"], shop["default"], 4)])["document"]["id"]
    assert ledger.discrepancies() == []


THREADS = 6


def test_returns_racing_for_the_last_pieces_of_a_po_take_them_once(app, make_user, make_style):
    """Six managers at once, on both databases, each returning 2 of the 5 pieces that came
    on one PO (2 in each of three bins): two post, the others are refused, and the ledger
    adds up."""
    with app.app_context():
        skus = make_style("A1024", sizes=("S", "M"), colours=("Black",))
        boss = make_user(Role.MANAGER)
        s = skus["A1024-Black-S"]
        po = placed_po(skus, boss)
        receiving.create(
            po_id=po, lines=[receiving.ArrivedLine(s, 5)], operator_id=boss, submit=True
        )
        receiving.receive(lines=[(s, 2)], operator_id=boss)  # more in the bin, not on the PO
        main = warehouses.main_warehouse_id()
        bins = [warehouses.create_location(warehouse_id=main, code=f"B-{n}") for n in range(3)]
        for bin_id in bins:
            moves.move(
                from_location_id=warehouses.default_location_id(),
                to_location_id=bin_id,
                lines=[(s, 2)],
                operator_id=boss,
            )
        supplier = db.session.get(PurchaseOrder, po).supplier_id
        managers = [make_user(Role.MANAGER) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                supplier_returns.submit(
                    supplier_id=supplier,
                    po_id=po,
                    lines=[(s, bins[n % 3], 2)],
                    operator_id=managers[n],
                )
                outcomes.append("posted")
            except (InvalidInput, InsufficientStock) as refused:
                outcomes.append(type(refused).__name__)
            except Exception as unexpected:  # any other error fails the test
                outcomes.append(repr(unexpected))

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert outcomes.count("posted") == 2, outcomes
    assert set(outcomes) <= {"posted", "InvalidInput", "InsufficientStock"}, outcomes
    with app.app_context():
        assert po_returned(po) == {s: 4}
        taken = db.session.scalar(
            select(func.sum(Movement.delta)).where(Movement.kind == MovementKind.SUPPLIER_RETURN)
        )
        assert taken == -4
        assert ledger.discrepancies() == []
