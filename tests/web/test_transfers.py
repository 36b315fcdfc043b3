"""Transfers (调拨) over the API: every step, role and warehouse permission, and every
validation error as problem+json with nothing written."""

import re

import pytest
import sqlalchemy as sa

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import MovementKind, Role
from stockapp.services import ledger, warehouses
from tests.support.api import API, TRANSFER_ENDPOINTS, assert_problem, snapshot
from tests.support.pages import as_user, text
from tests.web.test_warehouses import tokens


@pytest.fixture
def shop(app, make_user, make_style):
    """MAIN (10 of T1-S and T1-M) and SH; boss manages all; ann clerks in MAIN, bea in SH,
    cai views SH; dan clerks in a third warehouse, XI, only."""
    with app.test_request_context():
        boss = make_user(Role.MANAGER, username="boss")
        sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
        xi = warehouses.create_warehouse(code="XI", name="Xi'an", actor_id=boss)
        make_user(Role.CLERK, username="ann")
        for role, name, where in (
            (Role.CLERK, "bea", sh),
            (Role.VIEWER, "cai", sh),
            (Role.CLERK, "dan", xi),
        ):
            user = make_user(role, username=name)
            warehouses.set_user_warehouses(user_id=user, warehouse_ids=[where], actor_id=boss)
        variants = make_style("T1", sizes=("S", "M"), colours=())
        with write_transaction():
            ledger.post(
                [ledger.Line(v, warehouses.default_location_id(), 10) for v in variants.values()],
                kind=MovementKind.INBOUND,
                operator_id=boss,
                document_id=None,
            )
    return tokens(app, "boss", "ann", "bea", "cai", "dan")


NEW = {
    "from_warehouse": "MAIN",
    "to_warehouse": "sh",
    "lines": [{"sku": "T1-S", "qty": 4}, {"sku": "T1-M", "qty": 4}],
}


def post(client, path, who, json=None, key=None):
    headers = dict(who)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(API + path, json=json, headers=headers)


def made(client, shop) -> int:
    response = post(client, "/transfers", shop["boss"], NEW)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_shipped_received_short_and_written_off(client, shop):
    transfer_id = made(client, shop)
    shipped = post(client, f"/transfers/{transfer_id}/ship", shop["ann"], key="s1")
    assert shipped.status_code == 200, shipped.get_json()
    assert shipped.get_json()["status"] == "shipped"
    again = post(client, f"/transfers/{transfer_id}/ship", shop["ann"], key="s1")
    assert again.get_json() == shipped.get_json()
    assert_problem(post(client, f"/transfers/{transfer_id}/ship", shop["ann"]), 409)
    stock = client.get(API + "/stock?sku=T1-S", headers=shop["boss"]).get_json()
    assert (stock["on_hand"], stock["in_transit"]) == (6, 4)
    body = {"lines": [{"sku": "T1-S", "received": 3, "reason": "one missing"}]}
    received = post(client, f"/transfers/{transfer_id}/receive", shop["bea"], body)
    assert received.status_code == 200, received.get_json()
    state = received.get_json()
    assert state["status"] == "received"
    assert [(x["sku"], x["received"], x["in_transit"]) for x in state["lines"]] == [
        ("T1-S", 3, 1),
        ("T1-M", 0, 4),
    ]
    decisions = {
        "lines": [
            {"sku": "T1-S", "action": "write_off"},
            {"sku": "T1-M", "action": "return"},
        ]
    }
    assert_problem(post(client, f"/transfers/{transfer_id}/decide", shop["bea"], decisions), 403)
    decided = post(client, f"/transfers/{transfer_id}/decide", shop["boss"], decisions)
    assert decided.get_json()["status"] == "closed"
    lines = decided.get_json()["lines"]
    assert [(x["written_off"], x["returned"], x["in_transit"]) for x in lines] == [
        (1, 0, 0),
        (0, 4, 0),
    ]
    stock = client.get(API + "/stock?sku=T1-M", headers=shop["boss"]).get_json()
    assert (stock["on_hand"], stock["in_transit"]) == (10, 0)


def test_a_shipped_transfer_is_cancelled_by_a_manager(client, shop):
    transfer_id = made(client, shop)
    post(client, f"/transfers/{transfer_id}/ship", shop["ann"])
    assert_problem(post(client, f"/transfers/{transfer_id}/cancel", shop["ann"]), 403)
    cancelled = post(client, f"/transfers/{transfer_id}/cancel", shop["boss"])
    assert cancelled.get_json()["status"] == "cancelled"
    assert_problem(post(client, f"/transfers/{transfer_id}/cancel", shop["boss"]), 409)


def test_warehouse_permissions_on_every_read_and_write(app, client, shop):
    transfer_id = made(client, shop)
    path = f"/transfers/{transfer_id}"
    before = snapshot(app)
    # dan works in neither warehouse: refused everything, even reading.
    assert_problem(client.get(API + path, headers=shop["dan"]), 403)
    for step in ("ship", "receive", "cancel", "decide"):
        assert_problem(post(client, f"{path}/{step}", shop["dan"], {"lines": []}), 403)
    # The destination's clerk does not ship; the source's does not receive.
    assert_problem(post(client, f"{path}/ship", shop["bea"]), 403)
    assert snapshot(app) == before
    assert client.get(API + path, headers=shop["cai"]).status_code == 200
    post(client, f"{path}/ship", shop["ann"])
    assert_problem(post(client, f"{path}/receive", shop["ann"], {"lines": []}), 403)
    # ann cannot make a transfer into SH, where she does not work.
    assert_problem(post(client, "/transfers", shop["ann"], NEW), 403)
    assert_problem(post(client, "/transfers", shop["cai"], NEW), 403)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"from_warehouse": "NOPE"}, ["from_warehouse"]),
        ({"to_warehouse": "MAIN"}, ["to_warehouse"]),
        ({"lines": []}, ["lines"]),
        ({"lines": [{"sku": "T1-S", "qty": 0}]}, ["lines[0].qty"]),
        ({"lines": [{"sku": "T1-S", "qty": 1}, {"sku": "T1-S", "qty": 1}]}, ["lines[1].sku"]),
        ({"lines": [{"sku": "NOPE", "qty": 1}]}, ["lines[0].sku"]),
        ({"lines": [{"sku": "T1-S", "qty": True}]}, ["lines[0].qty"]),
        ({"to_warehouse": None}, ["to_warehouse"]),
    ],
)
def test_a_bad_transfer_is_refused_and_nothing_written(app, client, shop, change, fields):
    before = snapshot(app)
    response = post(client, "/transfers", shop["boss"], {**NEW, **change})
    assert_problem(response, 422, *fields)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"lines": [{"sku": "T1-S", "received": 5}]}, ["lines[0]"]),
        ({"lines": [{"sku": "T1-S", "received": -1}]}, ["lines[0].received"]),
        ({"lines": [{"sku": "T1-S", "received": 1}] * 2}, ["lines[1].sku"]),
        ({"lines": [{"sku": "NOPE", "received": 1}]}, ["lines[0].sku"]),
        ({"lines": [], "location": "NOPE"}, ["location"]),
        ({"lines": [], "location": "~TRANSIT"}, ["location"]),
    ],
)
def test_a_bad_receipt_is_refused_and_nothing_written(app, client, shop, body, fields):
    transfer_id = made(client, shop)
    post(client, f"/transfers/{transfer_id}/ship", shop["ann"])
    before = snapshot(app)
    response = post(client, f"/transfers/{transfer_id}/receive", shop["bea"], body)
    assert_problem(response, 422, *fields)
    assert snapshot(app) == before


def test_a_bad_decision_and_an_unknown_transfer(app, client, shop):
    transfer_id = made(client, shop)
    path = f"/transfers/{transfer_id}/decide"
    bad = {"lines": [{"sku": "T1-S", "action": "burn"}]}
    assert_problem(post(client, path, shop["boss"], bad), 422, "lines[0].action")
    good = {"lines": [{"sku": "T1-S", "action": "return"}]}
    assert_problem(post(client, path, shop["boss"], good), 409)  # not received yet
    assert_problem(client.get(API + "/transfers/999999", headers=shop["boss"]), 404)
    assert_problem(post(client, "/transfers/999999/ship", shop["boss"]), 404)


def test_every_route_is_in_the_openapi_document(client, shop):
    paths = client.get(API + "/openapi.json").get_json()["paths"]
    for endpoint in TRANSFER_ENDPOINTS:
        method, path = endpoint.split(" ")
        assert method.lower() in paths[path], endpoint


# --- the pages ----------------------------------------------------------------------------


def unchanged(app) -> dict:
    """``snapshot`` but for what signing in as each user writes (sessions, throttles)."""
    return {k: v for k, v in snapshot(app).items() if k not in ("user_sessions", "login_throttle")}


def test_the_pages_ship_receive_short_and_write_off(app, client, shop):
    transfer_id = made(client, shop)
    page = f"/transfers/{transfer_id}"
    as_user(client, "ann")
    assert f"TF{transfer_id:07d}" in text(client.get("/transfers"))
    shown = text(client.get(page))
    assert 'id="ship"' in shown and 'id="receive"' not in shown and 'id="cancel"' not in shown
    shipped = client.post(f"{page}/ship", data={"key": "page-ship"})
    assert shipped.status_code == 302
    as_user(client, "bea")
    shown = text(client.get(page))
    assert 'id="receive"' in shown and 'id="ship"' not in shown
    v = dict(re.findall(r'id="line-(\d+)">\s*<th scope="row">([^<]+)<', shown))
    s, m = (int(k) for k, sku in sorted(v.items(), key=lambda kv: kv[1], reverse=True))
    form = {"key": "page-receive", f"received-{s}": "3", f"reason-{s}": "one missing"}
    received = client.post(f"{page}/receive", data=form)
    assert received.status_code == 302
    as_user(client, "boss")
    shown = text(client.get(page))
    assert 'id="decide"' in shown and "Waiting for a decision" in shown
    decided = client.post(
        f"{page}/decide", data={"key": "d", f"action-{s}": "write_off", f"action-{m}": "return"}
    )
    assert decided.status_code == 302
    assert "Closed" in text(client.get(page))
    slip = text(client.get(f"{page}/slip"))
    assert "Transfer slip" in slip and "one missing" in slip
    with app.app_context():
        assert ledger.discrepancies() == []


def test_the_pages_in_chinese(client, shop):
    transfer_id = made(client, shop)
    as_user(client, "boss")
    zh = {"Accept-Language": "zh-CN"}
    assert "调拨" in text(client.get(f"/transfers/{transfer_id}", headers=zh))
    assert "调拨单" in text(client.get(f"/transfers/{transfer_id}/slip", headers=zh))


def test_the_pages_check_roles_and_warehouses(app, client, shop):
    transfer_id = made(client, shop)
    page = f"/transfers/{transfer_id}"
    before = unchanged(app)
    as_user(client, "dan")  # works in neither warehouse
    assert f"TF{transfer_id:07d}" not in text(client.get("/transfers"))
    for path in (page, f"{page}/slip"):
        assert client.get(path).status_code == 403
    for step in ("ship", "receive", "decide", "cancel"):
        assert client.post(f"{page}/{step}", data={"key": "x"}).status_code == 403
    as_user(client, "cai")  # a viewer of the destination: reads, does nothing
    assert client.get(page).status_code == 200
    for step in ("ship", "receive", "decide", "cancel"):
        assert client.post(f"{page}/{step}", data={"key": "x"}).status_code == 403
    as_user(client, "bea")  # the destination's clerk does not ship, nor cancel
    refused = client.post(f"{page}/ship", data={"key": "x"})
    assert refused.status_code == 422 and "Only the source warehouse ships" in text(refused)
    assert client.post(f"{page}/cancel", data={"key": "x"}).status_code == 403
    assert unchanged(app) == before
    assert client.get("/transfers/999999").status_code == 404


@pytest.mark.parametrize(
    ("typed", "message"),
    [("x", "Enter a whole number"), ("-1", "Enter a whole number"), ("5", "more than the 4")],
)
def test_a_bad_quantity_is_shown_beside_its_line(app, client, shop, typed, message):
    transfer_id = made(client, shop)
    page = f"/transfers/{transfer_id}"
    as_user(client, "ann")
    client.post(f"{page}/ship", data={"key": "s"})
    as_user(client, "bea")
    v = re.search(r'id="line-(\d+)"', text(client.get(page))).group(1)
    before = snapshot(app)
    refused = client.post(f"{page}/receive", data={"key": "r", f"received-{v}": typed})
    assert refused.status_code == 422
    assert message in text(refused)
    assert re.search(
        rf'<td class="cell has-error">\s*<input[^>]*name="received-{v}"', text(refused)
    )
    assert snapshot(app) == before


def test_a_user_value_is_escaped_on_the_pages(client, shop):
    transfer_id = made(client, shop)
    page = f"/transfers/{transfer_id}"
    as_user(client, "ann")
    client.post(f"{page}/ship", data={"key": "s"})
    as_user(client, "bea")
    v = re.search(r'id="line-(\d+)"', text(client.get(page))).group(1)
    client.post(f"{page}/receive", data={"key": "r", f"reason-{v}": "<script>x</script>"})
    as_user(client, "boss")
    for path in (page, f"{page}/slip"):
        shown = text(client.get(path))
        assert "<script>x</script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown


def test_a_new_transfer_from_the_page_by_grid_and_scan(app, client, shop):
    as_user(client, "boss")
    assert 'id="new-transfer"' in text(client.get("/transfers"))
    with app.app_context():
        ids = dict(db.session.execute(sa.text("SELECT code, id FROM warehouses")).all())
        s = db.session.scalar(sa.text("SELECT id FROM variants WHERE sku = 'T1-S'"))
    form = {"key": "n1", "from_warehouse": ids["MAIN"], "to_warehouse": ids["SH"]}
    scanned = client.post("/transfers/new", data=form | {"add": "T1-S"})
    assert scanned.status_code == 200 and f'name="q-{s}"' in text(scanned)
    created = client.post("/transfers/new", data=form | {"style": "T1", f"q-{s}": "3"})
    assert created.status_code == 302, text(created)
    assert "/transfers/" in created.location


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to_warehouse": "MAIN"}, "Choose a warehouse other than the source."),
        ({"q": "x"}, "Enter a whole number"),
        ({"q": ""}, "Add at least one size with a quantity."),
        ({"to_warehouse": None}, "Not a valid choice"),
    ],
)
def test_a_bad_new_transfer_is_refused_on_the_page(app, client, shop, change, message):
    as_user(client, "boss")
    with app.app_context():
        ids = dict(db.session.execute(sa.text("SELECT code, id FROM warehouses")).all())
        s = db.session.scalar(sa.text("SELECT id FROM variants WHERE sku = 'T1-S'"))
    to = change.get("to_warehouse", "SH")
    form = {
        "key": "n2",
        "from_warehouse": ids["MAIN"],
        "to_warehouse": 999 if to is None else ids[to],
        "style": "T1",
        f"q-{s}": change.get("q", "2"),
    }
    before = unchanged(app)
    refused = client.post("/transfers/new", data=form)
    assert refused.status_code == 422
    assert message in text(refused)
    assert unchanged(app) == before
