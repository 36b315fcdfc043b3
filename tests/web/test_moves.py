"""Bin moves (移库): POST /api/v1/moves and the clerks' scanning page."""

import pytest

from stockapp.models import Role
from stockapp.queries.moves import held_in
from stockapp.services import ledger, warehouses
from tests.support.api import ROLES, Api, S, assert_problem, snapshot
from tests.support.db import on_hand
from tests.support.pages import HTMX, as_user, scan_error, text, value_of


@pytest.fixture
def api_stock():
    return {S: 6}


@pytest.fixture
def bins(app, api: Api) -> dict:
    """Bins A-01 and B-02 beside the default location (which holds 6 of S)."""
    with app.app_context():
        main = warehouses.main_warehouse_id()
        return {
            "DEFAULT": warehouses.default_location_id(),
            "A-01": warehouses.create_location(warehouse_id=main, code="A-01"),
            "B-02": warehouses.create_location(warehouse_id=main, code="B-02"),
        }


def held(app, api, sku: str, location_id: int) -> int:
    with app.app_context():
        return held_in(location_id, [api.skus[sku]]).get(api.skus[sku], 0)


MOVE = {"from_location": "DEFAULT", "to_location": "a-01", "lines": [{"sku": S, "qty": 2}]}


def test_a_move_over_the_api_posts_both_sides_once_per_key(app, api, bins):
    key = {"Idempotency-Key": "move-1"}
    first = api.post("/moves", MOVE | {"note": "to shelf"}, headers=key)
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert body["move"]["number"].startswith("MV") and body["move"]["kind"] == "move"
    assert [(m["kind"], m["location"], m["delta"]) for m in body["movements"]] == [
        ("move_out", "DEFAULT", -2),
        ("move_in", "A-01", 2),
    ]
    again = api.post("/moves", MOVE | {"note": "to shelf"}, headers=key)
    assert again.get_json()["move"]["id"] == body["move"]["id"]
    assert held(app, api, S, bins["A-01"]) == 2 and api.on_hand(S) == 6


@pytest.mark.parametrize(
    "name, change, status, field",
    [
        ("same bin", {"to_location": "DEFAULT"}, 422, "to_location"),
        ("unknown bin", {"to_location": "Z-99"}, 422, "to_location"),
        ("unknown warehouse", {"warehouse": "NOPE"}, 422, "warehouse"),
        ("unknown SKU", {"lines": [{"sku": "NOPE", "qty": 1}]}, 422, "lines[0].sku"),
        ("zero", {"lines": [{"sku": S, "qty": 0}]}, 422, "lines[0].qty"),
        ("negative", {"lines": [{"sku": S, "qty": -1}]}, 422, "lines[0].qty"),
        ("no lines", {"lines": []}, 422, "lines"),
        ("twice", {"lines": [{"sku": S, "qty": 1}, {"sku": S, "qty": 1}]}, 422, "lines[1].sku"),
        ("missing source", {"from_location": None}, 422, "from_location"),
        ("short", {"lines": [{"sku": S, "qty": 7}]}, 409, None),
    ],
)
def test_bad_moves_are_problems_and_write_nothing(app, api, bins, name, change, status, field):
    before = snapshot(app)
    body = {k: v for k, v in (MOVE | change).items() if v is not None}
    response = api.post("/moves", body, headers={"Idempotency-Key": name})
    problem = assert_problem(response, status, *([field] if field else []))
    if status == 409:
        (shortage,) = problem["shortages"]
        assert shortage["location"] == "DEFAULT" and shortage["short"] == 1
        assert "DEFAULT" in problem["detail"]
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_a_viewer_may_not_move_stock(app, api, bins, role):
    response = api.post("/moves", MOVE, role=role)
    if role == Role.VIEWER:
        assert_problem(response, 403)
    else:
        assert response.status_code == 201


def page_move(client, **fields):
    return client.get("/moves/new", query_string={"key": "k1", **fields}, headers=HTMX)


def test_the_page_takes_the_source_bin_then_pieces_then_the_destination(app, client, api, bins):
    as_user(client, api.user(Role.CLERK)[1])
    assert "Scan the source location" in text(client.get("/moves/new"))
    first = page_move(client, add="default")
    page = text(first)
    assert value_of(page, "source") == str(bins["DEFAULT"])
    assert "Scan the pieces, then the destination location" in page
    variant = api.skus[S]
    second = page_move(client, source=bins["DEFAULT"], add=S)
    assert value_of(text(second), f"q-{variant}") == "1"
    ready = page_move(
        client, source=bins["DEFAULT"], style="A1024", **{f"q-{variant}": "3"}, add="B-02"
    )
    page = text(ready)
    assert ready.status_code == 200 and 'hx-trigger="load, submit"' in page
    assert value_of(page, "destination") == str(bins["B-02"])
    posted = client.post(
        "/moves/new",
        data={
            "key": "k1",
            "source": bins["DEFAULT"],
            "destination": bins["B-02"],
            "style": "A1024",
            f"q-{variant}": "3",
        },
        headers=HTMX,
    )
    assert posted.status_code == 204 and "/moves/" in posted.headers["HX-Redirect"]
    assert held(app, api, S, bins["B-02"]) == 3
    shown = text(client.get(posted.headers["HX-Redirect"]))
    assert "B-02" in shown and "Default location" in shown and S in shown
    with app.app_context():
        assert ledger.discrepancies() == [] and on_hand(variant) == 6


def test_the_page_names_what_it_cannot_take(app, client, api, bins):
    as_user(client, api.user(Role.CLERK)[1])
    assert "No location Z-99" in scan_error(text(page_move(client, add="Z-99")), "add")
    # The destination before any piece.
    early = page_move(client, source=bins["DEFAULT"], add="A-01")
    assert early.status_code == 422 and "Scan the pieces first" in scan_error(text(early), "add")
    # A piece the source bin holds none of.
    empty = page_move(client, source=bins["A-01"], add=S)
    assert "holds no A1024-Black-S" in scan_error(text(empty), "add")
    variant = api.skus[S]
    before = snapshot(app)
    for data, message in [
        ({"destination": bins["DEFAULT"]}, "already"),
        ({"destination": bins["A-01"], f"q-{variant}": "9"}, "short by 3"),
        ({"destination": bins["A-01"], f"q-{variant}": "x"}, "whole number"),
        ({"destination": ""}, "Scan the source location, the pieces"),
    ]:
        fields = {"key": "k2", "source": bins["DEFAULT"], "style": "A1024", f"q-{variant}": "1"}
        response = client.post("/moves/new", data=fields | data, headers=HTMX)
        assert response.status_code == 422 and message in text(response), message
    assert snapshot(app) == before


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_only_clerks_and_managers_open_the_move_page(client, api, bins, role):
    as_user(client, api.user(role)[1])
    expected = 403 if role == Role.VIEWER else 200
    assert client.get("/moves/new").status_code == expected
    assert client.post("/moves/new", data={"key": "k"}).status_code in (
        (403,) if role == Role.VIEWER else (422,)
    )


def test_the_stock_log_names_the_move_kinds_with_their_document(client, api, bins):
    number = api.post("/moves", MOVE).get_json()["move"]["number"]
    as_user(client, api.user(Role.MANAGER)[1])
    page = text(client.get("/logs", query_string={"document": number}))
    assert "Bin move out" in page and "Bin move in" in page and number in page
    zh = text(
        client.get("/logs", query_string={"document": number}, headers={"Accept-Language": "zh-CN"})
    )
    assert "移库移出" in zh and "移库移入" in zh


@pytest.fixture
def b02_forbidden(monkeypatch, app, bins):
    """Warehouse permissions as the other side will give them: B-02 is not this user's."""
    from stockapp.services import moves, write_offs
    from stockapp.services.errors import NotPermitted

    allowed = warehouses.require_location

    def require_location(user_id, location_id):
        if location_id == bins["B-02"]:
            raise NotPermitted("Not your warehouse.")
        return allowed(user_id, location_id)

    for module in (warehouses, moves, write_offs):
        monkeypatch.setattr(module, "require_location", require_location)
    return bins


def test_a_location_the_user_may_not_use_is_refused_by_page_and_api(
    app, client, api, b02_forbidden
):
    bins = b02_forbidden
    as_user(client, api.user(Role.CLERK)[1])
    before = snapshot(app)
    assert_problem(api.post("/moves", MOVE | {"to_location": "B-02"}), 403)
    write_off = {"location": "B-02", "reason": "lost", "lines": [{"sku": S, "qty": 1}]}
    assert_problem(api.post("/write-offs", write_off), 403)
    assert "No location B-02" in scan_error(text(page_move(client, add="B-02")), "add")
    variant = api.skus[S]
    fields = {"key": "k3", "source": bins["DEFAULT"], "destination": bins["B-02"],
              "style": "A1024", f"q-{variant}": "1"}  # fmt: skip
    assert client.post("/moves/new", data=fields, headers=HTMX).status_code == 422
    assert snapshot(app) == before
