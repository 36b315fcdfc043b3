"""Managing users: each change with its audit row (before → after, never a password),
every refusal, the last active manager, and the audit rows of settings, suppliers,
locations and tokens."""

import threading
import time

import pytest
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.i18n import lazy_gettext as _l
from stockapp.models import AuditAction, AuditEntry, AuditSubject, Role, User
from stockapp.queries import accounts as account_queries
from stockapp.services import accounts, settings, suppliers, warehouses
from stockapp.services.errors import InvalidInput, LastManager, NotFound
from tests.support.apps import PASSWORD

FIRST = "hand over 2026"


def trail(subject: AuditSubject | None = None) -> list[AuditEntry]:
    db.session.rollback()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return list(db.session.scalars(query))


def last(subject: AuditSubject) -> tuple:
    entry = trail(subject)[-1]
    return entry.actor_id, entry.subject_key, entry.action, entry.before, entry.after


def no_password_anywhere():
    for entry in trail():
        for fields in (entry.before or {}, entry.after or {}):
            assert set(fields.get("password", "set")) and fields.get("password", "set") in (
                "set",
                "reset",
                "changed",
            )
            assert not any(PASSWORD in str(v) or FIRST in str(v) for v in fields.values())


def test_a_new_user_and_each_change_write_their_audit_rows(ctx, make_user):
    boss = make_user(Role.MANAGER, username="boss")
    accounts.create_user(
        username=" li ",
        display_name=" 李娜 ",
        role="clerk",
        password=FIRST,
        must_change_password=True,
        actor_id=boss,
    )
    li = db.session.scalar(select(User).where(User.username == "li"))
    assert (li.display_name, li.must_change_password) == ("李娜", True)
    assert last(AuditSubject.USER) == (
        boss,
        "li",
        AuditAction.CREATED,
        None,
        {"display_name": "李娜", "role": "clerk", "active": True, "password": "set"},
    )
    accounts.change_user(username="li", actor_id=boss, role="viewer", display_name="Li Na")
    assert last(AuditSubject.USER) == (
        boss,
        "li",
        AuditAction.CHANGED,
        {"role": "clerk", "display_name": "李娜"},
        {"role": "viewer", "display_name": "Li Na"},
    )
    count = len(trail())
    accounts.change_user(username="li", actor_id=boss, role="viewer")  # nothing changes
    assert len(trail()) == count
    accounts.change_user(username="li", actor_id=boss, password="another first 1")
    assert last(AuditSubject.USER)[3:] == ({}, {"password": "reset"})
    assert db.session.get(User, li.id).must_change_password
    accounts.deactivate(username="li", actor_id=boss)
    assert last(AuditSubject.USER)[2:] == (
        AuditAction.DEACTIVATED,
        {"active": True},
        {"active": False},
    )
    accounts.reactivate(username="li")  # the terminal
    assert last(AuditSubject.USER) == (
        None,
        "li",
        AuditAction.REACTIVATED,
        {"active": False},
        {"active": True},
    )
    accounts.set_password(username="li", password="terminal chosen 9")
    assert not db.session.get(User, li.id).must_change_password  # not a first password
    no_password_anywhere()


def test_deactivation_names_the_tokens_it_revoked(ctx, make_user):
    make_user(Role.CLERK, username="li")
    accounts.create_token("li")
    accounts.create_token("li")
    accounts.deactivate(username="li")
    assert last(AuditSubject.USER)[4] == {"active": False, "tokens_revoked": 2}
    with pytest.raises(InvalidInput) as refused:
        accounts.create_token("li")  # no token for a deactivated user
    assert refused.value.errors == {"username": _l("%(name)s is deactivated.", name="li")}


def test_refusals_write_nothing(ctx, make_user):
    boss = make_user(Role.MANAGER, username="boss")
    make_user(Role.CLERK, username="li")
    before = len(trail())
    cases = [
        (InvalidInput, {"role": "boss"}, {"role"}),
        (InvalidInput, {"display_name": "x" * 65}, {"display_name"}),
        (InvalidInput, {"password": "short"}, {"password"}),
        (InvalidInput, {"password": "x" * 201}, {"password"}),
        (InvalidInput, {"password": "li"}, {"password"}),
        (InvalidInput, {"password": "qwertyuiop", "role": "boss"}, {"password", "role"}),
    ]
    for error, change, fields in cases:
        with pytest.raises(error) as refused:
            accounts.change_user(username="li", actor_id=boss, **change)
        assert set(refused.value.errors) == fields, change
    with pytest.raises(NotFound):
        accounts.change_user(username="nobody", role="clerk")
    for fields in ({"display_name": "x" * 65}, {"password": "x" * 201}, {"username": "x" * 65}):
        with pytest.raises(InvalidInput) as refused:
            accounts.create_user(
                **({"username": "wang", "role": "clerk", "password": FIRST} | fields)
            )
        assert set(refused.value.errors) == set(fields)
    assert len(trail()) == before


@pytest.mark.parametrize(
    "change",
    [{"role": "clerk"}, {"role": "viewer"}, {"active": False}, {"active": False, "role": "clerk"}],
)
def test_the_last_active_manager_stays_one(ctx, make_user, change):
    make_user(Role.MANAGER, username="boss")
    deputy = make_user(Role.MANAGER, username="deputy")
    accounts.deactivate(username="deputy")  # a deactivated manager does not count
    before = len(trail())
    with pytest.raises(LastManager) as refused:
        accounts.change_user(username="boss", **change)
    assert refused.value.detail == _l(
        "%(name)s is the last active manager: make another user a manager first.", name="boss"
    )
    assert len(trail()) == before
    boss = db.session.scalar(select(User).where(User.username == "boss"))
    assert boss.active and boss.role == Role.MANAGER
    accounts.reactivate(username="deputy")
    accounts.change_user(username="boss", **change)  # now there is another
    with pytest.raises(LastManager):
        accounts.change_user(username="deputy", role="clerk")
    assert db.session.get(User, deputy).role == Role.MANAGER


def test_two_managers_demoting_each_other_at_once_leave_one(app, make_user, monkeypatch):
    """Both start at once (a barrier), and each holds the managers' rows a moment after
    locking them: without the lock both would read two managers and both succeed."""
    make_user(Role.MANAGER, username="ann")
    make_user(Role.MANAGER, username="bo")
    barrier = threading.Barrier(2, timeout=30)
    locked = accounts._lock_active_managers

    def slow_lock(session):
        found = locked(session)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(accounts, "_lock_active_managers", slow_lock)
    outcomes = []

    def demote(name: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                accounts.set_role(username=name, role="clerk")
                outcomes.append("demoted")
            except LastManager:
                outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=(name,)) for name in ("ann", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["demoted", "refused"]
    with app.app_context():
        roles = db.session.scalars(select(User.role).where(User.username.in_(["ann", "bo"])))
        assert sorted(roles) == [Role.CLERK, Role.MANAGER]


def test_ones_own_password(ctx, make_user):
    li = make_user(Role.CLERK, username="li")
    here = accounts.start_session(li, address="h", user_agent="t")
    there = accounts.start_session(li, address="h", user_agent="t")
    cases = [
        ("wrong", "a new one at last", {"current"}),
        (PASSWORD, "short", {"password"}),
        (PASSWORD, PASSWORD, {"password"}),
        ("wrong", "qwertyuiop", {"current", "password"}),
    ]
    for current, new, fields in cases:
        with pytest.raises(InvalidInput) as refused:
            accounts.change_own_password(
                user_id=li, current=current, password=new, session_token=here
            )
        assert set(refused.value.errors) == fields
    assert trail(AuditSubject.USER)[-1].action == AuditAction.CREATED
    accounts.change_own_password(
        user_id=li, current=PASSWORD, password="a new one at last", session_token=here
    )
    assert accounts.user_for_session(here).id == li
    assert accounts.user_for_session(there) is None
    assert last(AuditSubject.USER) == (li, "li", AuditAction.CHANGED, None, {"password": "changed"})
    assert accounts.authenticate("li", "a new one at last", address="h") == li


def test_users_list_with_last_sign_in(ctx, make_user):
    ann = make_user(Role.MANAGER, username="ann")
    make_user(Role.CLERK, username="bo")
    accounts.start_session(ann, address="h", user_agent="t")
    first = account_queries.users(limit=1)
    assert [row.username for row in first.rows] == ["ann"] and first.rows[0].last_sign_in
    rest = account_queries.users(cursor=account_queries.Cursor(after=first.next_cursor), limit=5)
    assert [(row.username, row.last_sign_in) for row in rest.rows] == [("bo", None)]
    assert rest.next_cursor is None


def test_tokens_settings_suppliers_and_locations_are_audited(ctx, make_user):
    boss = make_user(Role.MANAGER, username="boss")
    token_id, _ = accounts.create_token("boss", days=30, actor_id=boss)
    actor, key, action, before, after = last(AuditSubject.TOKEN)
    assert (actor, key, action, before, after["user"]) == (
        boss,
        f"#{token_id}",
        AuditAction.CREATED,
        None,
        "boss",
    )
    assert after["expires_at"]
    accounts.revoke_token(str(token_id), actor_id=boss)
    assert last(AuditSubject.TOKEN)[2:4] == (AuditAction.REVOKED, {"revoked_at": None})
    accounts.revoke_token(str(token_id), actor_id=boss)  # already revoked: nothing new
    assert len(trail(AuditSubject.TOKEN)) == 2

    settings.update(
        {"over_receipt_tolerance_pct": 5, "po_receipts_need_approval": True}, actor_id=boss
    )
    assert [(e.subject_key, e.before, e.after) for e in trail(AuditSubject.SETTING)] == [
        ("over_receipt_tolerance_pct", {"value": 0}, {"value": 5})  # the other one stayed
    ]
    settings.update({"over_receipt_tolerance_pct": 10})
    assert last(AuditSubject.SETTING) == (
        None,
        "over_receipt_tolerance_pct",
        AuditAction.CHANGED,
        {"value": 5},
        {"value": 10},
    )
    with pytest.raises(InvalidInput):
        settings.update({"over_receipt_tolerance_pct": 101}, actor_id=boss)
    assert len(trail(AuditSubject.SETTING)) == 2

    mill = suppliers.save(name="Hangzhou Mill", phone="0571", actor_id=boss)
    assert last(AuditSubject.SUPPLIER) == (
        boss,
        "Hangzhou Mill",
        AuditAction.CREATED,
        None,
        {"name": "Hangzhou Mill", "contact": "", "phone": "0571", "note": ""},
    )
    suppliers.save(name="Hangzhou Mill Ltd", phone="0571", supplier_id=mill, actor_id=boss)
    assert last(AuditSubject.SUPPLIER)[1:] == (
        "Hangzhou Mill Ltd",
        AuditAction.CHANGED,
        {"name": "Hangzhou Mill"},
        {"name": "Hangzhou Mill Ltd"},
    )
    suppliers.save(name="Hangzhou Mill Ltd", phone="0571", supplier_id=mill)  # the same
    assert len(trail(AuditSubject.SUPPLIER)) == 2
    with pytest.raises(InvalidInput):
        suppliers.save(name="", actor_id=boss)
    assert len(trail(AuditSubject.SUPPLIER)) == 2

    warehouses.create_location(
        warehouse_id=warehouses.main_warehouse_id(), code="a-01", zone="A", actor_id=boss
    )
    actor, key, action, before, after = last(AuditSubject.LOCATION)
    assert (actor, key.endswith(" A-01"), action, before) == (boss, True, AuditAction.CREATED, None)
    assert after == {"zone": "A", "note": "", "is_quarantine": False}
    with pytest.raises(InvalidInput):
        warehouses.create_location(warehouse_id=warehouses.main_warehouse_id(), code="A-01")
    assert len(trail(AuditSubject.LOCATION)) == 1


def test_the_audit_trail_filters(ctx, make_user):
    boss = make_user(Role.MANAGER, username="boss")
    suppliers.save(name="Hangzhou Mill", actor_id=boss)
    suppliers.save(name="Ningbo Knits")
    criteria = account_queries.AuditCriteria
    page = account_queries.audit_page
    assert [r.subject_key for r in page(criteria(subject="supplier")).rows] == [
        "Ningbo Knits",
        "Hangzhou Mill",
    ]
    assert [r.subject_key for r in page(criteria(actor="boss")).rows] == ["Hangzhou Mill"]
    terminal = page(criteria(actor=account_queries.TERMINAL)).rows
    assert {r.subject_key for r in terminal} == {"Ningbo Knits", "boss"}
    assert [r.subject_key for r in page(criteria(key="NINGBO")).rows] == ["Ningbo Knits"]
    assert page(criteria(key="%")).rows == []
    first = page(criteria(), limit=2)
    older = page(criteria(), cursor=account_queries.Cursor(before=first.next_cursor), limit=2)
    assert [r.subject_key for r in older.rows] == ["boss"] and older.next_cursor is None
    assert list(account_queries.each_audit_row(criteria(), limit=2, batch=1)) == first.rows
