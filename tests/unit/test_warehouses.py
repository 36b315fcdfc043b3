"""Warehouses (仓库) and their locations (货位): every change with its audit row, every
refusal (nothing written), and who works in which warehouse."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import (
    AuditAction,
    AuditEntry,
    AuditSubject,
    Location,
    MovementKind,
    Role,
    TransferDecision,
    User,
    Warehouse,
)
from stockapp.services import accounts, ledger, receiving, settings, transfers, warehouses
from stockapp.services.errors import InvalidInput, InvalidTransition, NotFound, NotPermitted
from tests.support.db import held, row_count


def last_audit() -> tuple:
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    return entry.subject, entry.subject_key, entry.action, entry.before, entry.after


def warehouse(warehouse_id: int) -> Warehouse:
    db.session.rollback()
    return db.session.get(Warehouse, warehouse_id)


def put_stock(variant_id: int, location_id: int, qty: int, operator_id: int) -> None:
    with write_transaction():
        ledger.post(
            [ledger.Line(variant_id, location_id, qty)],
            kind=MovementKind.INBOUND,
            operator_id=operator_id,
            document_id=None,
        )


@pytest.fixture(autouse=True)
def english(ctx):
    """The refusals' messages as an English-speaking user reads them."""
    with force_locale("en"):
        yield


@pytest.fixture
def boss(ctx, make_user):
    return make_user(Role.MANAGER, username="boss")


def test_a_new_warehouse_has_its_default_location_and_audit_row(boss):
    new = warehouses.create_warehouse(code=" sh-01 ", name=" 上海仓 ", actor_id=boss)
    found = warehouse(new)
    assert (found.code, found.name, found.active) == ("SH-01", "上海仓", True)
    assert [(x.code, x.is_default) for x in warehouses.locations(new)] == [("DEFAULT", True)]
    assert last_audit() == (
        AuditSubject.WAREHOUSE,
        "SH-01",
        AuditAction.CREATED,
        None,
        {"name": "上海仓", "active": True},
    )


@pytest.mark.parametrize(
    ("code", "name", "errors"),
    [
        ("", "X", {"code"}),
        ("SH 01", "X", {"code"}),
        ("仓库", "X", {"code"}),
        ("A" * 21, "X", {"code"}),
        ("-SH", "X", {"code"}),
        ("SH-02", "", {"name"}),
        ("SH-02", "x" * 81, {"name"}),
        ("main", "Again", {"code"}),
        ("", "", {"code", "name"}),
    ],
)
def test_a_bad_or_taken_code_or_name_is_refused_and_nothing_written(boss, code, name, errors):
    before = row_count("warehouses"), row_count("locations"), row_count("audit_entries")
    with pytest.raises(InvalidInput) as refused:
        warehouses.create_warehouse(code=code, name=name, actor_id=boss)
    assert set(refused.value.errors) == errors
    assert (row_count("warehouses"), row_count("locations"), row_count("audit_entries")) == before


def test_rename_deactivate_reactivate_each_write_an_audit_row(boss):
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    warehouses.change_warehouse(warehouse_id=new, name=" Shanghai East ", actor_id=boss)
    assert warehouse(new).name == "Shanghai East"
    assert last_audit()[2:] == (
        AuditAction.CHANGED,
        {"name": "Shanghai"},
        {"name": "Shanghai East"},
    )
    warehouses.change_warehouse(warehouse_id=new, active=False, actor_id=boss)
    assert warehouse(new).active is False
    assert last_audit()[2:] == (AuditAction.DEACTIVATED, {"active": True}, {"active": False})
    warehouses.change_warehouse(warehouse_id=new, active=True, actor_id=boss)
    assert warehouse(new).active is True
    assert last_audit()[2:] == (AuditAction.REACTIVATED, {"active": False}, {"active": True})
    audits = row_count("audit_entries")
    warehouses.change_warehouse(warehouse_id=new, name="Shanghai East", active=True)
    assert row_count("audit_entries") == audits  # nothing changed, nothing recorded


def test_a_rename_to_nothing_or_too_long_is_refused(boss):
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    for name in ("  ", "x" * 81):
        with pytest.raises(InvalidInput) as refused:
            warehouses.change_warehouse(warehouse_id=new, name=name, actor_id=boss)
        assert set(refused.value.errors) == {"name"}
    assert warehouse(new).name == "Shanghai"
    with pytest.raises(NotFound):
        warehouses.change_warehouse(warehouse_id=99_999, name="X")


def test_the_main_warehouse_cannot_be_deactivated(boss):
    with pytest.raises(InvalidTransition, match="main warehouse"):
        warehouses.change_warehouse(warehouse_id=warehouses.main_warehouse_id(), active=False)
    assert warehouse(warehouses.main_warehouse_id()).active is True


def test_a_warehouse_holding_stock_cannot_be_deactivated(boss, make_style):
    skus = make_style("A1", sizes=("M",), colours=("Black",))
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    bin_id = warehouses.create_location(warehouse_id=new, code="A-01", actor_id=boss)
    put_stock(skus["A1-Black-M"], bin_id, 3, boss)
    audits = row_count("audit_entries")
    with pytest.raises(InvalidTransition, match="holds stock"):
        warehouses.change_warehouse(warehouse_id=new, name="Renamed", active=False, actor_id=boss)
    found = warehouse(new)
    assert (found.active, found.name, row_count("audit_entries")) == (True, "Shanghai", audits)
    put_stock(skus["A1-Black-M"], bin_id, -3, boss)  # emptied: now it may go
    warehouses.change_warehouse(warehouse_id=new, active=False, actor_id=boss)
    assert warehouse(new).active is False


def test_a_warehouse_with_an_open_receipt_cannot_be_deactivated(boss, make_style):
    skus = make_style("A1", sizes=("M",), colours=("Black",))
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    bin_id = warehouses.create_location(warehouse_id=new, code="A-01", actor_id=boss)
    draft = receiving.create(
        lines=[receiving.ArrivedLine(skus["A1-Black-M"], 2, location_id=bin_id)],
        operator_id=boss,
        warehouse_id=new,
    )
    with pytest.raises(InvalidTransition, match=draft["document"]["number"]):
        warehouses.change_warehouse(warehouse_id=new, active=False, actor_id=boss)
    assert warehouse(new).active is True


@pytest.mark.parametrize("side", ["from", "to"])
def test_a_warehouse_with_a_transfer_not_closed_cannot_be_deactivated(boss, make_style, side):
    """A transfer from or to the warehouse, as a draft, in transit and waiting for a
    decision, each refuses naming it and its state (nothing written); closed, it no
    longer does."""
    variant = make_style("A1", sizes=("M",), colours=())["A1-M"]
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    main = warehouses.main_warehouse_id()
    source, to = (sh, main) if side == "from" else (main, sh)
    source_bin = default_location(source)
    put_stock(variant, source_bin, 2, boss)
    transfer = transfers.create(
        from_warehouse_id=source, to_warehouse_id=to, lines=[(variant, 2)], operator_id=boss
    )

    def refused(state: str) -> None:
        audits = row_count("audit_entries")
        with pytest.raises(InvalidTransition) as refusal:
            warehouses.change_warehouse(warehouse_id=sh, active=False, actor_id=boss)
        assert refusal.value.detail == (
            f"Warehouse SH has a transfer that is not closed ({transfer['number']}, {state}): "
            "finish or cancel it first."
        )
        assert warehouse(sh).active is True and row_count("audit_entries") == audits

    refused("Draft")
    transfers.ship(transfer["id"], operator_id=boss)
    assert held(variant, source_bin) == 0  # from SH: nothing left in it, and still refused
    refused("In transit")
    transfers.receive(transfer["id"], lines=[transfers.Received(variant, 1)], operator_id=boss)
    refused("Waiting for a decision")
    transfers.decide(
        transfer["id"], lines=[(variant, TransferDecision.WRITE_OFF)], operator_id=boss
    )
    if side == "to":  # the piece received is in SH's bin: it still holds stock
        with pytest.raises(InvalidTransition, match="still holds stock"):
            warehouses.change_warehouse(warehouse_id=sh, active=False, actor_id=boss)
        put_stock(variant, default_location(sh), -1, boss)
    warehouses.change_warehouse(warehouse_id=sh, active=False, actor_id=boss)
    assert warehouse(sh).active is False
    assert ledger.discrepancies() == []


def test_a_cancelled_transfer_does_not_keep_a_warehouse_active(boss, make_style):
    variant = make_style("A1", sizes=("M",), colours=())["A1-M"]
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    put_stock(variant, warehouses.default_location_id(), 2, boss)
    draft = transfers.create(
        from_warehouse_id=warehouses.main_warehouse_id(),
        to_warehouse_id=sh,
        lines=[(variant, 2)],
        operator_id=boss,
    )
    with force_locale("zh_CN"):
        with pytest.raises(InvalidTransition) as refusal:
            warehouses.change_warehouse(warehouse_id=sh, active=False, actor_id=boss)
        assert draft["number"] in refusal.value.detail and "调拨" in refusal.value.detail
    transfers.cancel(draft["id"], operator_id=boss)
    warehouses.change_warehouse(warehouse_id=sh, active=False, actor_id=boss)
    assert warehouse(sh).active is False
    assert ledger.discrepancies() == []


def default_location(warehouse_id: int) -> int:
    return db.session.scalar(
        select(Location.id).where(Location.warehouse_id == warehouse_id, Location.is_default)
    )


def test_a_deactivated_warehouse_takes_no_new_locations(boss):
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    warehouses.change_warehouse(warehouse_id=new, active=False, actor_id=boss)
    locations = row_count("locations")
    with pytest.raises(InvalidTransition, match="deactivated"):
        warehouses.create_location(warehouse_id=new, code="A-01", actor_id=boss)
    assert row_count("locations") == locations


def test_locations_of_another_warehouse_may_share_a_code(boss):
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    main = warehouses.main_warehouse_id()
    warehouses.create_location(warehouse_id=main, code="A-01", actor_id=boss)
    bin_id = warehouses.create_location(
        warehouse_id=new, code="a-01", zone="Knits", is_quarantine=True, actor_id=boss
    )
    assert last_audit() == (
        AuditSubject.LOCATION,
        "SH A-01",
        AuditAction.CREATED,
        None,
        {"zone": "Knits", "note": "", "is_quarantine": True},
    )
    with pytest.raises(InvalidInput) as refused:
        warehouses.create_location(warehouse_id=new, code="A-01")
    assert set(refused.value.errors) == {"code"}
    assert db.session.get(Location, bin_id).warehouse_id == new


def test_a_location_edit_writes_before_and_after(boss):
    bin_id = warehouses.create_location(
        warehouse_id=warehouses.main_warehouse_id(), code="A-01", zone="Knits", actor_id=boss
    )
    warehouses.change_location(
        location_id=bin_id,
        name=" Top shelf ",
        zone="Knits",
        note="by the door",
        is_quarantine=True,
        actor_id=boss,
    )
    db.session.rollback()
    location = db.session.get(Location, bin_id)
    assert (location.name, location.zone, location.note, location.is_quarantine) == (
        "Top shelf",
        "Knits",
        "by the door",
        True,
    )
    assert last_audit() == (
        AuditSubject.LOCATION,
        "MAIN A-01",
        AuditAction.CHANGED,
        {"name": "", "note": "", "is_quarantine": False},
        {"name": "Top shelf", "note": "by the door", "is_quarantine": True},
    )


def test_a_location_edit_is_refused_when_too_long_or_it_would_hide_stock(boss, make_style):
    skus = make_style("A1", sizes=("M",), colours=("Black",))
    bin_id = warehouses.create_location(
        warehouse_id=warehouses.main_warehouse_id(), code="A-01", actor_id=boss
    )
    with pytest.raises(InvalidInput) as refused:
        warehouses.change_location(location_id=bin_id, name="x" * 41, zone="z" * 41)
    assert set(refused.value.errors) == {"name", "zone"}
    put_stock(skus["A1-Black-M"], bin_id, 2, boss)
    audits = row_count("audit_entries")
    with pytest.raises(InvalidTransition, match="A-01 holds stock"):
        warehouses.change_location(location_id=bin_id, name="Q", is_quarantine=True)
    with pytest.raises(InvalidTransition, match="default location"):
        warehouses.change_location(location_id=warehouses.default_location_id(), is_quarantine=True)
    with pytest.raises(NotFound):
        warehouses.change_location(location_id=99_999, name="x")
    db.session.rollback()
    location = db.session.get(Location, bin_id)
    assert (location.name, location.is_quarantine) == ("", False)
    assert row_count("audit_entries") == audits


# ---------------------------------------------------------------- who works where


def test_new_users_start_with_the_main_warehouse_managers_with_every_one(boss, make_user):
    clerk, viewer = make_user(Role.CLERK), make_user(Role.VIEWER)
    main = warehouses.main_warehouse_id()
    assert warehouses.allowed_warehouse_ids(boss) is None
    assert warehouses.allowed_warehouse_ids(clerk) == frozenset({main})
    assert warehouses.allowed_warehouse_ids(viewer) == frozenset({main})
    assert warehouses.allowed_warehouse_ids(99_999) == frozenset()
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    assert warehouses.allowed_warehouse_ids(clerk) == frozenset({main})  # not given it
    warehouses.require_warehouse(boss, new)  # a manager of every warehouse


def test_require_warehouse_and_location(boss, make_user):
    clerk = make_user(Role.CLERK)
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    theirs = warehouses.create_location(warehouse_id=new, code="A-01", actor_id=boss)
    mine = warehouses.create_location(
        warehouse_id=warehouses.main_warehouse_id(), code="A-01", actor_id=boss
    )
    warehouses.require_warehouse(clerk, warehouses.main_warehouse_id())
    assert warehouses.require_location(clerk, mine).id == mine
    with pytest.raises(NotPermitted):
        warehouses.require_warehouse(clerk, new)
    with pytest.raises(NotPermitted):
        warehouses.require_location(clerk, theirs)
    with pytest.raises(NotFound):
        warehouses.require_warehouse(clerk, 99_999)
    with pytest.raises(NotFound):
        warehouses.require_location(clerk, 99_999)


def test_set_user_warehouses_replaces_them_with_an_audit_row(boss, make_user):
    clerk = make_user(Role.CLERK, username="li")
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    main = warehouses.main_warehouse_id()
    warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=[new], actor_id=boss)
    assert warehouses.allowed_warehouse_ids(clerk) == frozenset({new})
    assert last_audit() == (
        AuditSubject.USER,
        "li",
        AuditAction.CHANGED,
        {"warehouses": ["MAIN"]},
        {"warehouses": ["SH"]},
    )
    warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=[new, main], actor_id=boss)
    assert warehouses.allowed_warehouse_ids(clerk) == frozenset({new, main})
    warehouses.set_user_warehouses(user_id=boss, warehouse_ids=[new], actor_id=boss)
    assert warehouses.allowed_warehouse_ids(boss) == frozenset({new})
    assert last_audit()[3:] == (
        {"all_warehouses": True, "warehouses": []},
        {"all_warehouses": False, "warehouses": ["SH"]},
    )
    warehouses.set_user_warehouses(user_id=boss, warehouse_ids=[], all_warehouses=True)
    assert warehouses.allowed_warehouse_ids(boss) is None


def test_set_user_warehouses_refuses_and_writes_nothing(boss, make_user):
    clerk = make_user(Role.CLERK)
    audits = row_count("audit_entries")
    with pytest.raises(InvalidInput) as refused:
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=[], all_warehouses=True)
    assert set(refused.value.errors) == {"all_warehouses"}
    with pytest.raises(InvalidInput) as refused:
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=[99_999])
    assert set(refused.value.errors) == {"warehouses"}
    with pytest.raises(NotFound):
        warehouses.set_user_warehouses(user_id=99_999, warehouse_ids=[])
    assert row_count("audit_entries") == audits
    assert warehouses.allowed_warehouse_ids(clerk) == frozenset({warehouses.main_warehouse_id()})


def test_a_manager_of_some_warehouses_is_given_the_one_they_add(boss, make_user):
    other = make_user(Role.MANAGER)
    main = warehouses.main_warehouse_id()
    warehouses.set_user_warehouses(user_id=other, warehouse_ids=[main], actor_id=boss)
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=other)
    assert warehouses.allowed_warehouse_ids(other) == frozenset({main, new})


def test_a_demoted_manager_keeps_every_warehouse_there_is(boss, make_user):
    other = make_user(Role.MANAGER, username="wang")
    new = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    accounts.change_user(username="wang", role=Role.CLERK, actor_id=boss)
    db.session.rollback()
    assert db.session.get(User, other).all_warehouses is False
    assert warehouses.allowed_warehouse_ids(other) == frozenset(
        {warehouses.main_warehouse_id(), new}
    )
    assert last_audit()[3:] == (
        {"role": "manager", "all_warehouses": True},
        {"role": "clerk", "all_warehouses": False},
    )


def test_signing_in_remembers_where_the_user_works_until_that_changes(boss, make_user):
    """The sign-in queries (a token's, a session's) read where the user works for the
    rest of the request; every change of it in that request is seen at once."""
    main = warehouses.main_warehouse_id()
    clerk = make_user(Role.CLERK, username="li")
    other = make_user(Role.MANAGER, username="wang")
    some = make_user(Role.MANAGER, username="zhao")
    shop = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    warehouses.set_user_warehouses(user_id=some, warehouse_ids=[main], actor_id=boss)

    def signed_in(user_id: int, name: str, *, by_token: bool = False) -> None:
        db.session.remove()  # a new request
        if by_token:
            _, token = accounts.create_token(name, actor_id=boss)
            assert accounts.user_for_token(token).id == user_id
        else:
            session = accounts.start_session(user_id, address="127.0.0.1", user_agent="t")
            assert accounts.user_for_session(session).id == user_id

    for user_id, name in ((boss, "boss"), (clerk, "li"), (other, "wang"), (some, "zhao")):
        queried = warehouses.allowed_warehouse_ids(user_id)
        for by_token in (True, False):
            signed_in(user_id, name, by_token=by_token)
            assert warehouses.allowed_warehouse_ids(user_id) == queried
    signed_in(clerk, "li")
    warehouses.set_user_warehouses(user_id=clerk, warehouse_ids=[main, shop], actor_id=boss)
    assert warehouses.allowed_warehouse_ids(clerk) == frozenset({main, shop})
    signed_in(other, "wang")
    assert warehouses.allowed_warehouse_ids(other) is None
    accounts.change_user(username="wang", role=Role.CLERK, actor_id=boss)
    assert warehouses.allowed_warehouse_ids(other) == frozenset({main, shop})
    signed_in(some, "zhao", by_token=True)
    ours = warehouses.create_warehouse(code="BJ", name="Beijing", actor_id=some)
    assert warehouses.allowed_warehouse_ids(some) == frozenset({main, ours})


# ---------------------------------------------- the warehouse goods go into


def test_the_working_warehouse_is_the_main_one_else_the_users_only_one(boss, make_user):
    main = warehouses.main_warehouse_id()
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    bj = warehouses.create_warehouse(code="BJ", name="Beijing", actor_id=boss)
    both, shop, two = (make_user(Role.CLERK, username=n) for n in ("both", "shop", "two"))
    warehouses.set_user_warehouses(user_id=both, warehouse_ids={main, sh}, actor_id=boss)
    warehouses.set_user_warehouses(user_id=shop, warehouse_ids={sh}, actor_id=boss)
    warehouses.set_user_warehouses(user_id=two, warehouse_ids={sh, bj}, actor_id=boss)
    assert warehouses.working_warehouse_id(boss) == main
    assert warehouses.working_warehouse_id(both) == main
    assert warehouses.working_warehouse_id(shop) == sh
    assert warehouses.working_warehouse_id(two, bj) == bj
    with pytest.raises(InvalidInput) as refused:
        warehouses.working_warehouse_id(two)
    assert refused.value.errors == {"warehouse": "Choose a warehouse."}
    with pytest.raises(NotPermitted):
        warehouses.working_warehouse_id(shop, main)
    with pytest.raises(NotFound):
        warehouses.working_warehouse_id(boss, 9999)
    warehouses.change_warehouse(warehouse_id=bj, active=False, actor_id=boss)
    with pytest.raises(InvalidInput) as refused:
        warehouses.working_warehouse_id(two, bj)
    assert refused.value.errors == {
        "warehouse": "Warehouse BJ is deactivated: reactivate it first."
    }


def test_a_quick_inbound_goes_to_the_usual_bin_of_the_users_warehouse(boss, make_user, make_style):
    """A clerk of the shop only receives into the shop: into the bin there holding most
    of the variant, or a bin of the shop they name; never into another warehouse's."""
    skus = make_style("A1", sizes=("M", "L"), colours=("Black",))
    m, size_l = skus["A1-Black-M"], skus["A1-Black-L"]
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    shelf = warehouses.create_location(warehouse_id=sh, code="A-01", actor_id=boss)
    put_stock(m, shelf, 3, boss)
    clerk = make_user(Role.CLERK, username="shop")
    warehouses.set_user_warehouses(user_id=clerk, warehouse_ids={sh}, actor_id=boss)
    shop_default = warehouses.usual_locations([size_l], sh)[size_l]
    assert db.session.get(Location, shop_default).is_default
    result = receiving.receive(lines=[(m, 2), (size_l, 1)], operator_id=clerk)
    assert [(x["variant_id"], x["location_id"], x["delta"]) for x in result["movements"]] == [
        (m, shelf, 2),
        (size_l, shop_default, 1),
    ]
    result = receiving.receive(lines=[(size_l, 4)], operator_id=clerk, location_id=shelf)
    assert [x["location_id"] for x in result["movements"]] == [shelf]
    before = row_count("documents"), row_count("movements")
    with pytest.raises(InvalidInput) as refused:
        receiving.receive(
            lines=[(m, 1)], operator_id=clerk, location_id=warehouses.default_location_id()
        )
    assert refused.value.errors == {
        "lines[0]": "Choose a location for sellable stock in this warehouse."
    }
    with pytest.raises(NotPermitted):
        receiving.receive(
            lines=[(m, 1)], operator_id=clerk, warehouse_id=warehouses.main_warehouse_id()
        )
    assert (row_count("documents"), row_count("movements")) == before
    assert ledger.discrepancies() == []


def test_a_receipt_is_decided_only_by_a_manager_of_its_warehouse(boss, make_user, make_style):
    skus = make_style("A1", sizes=("M",), colours=("Black",))
    sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
    clerk = make_user(Role.CLERK, username="shop")
    warehouses.set_user_warehouses(user_id=clerk, warehouse_ids={sh}, actor_id=boss)
    deputy = make_user(Role.MANAGER, username="deputy")
    warehouses.set_user_warehouses(
        user_id=deputy, warehouse_ids={warehouses.main_warehouse_id()}, actor_id=boss
    )
    settings.update({"direct_receipts_need_approval": True})
    draft = receiving.create(
        lines=[receiving.ArrivedLine(skus["A1-Black-M"], 2)], operator_id=clerk
    )
    document_id = draft["document"]["id"]
    assert receiving.submit(document_id, operator_id=clerk)["document"]["status"] == "submitted"
    for decide in (
        lambda: receiving.approve(document_id, operator_id=deputy),
        lambda: receiving.reject(document_id, operator_id=deputy, reason="no"),
    ):
        with pytest.raises(NotPermitted):
            decide()
    posted = receiving.approve(document_id, operator_id=boss)
    assert [x["delta"] for x in posted["movements"]] == [2]
    assert ledger.discrepancies() == []
