"""Purchase orders (采购单), receipts (入库单), suppliers, settings and locations at
the service tier.

Every PO transition (draft → ordered → partially received → received → closed)
and every refusal; receipts from draft to posted or rejected, with over, short,
damaged and wrong lines, the tolerance for clerks, the approval settings, put-away
locations, quarantine, costs, idempotency and reversal. A refusal is checked
against a snapshot of every table it could touch (and the stock version): a
failed call writes nothing at all.
"""

import itertools
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import select

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import (
    Balance,
    Document,
    DocumentStatus,
    Location,
    Movement,
    MovementKind,
    POLine,
    POStatus,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Role,
    Setting,
    Supplier,
    Variant,
    Warehouse,
)
from stockapp.queries import stock_levels, stock_version
from stockapp.services import (
    catalogue,
    counting,
    ledger,
    purchasing,
    receiving,
    reversals,
    settings,
    suppliers,
)
from stockapp.services.errors import (
    AlreadyApproved,
    DomainError,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
    StaleCount,
)
from stockapp.services.purchasing import OrderedLine
from stockapp.services.receiving import ArrivedLine
from stockapp.services.warehouses import (
    create_location,
    default_location_id,
    main_warehouse_id,
    quarantine_location_id,
)
from tests.support.db import on_hand, row_count

S, M, L, XL = "A1024-Black-S", "A1024-Black-M", "A1024-Black-L", "A1024-Black-XL"
# Every table a purchasing call could write, with the column that orders its rows.
TABLES = {
    "suppliers": "id",
    "settings": "key",
    "locations": "id",
    "purchase_orders": "id",
    "po_lines": "id",
    "documents": "id",
    "receipts": "document_id",
    "receipt_lines": "id",
    "movements": "id",
    "balances": "id",
    "idempotency_records": "id",
}


@pytest.fixture
def w(ctx, make_user, make_style):
    """The world of a test: a clerk, a manager, a supplier and four sizes of one style
    (XL is never ordered: the wrong item); messages in English."""
    skus = make_style("A1024", sizes=("S", "M", "L", "XL"), colours=("Black",))
    numbers = (f"PO-{n}" for n in itertools.count(1))
    with force_locale("en"):
        yield SimpleNamespace(
            clerk=make_user(Role.CLERK),
            manager=make_user(Role.MANAGER),
            manager2=make_user(Role.MANAGER),
            supplier=suppliers.save(name="Hangzhou Textile"),
            s=skus[S],
            m=skus[M],
            l=skus[L],
            xl=skus[XL],
            next_number=lambda: next(numbers),
        )


# ---------------------------------------------------------------- helpers


def new_po(w, *lines, place=True, number=None) -> int:
    """A PO of ``(variant, qty[, unit_cost])`` lines, ordered unless ``place`` is False."""
    return purchasing.create(
        number=number or w.next_number(),
        supplier_id=w.supplier,
        lines=[OrderedLine(*line) for line in lines],
        operator_id=w.clerk,
        place=place,
    )["id"]


def arrive(w, po_id, *lines, by=None, submit=True, **kwargs) -> dict:
    """A receipt against a PO (a clerk's, submitted, unless told otherwise)."""
    return receiving.create(
        lines=[line if isinstance(line, ArrivedLine) else ArrivedLine(*line) for line in lines],
        po_id=po_id,
        operator_id=by or w.clerk,
        submit=submit,
        **kwargs,
    )


def delivered(w, po_id, *lines) -> int:
    """A clerk's receipt, submitted and approved by the manager; its document id."""
    document_id = arrive(w, po_id, *lines)["document"]["id"]
    receiving.approve(document_id, operator_id=w.manager)
    return document_id


def po_in(w, status: POStatus) -> int:
    """A PO of 10 S brought to ``status``."""
    po_id = new_po(w, (w.s, 10), place=status != POStatus.DRAFT)
    if status == POStatus.PARTIALLY_RECEIVED:
        delivered(w, po_id, (w.s, 4))
    elif status == POStatus.RECEIVED:
        delivered(w, po_id, (w.s, 10))
    elif status == POStatus.CLOSED:
        purchasing.close(po_id, operator_id=w.manager)
    assert po_status(po_id) == status
    return po_id


def location(code: str, *, quarantine: bool = False) -> int:
    return create_location(warehouse_id=main_warehouse_id(), code=code, is_quarantine=quarantine)


def reverse_receipt(w, document_id: int, reason: str = "booked twice") -> dict:
    """Reverse a posted receipt as the stock log does: ledger and PO in one transaction."""
    return reversals.reverse_document(document_id, operator_id=w.manager, reason=reason)


def po_status(po_id: int) -> str:
    return db.session.scalar(select(PurchaseOrder.status).where(PurchaseOrder.id == po_id))


def doc_status(document_id: int) -> str:
    return db.session.scalar(select(Document.status).where(Document.id == document_id))


def figures(po_id: int) -> dict[int, tuple[int, int, int, int]]:
    """variant → (ordered, received, cancelled, remaining) of each PO line."""
    got = purchasing.received_by_variant(po_id)
    rows = db.session.execute(
        select(POLine.variant_id, POLine.ordered, POLine.cancelled).where(POLine.po_id == po_id)
    )
    return {
        v: (ordered, got.get(v, 0), cancelled, max(ordered - got.get(v, 0) - cancelled, 0))
        for v, ordered, cancelled in rows
    }


def receipt_lines(document_id: int) -> list[tuple]:
    """(variant, received, damaged, location, unit cost, reason) of a receipt, in order."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                ReceiptLine.variant_id,
                ReceiptLine.received,
                ReceiptLine.damaged,
                ReceiptLine.location_id,
                ReceiptLine.unit_cost,
                ReceiptLine.reason,
            )
            .where(ReceiptLine.document_id == document_id)
            .order_by(ReceiptLine.id)
        )
    ]


def header(document_id: int) -> Receipt:
    return db.session.get(Receipt, document_id, populate_existing=True)


def movements_of(document_id: int) -> list[tuple]:
    """(variant, location, delta, kind) of a document's movements, in order."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(Movement.variant_id, Movement.location_id, Movement.delta, Movement.kind)
            .where(Movement.document_id == document_id)
            .order_by(Movement.id)
        )
    ]


def level(variant_id: int) -> int:
    """On hand as the app shows it: sellable locations only."""
    return stock_levels([variant_id])[variant_id].on_hand


def balance(variant_id: int, location_id: int) -> int:
    return db.session.scalar(
        sa.text(
            "SELECT COALESCE(SUM(qty), 0) FROM balances WHERE variant_id = :v AND location_id = :l"
        ),
        {"v": variant_id, "l": location_id},
    )


def state() -> dict:
    """Every row a call could write, and the stock version."""
    snapshot = {
        table: db.session.execute(sa.text(f"SELECT * FROM {table} ORDER BY {key}")).all()
        for table, key in TABLES.items()
    }
    snapshot["version"] = stock_version()
    return snapshot


def over_lines(error: DomainError) -> dict[str, str]:
    """The messages of a refusal beside its lines, as text."""
    return {path: str(message) for path, message in error.errors.items()}


def refused(error_class, call, *args, **kwargs) -> DomainError:
    """Run a call that must be refused with exactly ``error_class``; assert it wrote nothing."""
    before = state()
    with pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    assert type(raised.value) is error_class, repr(raised.value)
    assert state() == before, "a refused call changed the database"
    return raised.value


def field_errors(error: DomainError) -> dict[str, str]:
    return {field: str(message) for field, message in error.errors.items()}


# ---------------------------------------------------------------- purchase orders


def test_a_po_is_created_as_a_draft_and_placed(w):
    created = purchasing.create(
        number="PO-100",
        supplier_id=w.supplier,
        lines=[OrderedLine(w.s, 10, Decimal("12.50")), OrderedLine(w.m, 5)],
        operator_id=w.clerk,
        expected_on=date(2030, 1, 2),
        note="spring",
    )
    po_id = created["id"]
    assert created == {"id": po_id, "number": "PO-100", "status": "draft"}
    po = db.session.get(PurchaseOrder, po_id)
    assert (po.supplier_id, po.expected_on, po.note, po.created_by) == (
        w.supplier,
        date(2030, 1, 2),
        "spring",
        w.clerk,
    )
    assert po.closed_at is None and po.closed_by is None
    assert figures(po_id) == {w.s: (10, 0, 0, 10), w.m: (5, 0, 0, 5)}
    costs = dict(
        db.session.execute(
            select(POLine.variant_id, POLine.unit_cost).where(POLine.po_id == po_id)
        ).all()
    )
    assert costs == {w.s: Decimal("12.50"), w.m: None}

    placed = purchasing.place(po_id, operator_id=w.manager)
    assert placed == {"id": po_id, "number": "PO-100", "status": "ordered"}
    assert po_status(po_id) == POStatus.ORDERED
    error = refused(InvalidTransition, purchasing.place, po_id, operator_id=w.manager)
    assert "PO-100" in str(error.detail) and "ordered" in str(error.detail)
    refused(NotFound, purchasing.place, 999_999, operator_id=w.manager)
    assert row_count("movements") == 0 and row_count("documents") == 0


def test_a_po_may_be_ordered_as_it_is_created(w):
    created = purchasing.create(
        number="PO-7",
        supplier_id=w.supplier,
        lines=[OrderedLine(w.s, 3)],
        operator_id=w.clerk,
        place=True,
    )
    assert created["status"] == "ordered" and po_status(created["id"]) == POStatus.ORDERED


@pytest.mark.parametrize(
    "status",
    [POStatus.ORDERED, POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED, POStatus.CLOSED],
)
def test_only_a_draft_can_be_placed(w, status):
    po_id = po_in(w, status)
    error = refused(InvalidTransition, purchasing.place, po_id, operator_id=w.manager)
    assert "only a draft" in str(error.detail)
    assert po_status(po_id) == status


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("empty", "lines"),
        ("unknown variant", "lines[1]"),
        ("archived variant", "lines[1]"),
        ("variant twice", "lines[1]"),
        ("zero", "lines[1]"),
        ("negative", "lines[1]"),
        ("negative cost", "lines[1]"),
        ("unknown supplier", "supplier"),
        ("number taken", "number"),
    ],
)
def test_create_po_refuses_bad_input_and_writes_nothing(w, case, field):
    catalogue.archive_variant(w.l)
    new_po(w, (w.s, 1), number="PO-1")
    second = {
        "unknown variant": OrderedLine(999_999, 1),
        "archived variant": OrderedLine(w.l, 1),
        "variant twice": OrderedLine(w.s, 2),
        "zero": OrderedLine(w.m, 0),
        "negative": OrderedLine(w.m, -1),
        "negative cost": OrderedLine(w.m, 1, Decimal("-0.01")),
    }.get(case, OrderedLine(w.m, 1))
    error = refused(
        InvalidInput,
        purchasing.create,
        number="PO-1" if case == "number taken" else "PO-2",
        supplier_id=999_999 if case == "unknown supplier" else w.supplier,
        lines=[] if case == "empty" else [OrderedLine(w.s, 1), second],
        operator_id=w.clerk,
    )
    assert set(error.errors) == {field}


def test_create_po_names_every_bad_field_at_once(w):
    new_po(w, (w.s, 1), number="PO-1")
    error = refused(
        InvalidInput,
        purchasing.create,
        number="PO-1",
        supplier_id=999_999,
        lines=[OrderedLine(w.s, 1), OrderedLine(w.s, 1), OrderedLine(w.m, 0), OrderedLine(w.l, 2)],
        operator_id=w.clerk,
    )
    messages = field_errors(error)
    assert set(messages) == {"number", "supplier", "lines[1]", "lines[2]"}
    assert "PO-1" in messages["number"] and "twice" in messages["lines[1]"]


def test_a_po_goes_from_ordered_through_partially_received_to_received_and_closed(w):
    po_id = new_po(w, (w.s, 10), (w.m, 6), place=False)
    assert po_status(po_id) == POStatus.DRAFT
    purchasing.place(po_id, operator_id=w.clerk)
    assert po_status(po_id) == POStatus.ORDERED
    delivered(w, po_id, (w.s, 4))
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    delivered(w, po_id, (w.s, 6), (w.m, 5))
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    delivered(w, po_id, (w.m, 1))
    assert po_status(po_id) == POStatus.RECEIVED
    assert figures(po_id) == {w.s: (10, 10, 0, 0), w.m: (6, 6, 0, 0)}

    closed = purchasing.close(po_id, operator_id=w.manager)
    assert closed == {"id": po_id, "number": "PO-1", "status": "closed"}
    po = db.session.get(PurchaseOrder, po_id)
    assert po.status == POStatus.CLOSED and po.closed_by == w.manager and po.closed_at
    assert figures(po_id) == {w.s: (10, 10, 0, 0), w.m: (6, 6, 0, 0)}
    assert (level(w.s), level(w.m)) == (10, 6)
    assert ledger.discrepancies() == []


def test_closing_an_ordered_po_cancels_everything(w):
    po_id = new_po(w, (w.s, 10), (w.m, 5))
    purchasing.close(po_id, operator_id=w.manager)
    assert po_status(po_id) == POStatus.CLOSED
    assert figures(po_id) == {w.s: (10, 0, 10, 0), w.m: (5, 0, 5, 0)}
    assert row_count("movements") == 0


def test_closing_a_partially_received_po_cancels_each_remainder(w):
    po_id = new_po(w, (w.s, 10), (w.m, 5), (w.l, 4))
    delivered(w, po_id, (w.s, 4), (w.m, 5))
    receiving.create(
        lines=[ArrivedLine(w.m, 2, reason="over")], po_id=po_id, operator_id=w.manager, submit=True
    )
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    purchasing.close(po_id, operator_id=w.manager)
    # An over-received line cancels nothing (never a negative remainder).
    assert figures(po_id) == {w.s: (10, 4, 6, 0), w.m: (5, 7, 0, 0), w.l: (4, 0, 4, 0)}
    assert (level(w.s), level(w.m), level(w.l)) == (4, 7, 0)


@pytest.mark.parametrize("status", [POStatus.DRAFT, POStatus.CLOSED])
def test_a_draft_or_closed_po_cannot_be_closed(w, status):
    po_id = po_in(w, status)
    error = refused(InvalidTransition, purchasing.close, po_id, operator_id=w.manager)
    assert "cannot be closed" in str(error.detail)
    refused(NotFound, purchasing.close, 999_999, operator_id=w.manager)


def test_a_po_with_a_receipt_waiting_for_approval_cannot_be_closed(w):
    po_id = new_po(w, (w.s, 10))
    waiting = arrive(w, po_id, (w.s, 3))["document"]["id"]
    error = refused(InvalidTransition, purchasing.close, po_id, operator_id=w.manager)
    assert "waiting for approval" in str(error.detail)
    receiving.reject(waiting, operator_id=w.manager, reason="wrong truck")
    purchasing.close(po_id, operator_id=w.manager)
    assert figures(po_id) == {w.s: (10, 0, 10, 0)}

    other = new_po(w, (w.s, 10))
    waiting = arrive(w, other, (w.s, 3))["document"]["id"]
    refused(InvalidTransition, purchasing.close, other, operator_id=w.manager)
    receiving.approve(waiting, operator_id=w.manager)
    purchasing.close(other, operator_id=w.manager)
    assert figures(other) == {w.s: (10, 3, 7, 0)}


@pytest.mark.parametrize("status", [POStatus.DRAFT, POStatus.RECEIVED, POStatus.CLOSED])
def test_no_receipt_against_a_po_that_expects_nothing(w, status):
    po_id = po_in(w, status)
    for submit in (False, True):
        error = refused(InvalidTransition, arrive, w, po_id, (w.s, 1), submit=submit)
        assert "nothing is expected" in str(error.detail)
        refused(InvalidTransition, arrive, w, po_id, (w.s, 1), by=w.manager, submit=submit)


def test_a_draft_receipt_cannot_be_submitted_once_its_po_is_closed(w):
    """A draft does not hold a PO open, but it cannot fill it after it closed."""
    po_id = new_po(w, (w.s, 10))
    draft = arrive(w, po_id, (w.s, 3), submit=False)["document"]["id"]
    purchasing.close(po_id, operator_id=w.manager)
    for operator in (w.clerk, w.manager):
        refused(InvalidTransition, receiving.submit, draft, operator_id=operator)
    assert doc_status(draft) == DocumentStatus.DRAFT
    assert figures(po_id) == {w.s: (10, 0, 10, 0)} and level(w.s) == 0


def test_po_calls_replay_with_their_idempotency_key(w):
    lines = [OrderedLine(w.s, 4)]
    create = {"number": "PO-9", "supplier_id": w.supplier, "lines": lines, "operator_id": w.clerk}
    first = purchasing.create(**create, idempotency_key="new-po")
    before = state()
    assert purchasing.create(**create, idempotency_key="new-po") == first
    assert state() == before and row_count("purchase_orders") == 1
    refused(
        IdempotencyKeyReused,
        purchasing.create,
        **{**create, "number": "PO-10"},
        idempotency_key="new-po",
    )
    po_id = first["id"]
    placed = purchasing.place(po_id, operator_id=w.clerk, idempotency_key="place")
    assert purchasing.place(po_id, operator_id=w.clerk, idempotency_key="place") == placed
    closed = purchasing.close(po_id, operator_id=w.manager, idempotency_key="close")
    before = state()
    assert purchasing.close(po_id, operator_id=w.manager, idempotency_key="close") == closed
    assert state() == before and figures(po_id) == {w.s: (4, 0, 4, 0)}


# ---------------------------------------------------------------- suppliers


def test_a_supplier_is_saved_with_its_fields_trimmed_and_can_be_changed(w):
    supplier_id = suppliers.save(
        name="  Ningbo Knit  ", contact=" Ms Wang ", phone=" 0574-1234 ", note=" net 30 "
    )
    supplier = db.session.get(Supplier, supplier_id)
    assert (supplier.name, supplier.contact, supplier.phone, supplier.note) == (
        "Ningbo Knit",
        "Ms Wang",
        "0574-1234",
        "net 30",
    )
    # The same supplier may change the case of its own name.
    assert suppliers.save(name="NINGBO KNIT", phone="110", supplier_id=supplier_id) == supplier_id
    supplier = db.session.get(Supplier, supplier_id, populate_existing=True)
    assert (supplier.name, supplier.contact, supplier.phone) == ("NINGBO KNIT", "", "110")
    assert [s.name for s in suppliers.listing()] == ["Hangzhou Textile", "NINGBO KNIT"]
    refused(NotFound, suppliers.save, name="Nobody", supplier_id=999_999)


@pytest.mark.parametrize("name", ["", "   "])
def test_a_supplier_needs_a_name(w, name):
    error = refused(InvalidInput, suppliers.save, name=name, contact="x")
    assert set(error.errors) == {"name"}


@pytest.mark.parametrize("name", ["Hangzhou Textile", "hangzhou textile", " HANGZHOU TEXTILE "])
def test_supplier_names_are_unique_ignoring_case(w, name):
    error = refused(InvalidInput, suppliers.save, name=name)
    assert "exists already" in field_errors(error)["name"]
    other = suppliers.save(name="Other")
    error = refused(InvalidInput, suppliers.save, name=name, supplier_id=other)
    assert set(error.errors) == {"name"}
    assert db.session.get(Supplier, other).name == "Other"


def test_supplier_fields_have_length_limits(w):
    at_limit = {key: "x" * limit for key, limit in suppliers.LIMITS.items()}
    supplier_id = suppliers.save(**at_limit)
    assert len(db.session.get(Supplier, supplier_id).note) == suppliers.LIMITS["note"]
    over = {key: "y" * (limit + 1) for key, limit in suppliers.LIMITS.items()}
    error = refused(InvalidInput, suppliers.save, **over)
    assert set(error.errors) == {"name", "contact", "phone", "note"}
    assert "120" in field_errors(error)["name"]
    error = refused(
        InvalidInput, suppliers.save, name="ok", phone="9" * 41, supplier_id=supplier_id
    )
    assert set(error.errors) == {"phone"}


# ---------------------------------------------------------------- settings


def test_settings_have_defaults_until_changed(w):
    label_sheet = {k: v for k, v in settings.DEFAULTS.items() if k.startswith("label_")}
    assert settings.current() == {
        "over_receipt_tolerance_pct": 0,
        "po_receipts_need_approval": True,
        "direct_receipts_need_approval": False,
        "write_offs_need_approval": True,
        **label_sheet,
    }
    assert settings.get("po_receipts_need_approval") is True
    changed = settings.update(
        {"over_receipt_tolerance_pct": 15, "po_receipts_need_approval": False}
    )
    assert changed == {
        "over_receipt_tolerance_pct": 15,
        "po_receipts_need_approval": False,
        "direct_receipts_need_approval": False,
        "write_offs_need_approval": True,
        **label_sheet,
    }
    assert settings.get("over_receipt_tolerance_pct") == 15
    assert settings.get("po_receipts_need_approval") is False
    settings.update({"over_receipt_tolerance_pct": 0, "direct_receipts_need_approval": True})
    assert settings.current()["over_receipt_tolerance_pct"] == 0
    assert settings.current()["direct_receipts_need_approval"] is True
    assert row_count("settings") == 3


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"over_receipt_tolerance_pct": -1}, "over_receipt_tolerance_pct"),
        ({"over_receipt_tolerance_pct": 101}, "over_receipt_tolerance_pct"),
        ({"over_receipt_tolerance_pct": 10.5}, "over_receipt_tolerance_pct"),
        ({"over_receipt_tolerance_pct": "10"}, "over_receipt_tolerance_pct"),
        ({"over_receipt_tolerance_pct": True}, "over_receipt_tolerance_pct"),
        ({"po_receipts_need_approval": 1}, "po_receipts_need_approval"),
        ({"po_receipts_need_approval": "no"}, "po_receipts_need_approval"),
        ({"direct_receipts_need_approval": None}, "direct_receipts_need_approval"),
        ({"colour_of_the_walls": "blue"}, "colour_of_the_walls"),
    ],
)
def test_settings_refuse_bad_values_and_store_nothing(w, values, field):
    settings.update({"over_receipt_tolerance_pct": 5})
    # A good value beside the bad one is not stored either.
    good = (
        {"po_receipts_need_approval": False}
        if field == "over_receipt_tolerance_pct"
        else {"over_receipt_tolerance_pct": 100}
    )
    error = refused(InvalidInput, settings.update, {**good, **values})
    assert set(error.errors) == {field}
    assert settings.current()["over_receipt_tolerance_pct"] == 5
    assert settings.current()["po_receipts_need_approval"] is True
    assert db.session.scalar(select(Setting.value).where(Setting.key == field)) in (None, 5)


def test_settings_take_the_bounds(w):
    assert settings.update({"over_receipt_tolerance_pct": 100})["over_receipt_tolerance_pct"] == 100
    assert settings.update({"over_receipt_tolerance_pct": 0})["over_receipt_tolerance_pct"] == 0


# ---------------------------------------------------------------- locations


def test_a_location_code_is_stored_upper_case_with_its_zone(w):
    location_id = create_location(
        warehouse_id=main_warehouse_id(), code=" a-01.3_b ", zone=" Racks ", note=" top "
    )
    found = db.session.get(Location, location_id)
    assert (found.code, found.zone, found.note, found.is_quarantine, found.is_default) == (
        "A-01.3_B",
        "Racks",
        "top",
        False,
        False,
    )
    assert create_location(warehouse_id=main_warehouse_id(), code="Z" * 32)


@pytest.mark.parametrize("code", ["", "   ", "-A01", ".A", "A 01", "A/01", "Z" * 33, "货位1"])
def test_a_location_code_has_a_format(w, code):
    error = refused(InvalidInput, create_location, warehouse_id=main_warehouse_id(), code=code)
    assert set(error.errors) == {"code"}


def test_location_zone_and_note_have_limits_and_the_warehouse_must_exist(w):
    error = refused(
        InvalidInput,
        create_location,
        warehouse_id=main_warehouse_id(),
        code="A-01",
        zone="z" * 41,
        note="n" * 501,
    )
    assert set(error.errors) == {"zone", "note"}
    refused(NotFound, create_location, warehouse_id=999_999, code="A-01")


def test_a_location_code_is_unique_per_warehouse_ignoring_case(w):
    location("A-01")
    for code in ("A-01", "a-01", "default"):
        error = refused(InvalidInput, create_location, warehouse_id=main_warehouse_id(), code=code)
        assert "already" in field_errors(error)["code"]
    with write_transaction() as session:
        second = Warehouse(code="W2", name="Second")
        session.add(second)
        session.flush()
        second_id = second.id
    assert create_location(warehouse_id=second_id, code="a-01")
    assert quarantine_location_id(second_id) is None


def test_a_warehouse_keeps_damaged_goods_in_its_first_quarantine_location(w):
    assert quarantine_location_id(main_warehouse_id()) is None
    location("A-01")
    first = location("Q-01", quarantine=True)
    location("Q-02", quarantine=True)
    assert quarantine_location_id(main_warehouse_id()) == first
    assert db.session.get(Location, first).is_quarantine is True


# ---------------------------------------------------------------- receipts: approval


def test_a_submitted_receipt_moves_no_stock_until_approved(w):
    po_id = new_po(w, (w.s, 10), (w.m, 5))
    result = arrive(w, po_id, (w.s, 4), (w.m, 2), note="truck 1")
    document = result["document"]
    assert result["movements"] == []
    assert document["kind"] == "receipt" and document["number"].startswith("RC")
    assert document["status"] == "submitted" and document["note"] == "truck 1"
    receipt = header(document["id"])
    assert (receipt.po_id, receipt.supplier_id, receipt.submitted_by) == (
        po_id,
        w.supplier,
        w.clerk,
    )
    assert receipt.submitted_at is not None and receipt.decided_by is None
    assert (level(w.s), level(w.m)) == (0, 0) and row_count("movements") == 0
    assert po_status(po_id) == POStatus.ORDERED
    assert figures(po_id) == {w.s: (10, 0, 0, 10), w.m: (5, 0, 0, 5)}

    approved = receiving.approve(document["id"], operator_id=w.manager)
    default = default_location_id()
    assert approved["document"]["status"] == "posted"
    assert [(m["variant_id"], m["delta"], m["balance_after"]) for m in approved["movements"]] == [
        (w.s, 4, 4),
        (w.m, 2, 2),
    ]
    assert movements_of(document["id"]) == [
        (w.s, default, 4, "inbound"),
        (w.m, default, 2, "inbound"),
    ]
    notes = set(
        db.session.scalars(select(Movement.note).where(Movement.document_id == document["id"]))
    )
    assert notes == {"truck 1"}
    assert doc_status(document["id"]) == DocumentStatus.POSTED
    assert header(document["id"]).decided_by == w.manager
    assert (level(w.s), level(w.m)) == (4, 2)
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    assert figures(po_id) == {w.s: (10, 4, 0, 6), w.m: (5, 2, 0, 3)}
    assert ledger.discrepancies() == []


def test_a_draft_receipt_is_submitted_later_and_only_once(w):
    po_id = new_po(w, (w.s, 10))
    draft = arrive(w, po_id, (w.s, 4), submit=False)
    document_id = draft["document"]["id"]
    assert draft["document"]["status"] == "draft" and draft["movements"] == []
    assert header(document_id).submitted_by is None
    refused(InvalidTransition, receiving.approve, document_id, operator_id=w.manager)
    refused(InvalidTransition, receiving.reject, document_id, operator_id=w.manager, reason="x")
    submitted = receiving.submit(document_id, operator_id=w.clerk)
    assert submitted["document"]["status"] == "submitted" and submitted["movements"] == []
    error = refused(InvalidTransition, receiving.submit, document_id, operator_id=w.clerk)
    assert "(Waiting for approval)" in str(error.detail)
    refused(NotFound, receiving.submit, 999_999, operator_id=w.clerk)
    assert level(w.s) == 0


def test_a_po_filled_by_several_partial_receipts_counts_exactly(w):
    po_id = new_po(w, (w.s, 10), (w.m, 6), (w.l, 4))
    steps = [
        ([(w.s, 4), (w.m, 6)], {w.s: (10, 4, 0, 6), w.m: (6, 6, 0, 0), w.l: (4, 0, 0, 4)}),
        ([(w.s, 3), (w.l, 1)], {w.s: (10, 7, 0, 3), w.m: (6, 6, 0, 0), w.l: (4, 1, 0, 3)}),
        ([(w.l, 3)], {w.s: (10, 7, 0, 3), w.m: (6, 6, 0, 0), w.l: (4, 4, 0, 0)}),
        ([(w.s, 3)], {w.s: (10, 10, 0, 0), w.m: (6, 6, 0, 0), w.l: (4, 4, 0, 0)}),
    ]
    for n, (lines, expected) in enumerate(steps):
        delivered(w, po_id, *lines)
        assert figures(po_id) == expected, n
        received = {v: got for v, (_, got, _, _) in expected.items()}
        assert {v: level(v) for v in received} == received
        last = n == len(steps) - 1
        assert po_status(po_id) == (POStatus.RECEIVED if last else POStatus.PARTIALLY_RECEIVED)
        assert ledger.discrepancies() == []
    assert row_count("movements") == 6


def test_a_rejection_needs_a_reason_and_posts_nothing(w):
    po_id = new_po(w, (w.s, 10))
    document_id = arrive(w, po_id, (w.s, 4))["document"]["id"]
    for reason in ("", "   "):
        error = refused(
            InvalidInput, receiving.reject, document_id, operator_id=w.manager, reason=reason
        )
        assert set(error.errors) == {"reason"}
    result = receiving.reject(document_id, operator_id=w.manager, reason="  wrong truck ")
    assert result["movements"] == [] and result["document"]["status"] == "rejected"
    receipt = header(document_id)
    assert (receipt.reject_reason, receipt.decided_by) == ("wrong truck", w.manager)
    assert receipt.decided_at is not None
    assert doc_status(document_id) == DocumentStatus.REJECTED
    assert level(w.s) == 0 and row_count("movements") == 0
    assert po_status(po_id) == POStatus.ORDERED and figures(po_id) == {w.s: (10, 0, 0, 10)}
    error = refused(InvalidTransition, receiving.approve, document_id, operator_id=w.manager)
    assert "(Rejected)" in str(error.detail)
    refused(InvalidTransition, receiving.reject, document_id, operator_id=w.manager, reason="x")
    refused(InvalidTransition, receiving.submit, document_id, operator_id=w.clerk)
    refused(NotFound, receiving.reject, 999_999, operator_id=w.manager, reason="x")


def test_a_second_approval_is_refused_and_posts_nothing(w):
    po_id = new_po(w, (w.s, 10))
    document_id = arrive(w, po_id, (w.s, 4))["document"]["id"]
    receiving.approve(document_id, operator_id=w.manager)
    for operator in (w.manager, w.manager2):
        error = refused(AlreadyApproved, receiving.approve, document_id, operator_id=operator)
        assert "already approved" in str(error.detail)
    refused(InvalidTransition, receiving.reject, document_id, operator_id=w.manager, reason="x")
    assert len(movements_of(document_id)) == 1 and level(w.s) == 4
    assert figures(po_id) == {w.s: (10, 4, 0, 6)}
    refused(NotFound, receiving.approve, 999_999, operator_id=w.manager)
    assert ledger.discrepancies() == []


def test_a_managers_receipt_posts_as_it_is_submitted(w):
    po_id = new_po(w, (w.s, 10))
    result = arrive(w, po_id, (w.s, 12), by=w.manager)  # over the 0 % tolerance: a manager may
    document_id = result["document"]["id"]
    assert result["document"]["status"] == "posted"
    assert [(m["variant_id"], m["delta"]) for m in result["movements"]] == [(w.s, 12)]
    receipt = header(document_id)
    assert receipt.submitted_by == receipt.decided_by == w.manager
    assert doc_status(document_id) == DocumentStatus.POSTED and level(w.s) == 12
    assert po_status(po_id) == POStatus.RECEIVED and figures(po_id) == {w.s: (10, 12, 0, 0)}
    refused(AlreadyApproved, receiving.approve, document_id, operator_id=w.manager)
    # A manager submitting a clerk's draft posts it too.
    other = new_po(w, (w.m, 5))
    draft = arrive(w, other, (w.m, 5), submit=False)["document"]["id"]
    assert receiving.submit(draft, operator_id=w.manager)["document"]["status"] == "posted"
    assert level(w.m) == 5 and po_status(other) == POStatus.RECEIVED
    assert ledger.discrepancies() == []


def test_without_approval_for_po_receipts_a_clerks_submit_posts_at_once(w):
    settings.update({"po_receipts_need_approval": False})
    po_id = new_po(w, (w.s, 10))
    result = arrive(w, po_id, (w.s, 6))
    assert result["document"]["status"] == "posted" and len(result["movements"]) == 1
    assert header(result["document"]["id"]).decided_by == w.clerk
    assert level(w.s) == 6 and po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    # The tolerance still holds for a clerk.
    refused(NotPermitted, arrive, w, po_id, (w.s, 5))
    assert ledger.discrepancies() == []


# ---------------------------------------------------------------- receipts: tolerance


def test_a_clerk_over_the_tolerance_is_refused_and_nothing_changes(w):
    po_id = new_po(w, (w.s, 10), (w.m, 5))
    error = refused(NotPermitted, arrive, w, po_id, (w.s, 11), (w.m, 5))
    assert "0% tolerance" in str(error.detail)
    # The line over it carries the message, in the user's words; the M line within it none.
    assert over_lines(error) == {
        "lines[0]": f"{S}: 11 received with the receipts waiting, 10 ordered."
    }
    assert row_count("documents") == 0
    # A draft over the tolerance may be kept, but a clerk cannot submit it.
    draft = arrive(w, po_id, (w.s, 11), submit=False)["document"]["id"]
    refused(NotPermitted, receiving.submit, draft, operator_id=w.clerk)
    assert doc_status(draft) == DocumentStatus.DRAFT
    assert receiving.submit(draft, operator_id=w.manager)["document"]["status"] == "posted"
    assert level(w.s) == 11 and figures(po_id)[w.s] == (10, 11, 0, 0)


def test_the_tolerance_counts_what_earlier_receipts_brought(w):
    settings.update({"over_receipt_tolerance_pct": 10})
    po_id = new_po(w, (w.s, 10), (w.m, 20), (w.l, 5))  # L never comes: still open
    delivered(w, po_id, (w.s, 6), (w.m, 20))
    delivered(w, po_id, (w.s, 5), (w.m, 2))  # 11 of 10 and 22 of 20: within 10 %
    assert figures(po_id) == {w.s: (10, 11, 0, 0), w.m: (20, 22, 0, 0), w.l: (5, 0, 0, 5)}
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    error = refused(NotPermitted, arrive, w, po_id, (w.s, 1))  # would be 12 of 10
    assert "10%" in str(error.detail)
    assert over_lines(error) == {
        "lines[0]": f"{S}: 12 received with the receipts waiting, 10 ordered."
    }
    assert level(w.s) == 11
    # A wrong item is not an over-receipt of the PO: a clerk may record it.
    other = new_po(w, (w.m, 1))
    wrong = arrive(w, other, ArrivedLine(w.xl, 50, reason="wrong"))
    assert wrong["document"]["status"] == "submitted"


def test_the_tolerance_counts_receipts_still_waiting_for_approval(w):
    po_id = new_po(w, (w.s, 10))
    first = arrive(w, po_id, (w.s, 10))["document"]["id"]
    assert doc_status(first) == DocumentStatus.SUBMITTED
    # A second 10 while the first still waits would make 20 of 10 once both are approved.
    error = refused(NotPermitted, arrive, w, po_id, (w.s, 10))
    assert "20 received" in over_lines(error)["lines[0]"]
    # Once the first is rejected, its pieces no longer count.
    receiving.reject(first, operator_id=w.manager, reason="wrong count")
    assert arrive(w, po_id, (w.s, 10))["document"]["status"] == "submitted"


def test_a_clerk_cannot_split_an_over_receipt_across_lines_of_one_variant(w):
    shelf = location("B-01")
    po_id = new_po(w, (w.s, 10))
    error = refused(
        NotPermitted, arrive, w, po_id, ArrivedLine(w.s, 6), ArrivedLine(w.s, 6, location_id=shelf)
    )
    assert list(over_lines(error)) == ["lines[0]"], "the variant's first line is marked"
    assert "12 received" in over_lines(error)["lines[0]"]
    # Two lines that together stay within what was ordered are fine.
    document_id = delivered(w, po_id, ArrivedLine(w.s, 6), ArrivedLine(w.s, 4, location_id=shelf))
    assert movements_of(document_id) == [
        (w.s, default_location_id(), 6, "inbound"),
        (w.s, shelf, 4, "inbound"),
    ]
    assert figures(po_id) == {w.s: (10, 10, 0, 0)} and po_status(po_id) == POStatus.RECEIVED


# ---------------------------------------------------------------- receipts: what arrived


def test_over_short_damaged_and_wrong_lines(w):
    settings.update({"over_receipt_tolerance_pct": 20})
    po_id = new_po(w, (w.s, 10), (w.m, 5), (w.l, 5))
    document_id = arrive(
        w,
        po_id,
        ArrivedLine(w.s, 12, reason="over", note="two extra"),
        ArrivedLine(w.m, 3, damaged=1, reason="damaged"),
        ArrivedLine(w.xl, 2, reason="wrong", note="not ours"),
    )["document"]["id"]
    default = default_location_id()
    assert receipt_lines(document_id) == [
        (w.s, 12, 0, default, None, "over"),
        (w.m, 3, 1, default, None, "damaged"),
        (w.xl, 2, 0, default, None, "wrong"),
    ]
    receiving.approve(document_id, operator_id=w.manager)
    # No quarantine location: the damaged piece is on the receipt line only.
    assert movements_of(document_id) == [
        (w.s, default, 12, "inbound"),
        (w.m, default, 3, "inbound"),
        (w.xl, default, 2, "inbound"),
    ]
    assert (level(w.s), level(w.m), level(w.l), level(w.xl)) == (12, 3, 0, 2)
    assert on_hand(w.m) == 3
    assert figures(po_id) == {w.s: (10, 12, 0, 0), w.m: (5, 3, 0, 2), w.l: (5, 0, 0, 5)}
    assert purchasing.received_by_variant(po_id)[w.xl] == 2  # reported, not on the PO
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    # The short remainder is cancelled when the PO is closed.
    delivered(w, po_id, ArrivedLine(w.l, 4, reason="short"))
    purchasing.close(po_id, operator_id=w.manager)
    assert figures(po_id) == {w.s: (10, 12, 0, 0), w.m: (5, 3, 2, 0), w.l: (5, 4, 1, 0)}
    assert ledger.discrepancies() == []


def test_a_line_may_say_why_nothing_of_it_came(w):
    po_id = new_po(w, (w.s, 10), (w.m, 5))
    document_id = delivered(w, po_id, (w.s, 10), ArrivedLine(w.m, 0, reason="short"))
    default = default_location_id()
    assert receipt_lines(document_id) == [
        (w.s, 10, 0, default, None, ""),
        (w.m, 0, 0, default, None, "short"),
    ]
    assert movements_of(document_id) == [(w.s, default, 10, "inbound")]
    assert figures(po_id) == {w.s: (10, 10, 0, 0), w.m: (5, 0, 0, 5)}
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    # A receipt that only says why nothing came posts nothing, and changes nothing.
    only = delivered(w, po_id, ArrivedLine(w.m, 0, reason="short"))
    assert doc_status(only) == DocumentStatus.POSTED and movements_of(only) == []
    assert figures(po_id)[w.m] == (5, 0, 0, 5) and level(w.m) == 0
    assert ledger.discrepancies() == []


def test_wrong_or_damaged_items_alone_do_not_make_a_po_partially_received(w):
    po_id = new_po(w, (w.s, 10))
    delivered(w, po_id, ArrivedLine(w.xl, 3, reason="wrong"))
    delivered(w, po_id, ArrivedLine(w.s, 0, damaged=2, reason="damaged"))
    assert po_status(po_id) == POStatus.ORDERED
    assert figures(po_id) == {w.s: (10, 0, 0, 10)}
    assert level(w.xl) == 3 and level(w.s) == 0 and on_hand(w.s) == 0
    delivered(w, po_id, (w.s, 1))
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED


def test_damaged_pieces_go_to_quarantine_and_are_not_on_hand(w):
    quarantine = location("Q-01", quarantine=True)
    po_id = new_po(w, (w.s, 10), (w.m, 4))
    document_id = delivered(
        w,
        po_id,
        ArrivedLine(w.s, 7, damaged=3, reason="damaged"),
        ArrivedLine(w.m, 0, damaged=4, reason="damaged"),
    )
    default = default_location_id()
    assert movements_of(document_id) == [
        (w.s, default, 7, "inbound"),
        (w.s, quarantine, 3, "inbound"),
        (w.m, quarantine, 4, "inbound"),
    ]
    assert (balance(w.s, default), balance(w.s, quarantine), balance(w.m, quarantine)) == (7, 3, 4)
    assert (level(w.s), level(w.m)) == (7, 0)  # the app's on hand: sellable only
    assert (on_hand(w.s), on_hand(w.m)) == (10, 4)  # every location
    assert figures(po_id) == {w.s: (10, 7, 0, 3), w.m: (4, 0, 0, 4)}
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    # The next receipt of M goes to its usual sellable location, never to quarantine.
    later = delivered(w, po_id, (w.m, 1))
    assert movements_of(later) == [(w.m, default, 1, "inbound")]
    assert level(w.m) == 1
    assert ledger.discrepancies() == []


def test_put_away_defaults_to_the_location_holding_most_and_takes_an_explicit_one(w):
    shelf, spare = location("B-01"), location("B-02")
    quarantine = location("Q-01", quarantine=True)
    default = default_location_id()
    po_id = new_po(w, (w.s, 50), (w.m, 50), (w.l, 50))
    first = delivered(
        w,
        po_id,
        ArrivedLine(w.s, 2),  # nothing anywhere yet: the default location
        ArrivedLine(w.s, 5, location_id=shelf),
        ArrivedLine(w.m, 0, damaged=9),
    )
    assert [line[3] for line in receipt_lines(first)] == [default, shelf, default]
    second = arrive(
        w, po_id, ArrivedLine(w.s, 3), ArrivedLine(w.m, 1), ArrivedLine(w.l, 1, location_id=spare)
    )["document"]["id"]
    # The location is decided when the receipt is recorded.
    assert [line[3] for line in receipt_lines(second)] == [shelf, default, spare]
    receiving.approve(second, operator_id=w.manager)
    assert movements_of(second) == [
        (w.s, shelf, 3, "inbound"),
        (w.m, default, 1, "inbound"),
        (w.l, spare, 1, "inbound"),
    ]
    assert (balance(w.s, shelf), balance(w.s, default), balance(w.m, quarantine)) == (8, 2, 9)
    error = refused(InvalidInput, arrive, w, po_id, ArrivedLine(w.s, 1, location_id=quarantine))
    assert set(error.errors) == {"lines[0]"} and "sellable" in field_errors(error)["lines[0]"]
    assert ledger.discrepancies() == []


def test_costs_default_to_the_po_lines(w):
    po_id = new_po(w, (w.s, 10, Decimal("12.50")), (w.m, 10))
    document_id = arrive(
        w,
        po_id,
        ArrivedLine(w.s, 2),
        ArrivedLine(w.s, 1, unit_cost=Decimal("11")),
        ArrivedLine(w.m, 1),
        ArrivedLine(w.xl, 1, reason="wrong"),
    )["document"]["id"]
    assert [line[4] for line in receipt_lines(document_id)] == [
        Decimal("12.50"),
        Decimal("11"),
        None,
        None,
    ]


@pytest.mark.parametrize(
    "case",
    [
        "unknown variant",
        "archived variant",
        "nothing arrived",
        "negative received",
        "negative damaged",
        "quarantine location",
        "unknown location",
        "unknown reason",
        "negative cost",
        "long note",
    ],
)
def test_a_bad_receipt_line_is_named_and_nothing_is_written(w, case):
    catalogue.archive_variant(w.l)
    quarantine = location("Q-01", quarantine=True)
    po_id = new_po(w, (w.s, 10), (w.m, 10))
    second = {
        "unknown variant": ArrivedLine(999_999, 1),
        "archived variant": ArrivedLine(w.l, 1),
        "nothing arrived": ArrivedLine(w.m, 0),
        "negative received": ArrivedLine(w.m, -1, damaged=2),
        "negative damaged": ArrivedLine(w.m, 2, damaged=-1),
        "quarantine location": ArrivedLine(w.m, 1, location_id=quarantine),
        "unknown location": ArrivedLine(w.m, 1, location_id=999_999),
        "unknown reason": ArrivedLine(w.m, 1, reason="stolen"),
        "negative cost": ArrivedLine(w.m, 1, unit_cost=Decimal("-1")),
        "long note": ArrivedLine(w.m, 1, note="n" * 501),
    }[case]
    for submit, operator in ((False, w.clerk), (True, w.clerk), (True, w.manager)):
        error = refused(
            InvalidInput, arrive, w, po_id, (w.s, 1), second, by=operator, submit=submit
        )
        assert set(error.errors) == {"lines[1]"}, case
    # The same checks hold for a receipt without a PO.
    error = refused(
        InvalidInput, receiving.create, lines=[ArrivedLine(w.s, 1), second], operator_id=w.clerk
    )
    assert set(error.errors) == {"lines[1]"}


def test_receipt_input_errors_name_the_po_and_every_line(w):
    error = refused(InvalidInput, arrive, w, 999_999, (w.s, 1))
    assert set(error.errors) == {"po"} and "999999" in field_errors(error)["po"]
    po_id = new_po(w, (w.s, 10))
    error = refused(InvalidInput, arrive, w, po_id)
    assert set(error.errors) == {"lines"}
    error = refused(
        InvalidInput,
        arrive,
        w,
        po_id,
        ArrivedLine(999_999, 1),
        ArrivedLine(w.s, 1),
        ArrivedLine(w.s, 0, damaged=0),
        ArrivedLine(w.m, 1, reason="lost"),
    )
    messages = field_errors(error)
    assert set(messages) == {"lines[0]", "lines[2]", "lines[3]"}
    assert "archived" in messages["lines[0]"] and "reason" in messages["lines[3]"]


# ---------------------------------------------------------------- quick inbound


def test_quick_inbound_posts_at_once_by_default(w):
    result = receiving.receive(lines=[(w.s, 5), (w.m, 2)], operator_id=w.clerk, note="found")
    document_id = result["document"]["id"]
    assert result["document"]["status"] == "posted" and doc_status(document_id) == "posted"
    assert [(m["variant_id"], m["delta"], m["balance_after"]) for m in result["movements"]] == [
        (w.s, 5, 5),
        (w.m, 2, 2),
    ]
    receipt = header(document_id)
    assert (receipt.po_id, receipt.supplier_id, receipt.decided_by) == (None, None, w.clerk)
    assert [line[4] for line in receipt_lines(document_id)] == [None, None]
    assert (level(w.s), level(w.m)) == (5, 2)
    assert ledger.discrepancies() == []


def test_quick_inbound_is_written_once_and_reads_only_balances_while_it_writes(w):
    """The receipt is inserted in the state it ends in (no draft, no claim, no reload),
    and everything it reads but the balances it changes comes before its write
    transaction: on SQLite the write lock is held for its writes alone."""
    receiving.receive(lines=[(w.s, 1)], operator_id=w.clerk)  # the first stock: a new row
    statements = []

    def seen(_conn, _cursor, statement, *_):
        statements.append(" ".join(statement.split()[:3]).upper())

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = receiving.receive(lines=[(w.s, 2), (w.m, 3)], operator_id=w.clerk)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert result["document"]["status"] == "posted"
    receipt = header(result["document"]["id"])
    assert receipt.submitted_by == receipt.decided_by == w.clerk and receipt.submitted_at
    assert not [s for s in statements if s.startswith(("UPDATE DOCUMENTS", "UPDATE RECEIPTS"))]
    if db.engine.dialect.name == "sqlite":
        writing = statements[statements.index("BEGIN IMMEDIATE") + 1 :]
        reads = [s for s in writing if s.startswith("SELECT") and "BALANCES." not in s]
        assert writing and not reads, statements


def test_a_quick_inbound_repeated_with_its_key_answers_the_first_even_if_now_refused(w):
    """Its lines are checked before the write transaction; a repeat with the key still
    finds the receipt it made, though the variant was archived since."""
    first = receiving.receive(lines=[(w.s, 4)], operator_id=w.clerk, idempotency_key="dialog-1")
    # Archived in a race with the receipt (the service refuses a variant with stock).
    with write_transaction() as session:
        session.get(Variant, w.s).archived = True
    again = receiving.receive(lines=[(w.s, 4)], operator_id=w.clerk, idempotency_key="dialog-1")
    assert again == first and level(w.s) == 4
    with pytest.raises(InvalidInput) as refused:  # a new request is refused, key or not
        receiving.receive(lines=[(w.s, 4)], operator_id=w.clerk, idempotency_key="dialog-2")
    assert "archived" in str(refused.value.errors["lines[0]"])
    assert level(w.s) == 4


def test_quick_inbound_waits_for_approval_when_the_setting_asks(w):
    settings.update({"direct_receipts_need_approval": True})
    result = receiving.receive(lines=[(w.s, 5)], operator_id=w.clerk)
    document_id = result["document"]["id"]
    assert result["document"]["status"] == "submitted" and result["movements"] == []
    assert level(w.s) == 0
    # A manager's own quick inbound still posts at once.
    assert receiving.receive(lines=[(w.m, 1)], operator_id=w.manager)["document"]["status"] == (
        "posted"
    )
    # A clerk's is approved (any amount: there is no PO to be over) or rejected.
    receiving.approve(document_id, operator_id=w.manager)
    assert (level(w.s), level(w.m)) == (5, 1)
    other = receiving.receive(lines=[(w.s, 99)], operator_id=w.clerk)["document"]["id"]
    receiving.reject(other, operator_id=w.manager, reason="miscounted")
    assert level(w.s) == 5 and movements_of(other) == []
    # Approval for PO receipts does not change the quick inbound.
    settings.update({"direct_receipts_need_approval": False, "po_receipts_need_approval": True})
    assert receiving.receive(lines=[(w.s, 1)], operator_id=w.clerk)["document"]["status"] == (
        "posted"
    )
    assert ledger.discrepancies() == []


# ---------------------------------------------------------------- idempotency


def test_receipt_calls_replay_with_their_idempotency_key(w):
    po_id = new_po(w, (w.s, 10))
    lines = [ArrivedLine(w.s, 4)]
    first = receiving.create(
        lines=lines, po_id=po_id, operator_id=w.clerk, submit=True, idempotency_key="truck-1"
    )
    before = state()
    again = receiving.create(
        lines=lines, po_id=po_id, operator_id=w.clerk, submit=True, idempotency_key="truck-1"
    )
    assert again == first and state() == before
    refused(
        IdempotencyKeyReused,
        receiving.create,
        lines=[ArrivedLine(w.s, 5)],
        po_id=po_id,
        operator_id=w.clerk,
        submit=True,
        idempotency_key="truck-1",
    )
    document_id = first["document"]["id"]
    approved = receiving.approve(document_id, operator_id=w.manager, idempotency_key="ok-1")
    before = state()
    assert receiving.approve(document_id, operator_id=w.manager, idempotency_key="ok-1") == approved
    assert state() == before
    refused(AlreadyApproved, receiving.approve, document_id, operator_id=w.manager)
    assert len(movements_of(document_id)) == 1 and level(w.s) == 4

    # A manager's receipt posts as it is created: a replay posts nothing more.
    posted = receiving.create(
        lines=lines, po_id=po_id, operator_id=w.manager, submit=True, idempotency_key="truck-2"
    )
    before = state()
    again = receiving.create(
        lines=lines, po_id=po_id, operator_id=w.manager, submit=True, idempotency_key="truck-2"
    )
    assert again == posted and state() == before and level(w.s) == 8

    quick = receiving.receive(lines=[(w.m, 3)], operator_id=w.clerk, idempotency_key="tap")
    assert receiving.receive(lines=[(w.m, 3)], operator_id=w.clerk, idempotency_key="tap") == quick
    assert level(w.m) == 3

    draft = arrive(w, po_id, (w.s, 1), submit=False)["document"]["id"]
    submitted = receiving.submit(draft, operator_id=w.clerk, idempotency_key="send")
    assert receiving.submit(draft, operator_id=w.clerk, idempotency_key="send") == submitted
    rejected = receiving.reject(draft, operator_id=w.manager, reason="no", idempotency_key="rj")
    assert receiving.reject(draft, operator_id=w.manager, reason="no", idempotency_key="rj") == (
        rejected
    )
    assert doc_status(draft) == DocumentStatus.REJECTED
    assert figures(po_id) == {w.s: (10, 8, 0, 2)}
    assert ledger.discrepancies() == []


# ---------------------------------------------------------------- reversal


def test_reversing_a_posted_receipt_takes_the_po_back(w):
    quarantine = location("Q-01", quarantine=True)
    po_id = new_po(w, (w.s, 10), (w.m, 4))
    first = delivered(w, po_id, (w.s, 6), ArrivedLine(w.m, 4, damaged=1))
    second = delivered(w, po_id, (w.s, 4))
    assert po_status(po_id) == POStatus.RECEIVED
    assert (level(w.s), level(w.m), balance(w.m, quarantine)) == (10, 4, 1)

    reversal = reverse_receipt(w, second)
    assert doc_status(second) == DocumentStatus.REVERSED
    assert reversal["document"]["kind"] == "reversal"
    assert po_status(po_id) == POStatus.PARTIALLY_RECEIVED
    assert figures(po_id) == {w.s: (10, 6, 0, 4), w.m: (4, 4, 0, 0)}
    assert level(w.s) == 6

    reverse_receipt(w, first)
    assert po_status(po_id) == POStatus.ORDERED
    assert figures(po_id) == {w.s: (10, 0, 0, 10), w.m: (4, 0, 0, 4)}
    # Every movement was undone, the quarantined piece too.
    assert (on_hand(w.s), on_hand(w.m), balance(w.m, quarantine)) == (0, 0, 0)
    # A reversed receipt is not approved, rejected or reversed again.
    refused(InvalidTransition, receiving.approve, first, operator_id=w.manager)
    refused(InvalidTransition, receiving.reject, first, operator_id=w.manager, reason="x")
    with pytest.raises(InvalidTransition):
        reverse_receipt(w, first)
    # The PO takes receipts again.
    delivered(w, po_id, (w.s, 10), (w.m, 4))
    assert po_status(po_id) == POStatus.RECEIVED
    assert ledger.discrepancies() == []


def test_reversing_a_quick_inbound_leaves_purchasing_alone(w):
    po_id = new_po(w, (w.s, 10))
    document_id = receiving.receive(lines=[(w.s, 3)], operator_id=w.clerk)["document"]["id"]
    reverse_receipt(w, document_id)
    assert doc_status(document_id) == DocumentStatus.REVERSED and on_hand(w.s) == 0
    assert po_status(po_id) == POStatus.ORDERED
    assert ledger.discrepancies() == []


# ---------------------------------------------------------------- stocktakes over locations


def test_a_stocktake_counts_a_variant_over_all_its_locations(w):
    """Stock put away to a shelf is counted with the rest: the dialog shows the
    total, and the correction comes out of the default location first, then the shelf,
    and goes into the location that holds most."""
    shelf = location("B-01")
    po_id = new_po(w, (w.s, 10))
    delivered(w, po_id, ArrivedLine(w.s, 8, location_id=shelf), ArrivedLine(w.s, 2))
    assert level(w.s) == 10
    counting.count(lines=[counting.CountLine(w.s, 7, 10)], operator_id=w.clerk)
    taken = db.session.execute(
        select(Movement.location_id, Movement.delta)
        .where(Movement.kind == MovementKind.STOCKTAKE.value)
        .order_by(Movement.id)
    ).all()
    assert [tuple(row) for row in taken] == [(default_location_id(), -2), (shelf, -1)]
    counting.count(lines=[counting.CountLine(w.s, 9, 7)], operator_id=w.clerk)
    per_location = dict(
        db.session.execute(
            select(Balance.location_id, Balance.qty).where(Balance.variant_id == w.s)
        ).all()
    )
    assert per_location == {default_location_id(): 0, shelf: 9}
    # What the dialog showed is checked against the total, not one location.
    error = refused(
        StaleCount, counting.count, lines=[counting.CountLine(w.s, 1, 2)], operator_id=w.clerk
    )
    assert error.differences[0].on_hand == 9
    assert ledger.discrepancies() == []
