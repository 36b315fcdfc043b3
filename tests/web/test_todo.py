"""The managers' to-do in the header, and the default location's name."""

import html
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import AuditEntry, Role
from stockapp.services import catalogue, orders, purchasing, receiving, suppliers, warehouses
from stockapp.services.errors import InvalidInput, NotFound
from tests.support.apps import english_client
from tests.support.pages import HTMX, as_user, error_beside, sign_in, text

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def shop(app, client, make_user, make_style):
    """A1024 (Black × S, M, L) with 5 S and 5 M in stock; PO-1 of 10 S from Hangzhou Mill;
    a manager (boss), a clerk (li) and a viewer (sales); boss is signed in."""
    v = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",))
    users = {
        "boss": make_user(Role.MANAGER, username="boss"),
        "li": make_user(Role.CLERK, username="li"),
        "sales": make_user(Role.VIEWER, username="sales"),
    }
    with app.test_request_context():
        receiving.receive(
            lines=[(v["A1024-Black-S"], 5), (v["A1024-Black-M"], 5)], operator_id=users["boss"]
        )
        mill = suppliers.save(name="Hangzhou Mill")
        po = purchasing.create(
            number="PO-1",
            supplier_id=mill,
            lines=[purchasing.OrderedLine(v["A1024-Black-S"], 10, None)],
            operator_id=users["boss"],
            place=True,
        )["id"]
    sign_in(client, "boss")
    return SimpleNamespace(v=v, po=po, **users)


def todo(client, headers=None) -> dict[str, str]:
    """The to-do's figures: {receipts, picked, low, total}."""
    response = client.get("/live/todo", headers=HTMX | (headers or {}))
    assert response.status_code == 200
    page = text(response)
    figures = dict(re.findall(r'data-todo="(\w+)">.*?<strong>([^<]*)</strong>', page, re.S))
    figures["total"] = re.search(r'<span id="todo-count"[^>]*>([^<]*)</span>', page)[1]
    return figures


def version(client) -> str:
    return client.get("/live").headers["ETag"]


def in_context(app, call, *args, **kwargs):
    with app.test_request_context():
        return call(*args, **kwargs)


def test_the_todo_counts_what_waits_for_a_manager_and_follows_it(app, client, shop):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    assert todo(client) == {"receipts": "0", "picked": "0", "low": "0", "total": "0"}
    seen = version(client)
    # A clerk's receipt waits for approval: the live version moves, the to-do counts it.
    receipt = in_context(
        app,
        receiving.create,
        po_id=shop.po,
        lines=[receiving.ArrivedLine(variant_id=s, received=4)],
        operator_id=shop.li,
        submit=True,
    )["document"]["id"]
    assert version(client) != seen
    assert todo(client)["receipts"] == "1"
    # An order picked in full waits for 配货完成; one picked in part does not.
    full = in_context(
        app, orders.create, number="PH-1", customer="Wang", lines=[(s, 2)], operator_id=shop.li
    )["id"]
    part = in_context(
        app, orders.create, number="PH-2", customer="Zhao", lines=[(m, 3)], operator_id=shop.li
    )["id"]
    in_context(app, orders.record_picks, full, lines=[(s, 2)], operator_id=shop.li)
    in_context(app, orders.record_picks, part, lines=[(m, 1)], operator_id=shop.li)
    assert todo(client)["picked"] == "1"
    # Available S is 5 − 2 reserved = 3: at a threshold of 3 it is low, M (5 − 3 = 2) at 1 is not.
    seen = version(client)
    in_context(app, catalogue.set_thresholds, {s: 3, m: 1}, actor_id=shop.boss)
    assert version(client) != seen, "a threshold changes what the to-do shows"
    assert todo(client) == {"receipts": "1", "picked": "1", "low": "1", "total": "3"}
    # The manager acts: each count drops.
    in_context(app, receiving.approve, receipt, operator_id=shop.boss)
    in_context(app, orders.complete, full, operator_id=shop.boss)
    # S: 5 + 4 received − 2 shipped = 7 available, above 3.
    assert todo(client) == {"receipts": "0", "picked": "0", "low": "0", "total": "0"}


def test_each_todo_item_opens_its_list(app, client, shop):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    page = text(client.get("/live/todo", headers=HTMX))
    links = dict(re.findall(r'<a href="([^"]+)" data-todo="(\w+)"', page))
    assert links == {
        "/receipts?state=submitted": "receipts",
        "/orders?state=picked": "picked",
        "/?show=low": "low",
    }
    full = in_context(
        app, orders.create, number="PH-1", customer="Wang", lines=[(s, 2)], operator_id=shop.li
    )["id"]
    in_context(
        app, orders.create, number="PH-2", customer="Zhao", lines=[(m, 3)], operator_id=shop.li
    )
    in_context(app, orders.record_picks, full, lines=[(s, 2)], operator_id=shop.li)
    picked = text(client.get("/orders?state=picked"))
    assert "PH-1" in picked and "PH-2" not in picked
    assert 'aria-current="page"' in picked and "Picked in full" in picked
    everything = text(client.get("/orders"))
    assert "PH-1" in everything and "PH-2" in everything


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (
            {},
            [
                "To do",
                "Receipts waiting for approval",
                "Orders picked in full",
                "Low-stock variants",
            ],
        ),
        (ZH, ["待办", "待审核的入库单", "已配齐、待配货完成的配货单", "库存预警的 SKU"]),
    ],
    ids=["en", "zh"],
)
def test_the_todo_is_in_the_managers_language(client, shop, headers, words):
    page = text(client.get("/products", headers=headers))
    assert 'id="todo"' in page and 'hx-get="/live/todo"' in page
    assert 'hx-trigger="load, stock-changed from:body"' in page, "it follows the live poll"
    assert words[0] in page
    partial = text(client.get("/live/todo", headers=HTMX | headers))
    assert all(word in partial for word in words[1:])


@pytest.mark.parametrize("username", ["li", "sales"])
def test_only_managers_see_the_todo(app, client, shop, username):
    as_user(client, username)
    assert client.get("/live/todo", headers=HTMX).status_code == 403
    page = text(client.get("/orders"))
    assert 'id="todo"' not in page and "/live/todo" not in page


def test_a_screen_whose_session_ended_gets_401_from_the_todo(app, shop):
    anonymous = english_client(app)
    response = anonymous.get("/live/todo", headers=HTMX)
    assert response.status_code == 401 and text(response) == ""


def test_the_live_304_stays_empty_for_a_manager(client, shop):
    seen = version(client)
    again = client.get("/live", headers={"If-None-Match": seen})
    assert again.status_code == 304 and again.get_data() == b""


# ---------------------------------------------------------------- the default location's name


def location_name(app) -> str:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT name FROM locations WHERE is_default"))


@pytest.mark.parametrize(
    ("headers", "shown"), [({}, "Default location"), (ZH, "默认货位")], ids=["en", "zh"]
)
def test_the_default_location_shows_a_translated_name(app, client, shop, headers, shown):
    page = text(client.get("/locations", headers=headers))
    row = re.search(r"<strong>DEFAULT</strong></td>\s*<td>([^<]*)</td>", page)
    assert row[1] == shown
    # Where stock is put away on the receiving sheet, and on a picking list.
    as_user(client, "li")
    sheet = text(client.get(f"/purchase-orders/{shop.po}/receive", headers=headers))
    assert f">{shown}</option>" in sheet and ">DEFAULT</option>" not in sheet
    order = in_context(
        app,
        orders.create,
        number="PH-1",
        customer="Wang",
        lines=[(shop.v["A1024-Black-S"], 1)],
        operator_id=shop.li,
    )["id"]
    printed = text(client.get(f"/orders/{order}/picking-list", headers=headers))
    assert shown in printed and "DEFAULT" not in printed


def test_a_manager_renames_the_default_location_and_the_name_shows(app, client, shop):
    response = client.post("/locations/default-name", data={"name": "  Back room  "})
    assert response.status_code == 302
    assert location_name(app) == "Back room"
    page = text(client.get("/locations"))
    assert "The default location is now called Back room." in page
    assert re.search(r"<strong>DEFAULT</strong></td>\s*<td>Back room</td>", page)
    as_user(client, "li")
    sheet = text(client.get(f"/purchase-orders/{shop.po}/receive", headers=ZH))
    assert ">Back room</option>" in sheet, "a given name shows in every language"
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.subject, entry.subject_key, entry.action) == (
            "location",
            "MAIN DEFAULT",
            "changed",
        )
        assert (entry.before, entry.after, entry.actor_id) == (
            {"name": ""},
            {"name": "Back room"},
            shop.boss,
        )
    # Emptied, the translated name comes back; saving the same name again records nothing.
    as_user(client, "boss")
    assert client.post("/locations/default-name", data={"name": ""}).status_code == 302
    assert location_name(app) == ""
    with app.app_context():
        before = db.session.scalar(sa.text("SELECT count(*) FROM audit_entries"))
    client.post("/locations/default-name", data={"name": ""})
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_entries")) == before


@pytest.mark.parametrize(
    ("name", "headers", "message"),
    [
        ("x" * 41, {}, "At most 40 characters."),
        ("x" * 41, ZH, "最多 40 个字符。"),
        ("Back\troom", {}, "Remove the control characters"),
    ],
    ids=["too-long", "too-long-zh", "control"],
)
def test_a_bad_name_is_refused_beside_the_field(app, client, shop, name, headers, message):
    response = client.post("/locations/default-name", data={"name": name}, headers=HTMX | headers)
    assert response.status_code == 422
    assert message in html.unescape(error_beside(text(response), "name-error"))
    assert location_name(app) == ""


@pytest.mark.parametrize("username", ["li", "sales"])
def test_only_managers_rename_the_default_location(app, client, shop, username):
    as_user(client, username)
    response = client.post("/locations/default-name", data={"name": "Mine"})
    assert response.status_code == 403
    assert location_name(app) == ""


def test_the_service_refuses_a_long_name_and_an_unknown_location(app, shop):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(InvalidInput) as long:
            warehouses.change_location(location_id=warehouses.default_location_id(), name="x" * 41)
        assert str(long.value.errors["name"]) == "At most 40 characters."
        with pytest.raises(NotFound):
            warehouses.change_location(location_id=99_999, name="Somewhere")
    assert location_name(app) == ""
