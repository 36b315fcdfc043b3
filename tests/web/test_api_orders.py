"""The JSON API v1 for allocation orders (配货单) and returns (退货), over HTTP.

Happy paths and state changes first (reserve → pick → complete → cancel or
return), then permissions, idempotency and every validation error. Stock is
checked with ``on_hand()`` (the balances) and with GET /stock and /products
(what a client sees); a refused request must leave the database exactly as it
was (``snapshot``). The helpers ``Api``, ``assert_problem`` and ``snapshot`` are
in ``tests/support/api.py``; the cases of a family run as subtests.
"""

from datetime import datetime

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import IdempotencyRecord, Role
from tests.support.api import (
    API,
    BAD_AUTH,
    ORDER_ENDPOINTS,
    ROLES,
    STYLE,
    Api,
    L,
    M,
    S,
    assert_problem,
    refuse,
    snapshot,
)
from tests.support.db import row_count

MOVEMENT_FIELDS = {"id", "sku", "kind", "delta", "balance_after", "operator", "note", "document"}
NOTHING = object()  # a key left out


@pytest.fixture
def api_roles():
    return ROLES  # tokens made up front: snapshots then see only the request's writes


# --- helpers -------------------------------------------------------------------------------


def lines_of(**qty_by_sku: int) -> list[dict]:
    return [{"sku": sku, "qty": qty} for sku, qty in qty_by_sku.items()]


def create(api: Api, number: str, lines: dict, role=Role.CLERK, **fields) -> int:
    """Set-up: create an order through the API; its id."""
    body = {"number": number, "customer": "Shop A", "lines": lines_of(**lines), **fields}
    response = api.post("/orders", body, role=role)
    assert response.status_code == 201, f"set-up failed: {response.get_data(as_text=True)}"
    return response.get_json()["id"]


def pick(api: Api, order_id: int, role=Role.CLERK, headers=None, **picked: int):
    body = {"lines": [{"sku": sku, "picked": qty} for sku, qty in picked.items()]}
    return api.post(f"/orders/{order_id}/picks", body, role=role, headers=headers or {})


def complete(api: Api, order_id: int, role=Role.MANAGER, headers=None):
    return api.post(f"/orders/{order_id}/complete", role=role, headers=headers or {})


def cancel(api: Api, order_id: int, reason=NOTHING, role=Role.CLERK, headers=None):
    body = None if reason is NOTHING else {"reason": reason}
    return api.post(f"/orders/{order_id}/cancel", body, role=role, headers=headers or {})


def completed_order(api: Api, number: str, lines: dict, picked: dict | None = None) -> int:
    """Set-up: an order created, picked (all it ordered, unless told) and completed."""
    order_id = create(api, number, lines)
    assert pick(api, order_id, **(picked or lines)).status_code == 200
    response = complete(api, order_id)
    assert response.status_code == 200, f"set-up failed: {response.get_data(as_text=True)}"
    return order_id


def get_order(api: Api, order_id: int, role=Role.VIEWER) -> dict:
    response = api.get(f"/orders/{order_id}", role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def by_sku(order: dict, *fields: str) -> dict:
    return {line["sku"]: tuple(line[f] for f in fields) for line in order["lines"]}


def levels(api: Api, sku: str) -> tuple[int, int, int]:
    """(on hand, reserved, available) as GET /stock tells a viewer."""
    response = api.get("/stock", role=Role.VIEWER, query_string={"sku": sku})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["on_hand"], body["reserved"], body["available"]


def product_levels(api: Api) -> dict[str, tuple[int, int, int]]:
    response = api.get(f"/products/{STYLE}", role=Role.VIEWER)
    assert response.status_code == 200
    return {
        v["sku"]: (v["on_hand"], v["reserved"], v["available"])
        for v in response.get_json()["variants"]
    }


def moved(body: dict) -> list[tuple]:
    return [(m["sku"], m["kind"], m["delta"], m["balance_after"]) for m in body["movements"]]


# --- create and read -------------------------------------------------------------------------


def test_creating_an_order_reserves_its_lines_and_get_shows_it(api):
    api.receive(**{S: 5, M: 2})
    before = snapshot(api.app)
    response = api.post(
        "/orders",
        {
            "number": " SO-1 ",
            "customer": "Shop A",
            "note": "by Friday",
            "lines": lines_of(**{S: 3, M: 4}),
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    created = response.get_json()
    assert created.keys() == {"id", "number", "status", "warehouse"}
    assert created["warehouse"] == "MAIN", "left out: the user's own warehouse"
    assert isinstance(created["id"], int)
    assert (created["number"], created["status"]) == ("SO-1", "open"), "number is trimmed"
    after = snapshot(api.app)
    assert after["orders"] == before["orders"] + 1
    assert after["order_lines"] == before["order_lines"] + 2
    assert after["movements"] == before["movements"], "an order alone moves no stock"

    order = get_order(api, created["id"], role=Role.VIEWER)
    assert order["id"] == created["id"]
    assert (order["number"], order["customer"], order["note"]) == ("SO-1", "Shop A", "by Friday")
    assert order["status"] == "open"
    assert datetime.fromisoformat(order["created_at"]).utcoffset() is not None
    assert order["completed_at"] is None and order["cancelled_at"] is None
    assert order["cancel_reason"] == ""
    assert [line["sku"] for line in order["lines"]] == [S, M], "lines in the order given"
    fields = ("ordered", "picked", "shipped", "returned", "short")
    # M: 4 ordered, 2 on hand: 2 cannot be covered.
    assert by_sku(order, *fields) == {S: (3, 0, 0, 0, 0), M: (4, 0, 0, 0, 2)}

    # Reserved and available, as a viewer sees them, while the order is open.
    assert levels(api, S) == (5, 3, 2)
    assert levels(api, M) == (2, 4, -2)
    assert product_levels(api) == {S: (5, 3, 2), M: (2, 4, -2), L: (0, 0, 0)}
    assert (api.on_hand(S), api.on_hand(M)) == (5, 2)

    # A younger order is short by what the older one leaves: first come, first served.
    younger = create(api, "SO-2", {S: 4}, role=Role.MANAGER)
    assert younger != created["id"]
    assert by_sku(get_order(api, younger), "ordered", "short") == {S: (4, 2)}
    assert by_sku(get_order(api, created["id"]), "short") == {S: (0,), M: (2,)}
    assert levels(api, S) == (5, 7, -2)


def test_get_an_unknown_order_is_404(api, subtests):
    create(api, "SO-1", {S: 1})
    for path in ["/orders/999", "/orders/0", f"/orders/{2**31}", "/orders/" + "9" * 30]:
        with subtests.test(msg=path):
            assert_problem(api.get(path, role=Role.VIEWER), 404, detail=False)
    for path in ["/orders/-1", "/orders/abc", "/orders/SO-1"]:
        with subtests.test(msg=path):
            assert_problem(api.get(path, role=Role.VIEWER), 404, detail=False)
    body = assert_problem(api.get("/orders/999", role=Role.VIEWER), 404)
    assert "999" in body["detail"]


# --- picks -------------------------------------------------------------------------------------


def test_picks_move_an_open_order_to_picking_and_replace_what_was_picked(api):
    api.receive(**{S: 5, M: 2})
    order_id = create(api, "SO-1", {S: 3, M: 2, L: 1})
    before = snapshot(api.app)
    response = pick(api, order_id, **{S: 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "id": order_id,
        "status": "picking",
        "lines": [
            {"sku": S, "ordered": 3, "picked": 2},
            {"sku": M, "ordered": 2, "picked": 0},
            {"sku": L, "ordered": 1, "picked": 0},
        ],
    }
    after = snapshot(api.app)
    assert after["movements"] == before["movements"], "picking moves no stock"
    assert get_order(api, order_id)["status"] == "picking"

    # Absolute: the number sent replaces the picked one (1, not 2 + 1).
    again = pick(api, order_id, **{S: 1, M: 2})
    assert again.status_code == 200
    assert by_sku(again.get_json(), "picked") == {S: (1,), M: (2,), L: (0,)}
    assert pick(api, order_id, role=Role.MANAGER, **{S: 0, L: 1}).status_code == 200
    order = get_order(api, order_id)
    assert order["status"] == "picking"
    assert by_sku(order, "ordered", "picked") == {S: (3, 0), M: (2, 2), L: (1, 1)}
    # Picking reserves no more and no less: the order still reserves what it ordered.
    assert levels(api, S) == (5, 3, 2)
    assert levels(api, M) == (2, 2, 0)
    assert api.on_hand(S) == 5


# --- complete --------------------------------------------------------------------------------


def test_complete_takes_stock_down_by_the_picked_quantities_and_releases_the_reservation(api):
    api.receive(**{S: 5, M: 2})
    order_id = create(api, "SO-1", {S: 3, M: 2, L: 1}, note="rush")
    assert pick(api, order_id, **{S: 3, M: 1}).status_code == 200
    assert product_levels(api)[S] == (5, 3, 2)
    _, manager = api.user(Role.MANAGER)
    before = snapshot(api.app)

    response = complete(api, order_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["order"] == {
        "id": order_id,
        "number": "SO-1",
        "status": "completed",
        "warehouse": "MAIN",
    }
    document = body["document"]
    assert document["kind"] == "allocation" and document["number"].startswith("AL")
    assert document["status"] == "posted"
    # Only picked quantities move: L was not picked, M only 1 of 2.
    assert moved(body) == [(S, "allocation", -3, 2), (M, "allocation", -1, 1)]
    for m in body["movements"]:
        assert m.keys() >= MOVEMENT_FIELDS
        assert m["operator"] == manager and m["document"] == document["number"]
        assert m["note"] == "SO-1"
    assert (api.on_hand(S), api.on_hand(M), api.on_hand(L)) == (2, 1, 0)
    after = snapshot(api.app)
    assert after["movements"] == before["movements"] + 2
    assert after["documents"] == before["documents"] + 1
    assert after["SUM(balances.qty)"] == before["SUM(balances.qty)"] - 4

    # The reservation is gone: available is on hand again.
    assert levels(api, S) == (2, 0, 2)
    assert levels(api, M) == (1, 0, 1)
    assert product_levels(api)[L] == (0, 0, 0)
    order = get_order(api, order_id)
    assert order["status"] == "completed"
    assert datetime.fromisoformat(order["completed_at"]) >= datetime.fromisoformat(
        order["created_at"]
    )
    assert order["cancelled_at"] is None
    # Short-shipped: what was ordered but not shipped.
    assert by_sku(order, "ordered", "picked", "shipped", "short") == {
        S: (3, 3, 3, 0),
        M: (2, 1, 1, 1),
        L: (1, 0, 0, 1),
    }

    # Completed, the order takes no more picks.
    before = snapshot(api.app)
    assert_problem(pick(api, order_id, **{M: 2}), 409)
    assert snapshot(api.app) == before


def test_completing_twice_is_409_and_takes_the_stock_once(api, subtests):
    api.receive(**{S: 5})
    order_id = create(api, "SO-1", {S: 2})
    assert pick(api, order_id, **{S: 2}).status_code == 200
    assert complete(api, order_id).status_code == 200
    assert api.on_hand(S) == 3
    before = snapshot(api.app)
    for name, role in [("same manager", Role.MANAGER), ("another manager", None)]:
        with subtests.test(msg=name):
            if role is None:
                response = api.client.post(
                    f"{API}/orders/{order_id}/complete", headers=api.new_token(Role.MANAGER)
                )
            else:
                response = complete(api, order_id, role=role)
            body = assert_problem(response, 409)
            assert "SO-1" in body["detail"]
            assert snapshot(api.app)["movements"] == before["movements"]
    assert api.on_hand(S) == 3
    assert get_order(api, order_id)["status"] == "completed"


def test_complete_without_the_stock_is_409_naming_the_shortage_and_changes_nothing(api):
    api.receive(**{S: 1, M: 4})
    order_id = create(api, "SO-1", {S: 3, M: 2})
    assert pick(api, order_id, **{S: 3, M: 2}).status_code == 200
    before = snapshot(api.app)
    body = assert_problem(complete(api, order_id), 409)
    assert body["shortages"] == [
        {"sku": S, "location": "MAIN", "on_hand": 1, "requested": 3, "short": 2}
    ]
    assert S in body["detail"]
    assert snapshot(api.app) == before, "a refused completion wrote something"
    order = get_order(api, order_id)
    assert order["status"] == "picking" and order["completed_at"] is None
    assert levels(api, M) == (4, 2, 2), "the reservation stands"
    # Once the stock arrives, the same order completes.
    api.receive(**{S: 2})
    assert complete(api, order_id).status_code == 200
    assert (api.on_hand(S), api.on_hand(M)) == (0, 2)


def test_an_order_with_nothing_picked_is_not_completed(api):
    api.receive(**{S: 5})
    order_id = create(api, "SO-1", {S: 2})
    before = snapshot(api.app)
    response = complete(api, order_id)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert "cancel" in response.get_json()["detail"]
    assert snapshot(api.app) == before
    assert levels(api, S) == (5, 2, 3)
    assert get_order(api, order_id)["status"] == "open"


# --- cancel -------------------------------------------------------------------------------------


def test_cancelling_an_open_order_releases_its_reservation(api, subtests):
    api.receive(**{S: 5})
    order_id = create(api, "SO-1", {S: 3, M: 1})
    assert levels(api, S) == (5, 3, 2)
    before = snapshot(api.app)
    response = cancel(api, order_id, "customer changed mind")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "order": {
            "id": order_id,
            "number": "SO-1",
            "status": "cancelled",
            "warehouse": "MAIN",
        },
        "reversal": None,
    }
    after = snapshot(api.app)
    assert after["movements"] == before["movements"]
    assert after["documents"] == before["documents"]
    assert levels(api, S) == (5, 0, 5)
    assert levels(api, M) == (0, 0, 0)
    order = get_order(api, order_id)
    assert order["status"] == "cancelled"
    assert order["cancel_reason"] == "customer changed mind"
    assert datetime.fromisoformat(order["cancelled_at"]).utcoffset() is not None
    assert order["completed_at"] is None
    assert by_sku(order, "short") == {S: (0,), M: (0,)}

    # Cancelled stays cancelled: no second cancel, no picks, no completion.
    before = snapshot(api.app)
    for name, response in [
        ("cancel again", lambda: cancel(api, order_id, "again")),
        ("cancel again as manager", lambda: cancel(api, order_id, "x", role=Role.MANAGER)),
        ("pick", lambda: pick(api, order_id, **{S: 1})),
        ("complete", lambda: complete(api, order_id)),
    ]:
        with subtests.test(msg=name):
            assert_problem(response(), 409)
            assert snapshot(api.app) == before
    assert get_order(api, order_id)["cancel_reason"] == "customer changed mind"


def test_cancelling_a_picking_order_needs_no_body_and_releases_its_reservation(api):
    api.receive(**{S: 5})
    order_id = create(api, "SO-1", {S: 4})
    assert pick(api, order_id, **{S: 4}).status_code == 200
    response = cancel(api, order_id)  # no body at all
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["order"]["status"] == "cancelled"
    assert response.get_json()["reversal"] is None
    assert levels(api, S) == (5, 0, 5)
    assert get_order(api, order_id)["cancel_reason"] == ""
    # An empty object is fine too.
    other = create(api, "SO-2", {S: 1})
    assert cancel(api, other, role=Role.CLERK).status_code == 200
    third = create(api, "SO-3", {S: 1})
    assert api.post(f"/orders/{third}/cancel", {}).status_code == 200
    assert levels(api, S) == (5, 0, 5)


def test_a_manager_cancelling_a_completed_order_restores_the_stock_exactly(api):
    api.receive(**{S: 5, M: 2})
    order_id = create(api, "SO-1", {S: 3, M: 2})
    assert pick(api, order_id, **{S: 3, M: 1}).status_code == 200
    completion = complete(api, order_id).get_json()
    assert (api.on_hand(S), api.on_hand(M)) == (2, 1)
    api.receive(**{S: 4})  # stock keeps moving after the completion

    # A completed order is cancelled only with a reason.
    before = snapshot(api.app)
    for reason in (NOTHING, "", "   "):
        assert_problem(cancel(api, order_id, reason, role=Role.MANAGER), 422, "reason")
        assert snapshot(api.app) == before

    _, manager = api.user(Role.MANAGER)
    response = cancel(api, order_id, "wrong customer", role=Role.MANAGER)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["order"] == {
        "id": order_id,
        "number": "SO-1",
        "status": "cancelled",
        "warehouse": "MAIN",
    }
    reversal = body["reversal"]
    document = reversal["document"]
    assert document["kind"] == "reversal" and document["number"].startswith("RV")
    assert document["note"] == "wrong customer"
    taken = {m["sku"]: m["id"] for m in completion["movements"]}
    # Each reversing movement undoes one of the allocation's, newest first.
    assert [(m["sku"], m["kind"], m["delta"], m["reverses"]) for m in reversal["movements"]] == [
        (M, "reversal", 1, taken[M]),
        (S, "reversal", 3, taken[S]),
    ]
    for m in reversal["movements"]:
        assert m["operator"] == manager and m["document"] == document["number"]
    assert (api.on_hand(S), api.on_hand(M)) == (2 + 4 + 3, 2)
    # GET /movements reads them as the cancel answered: reverses names the movement undone.
    listed = api.get("/movements", role=Role.MANAGER, query_string={"kind": "reversal"}).get_json()[
        "items"
    ]
    assert sorted((m["id"], m["reverses"], m["document"]) for m in listed) == sorted(
        (m["id"], m["reverses"], m["document"]) for m in reversal["movements"]
    )
    after = snapshot(api.app)
    assert after["movements"] == before["movements"] + 2
    assert after["documents"] == before["documents"] + 1
    assert levels(api, S) == (9, 0, 9), "a cancelled order reserves nothing"
    order = get_order(api, order_id)
    assert order["status"] == "cancelled" and order["cancel_reason"] == "wrong customer"
    assert order["completed_at"] is not None and order["cancelled_at"] is not None

    # A second cancel is refused and restores nothing again.
    before = snapshot(api.app)
    assert_problem(cancel(api, order_id, "again", role=Role.MANAGER), 409)
    assert snapshot(api.app) == before
    assert (api.on_hand(S), api.on_hand(M)) == (9, 2)


# --- returns ----------------------------------------------------------------------------------


def test_a_return_against_a_completed_order_puts_resellable_back_and_writes_off_damaged(api):
    api.receive(**{S: 5, M: 2})
    order_id = completed_order(api, "SO-1", {S: 3, M: 2})
    assert (api.on_hand(S), api.on_hand(M)) == (2, 0)
    _, clerk = api.user(Role.CLERK)
    before = snapshot(api.app)
    response = api.post(
        "/returns",
        {
            "order": "SO-1",
            "note": "torn seam",
            "lines": [
                {"sku": S, "qty": 1, "condition": "resellable"},
                {"sku": S, "qty": 1, "condition": "damaged"},
                {"sku": M, "qty": 2},  # resellable unless told
            ],
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    document = body["return"]
    assert document["kind"] == "return" and document["number"].startswith("RT")
    assert document["note"] == "torn seam"
    assert moved(body) == [
        (S, "return", 1, 3),
        (S, "return", 1, 4),
        (M, "return", 2, 2),
        (S, "write_off", -1, 3),
    ]
    for m in body["movements"]:
        assert m["operator"] == clerk and m["document"] == document["number"]
    assert (api.on_hand(S), api.on_hand(M)) == (3, 2), "the damaged piece never joins stock"
    after = snapshot(api.app)
    assert after["movements"] == before["movements"] + 4
    assert after["documents"] == before["documents"] + 1
    assert by_sku(get_order(api, order_id), "shipped", "returned") == {S: (3, 2), M: (2, 2)}

    # By the order's id as well; what is left to return is counted across returns.
    by_id = api.post("/returns", {"order": order_id, "lines": [{"sku": S, "qty": 1}]})
    assert by_id.status_code == 201, by_id.get_data(as_text=True)
    assert api.on_hand(S) == 4
    before = snapshot(api.app)
    over = api.post("/returns", {"order": order_id, "lines": [{"sku": S, "qty": 1}]})
    assert "lines[0]" in assert_problem(over, 422)["errors"]
    assert snapshot(api.app) == before

    # With returns booked, the completed order is no longer cancelled (returns
    # already put that stock back).
    assert_problem(cancel(api, order_id, "x", role=Role.MANAGER), 409)
    assert snapshot(api.app) == before


def test_a_return_without_an_order_books_any_variant(api):
    before = snapshot(api.app)
    response = api.post(
        "/returns",
        {"lines": [{"sku": L, "qty": 2}, {"sku": M, "qty": 1, "condition": "damaged"}]},
        role=Role.MANAGER,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert moved(response.get_json()) == [
        (L, "return", 2, 2),
        (M, "return", 1, 1),
        (M, "write_off", -1, 0),
    ]
    assert (api.on_hand(L), api.on_hand(M)) == (2, 0)
    after = snapshot(api.app)
    assert after["orders"] == before["orders"]
    assert after["documents"] == before["documents"] + 1


def test_returns_against_an_order_check_what_it_shipped(api, subtests):
    api.receive(**{S: 5, M: 5})
    open_id = create(api, "SO-OPEN", {S: 1})
    completed_id = completed_order(api, "SO-DONE", {S: 3, M: 1}, picked={S: 2})
    cancelled_id = create(api, "SO-GONE", {S: 1})
    assert cancel(api, cancelled_id).status_code == 200
    for name, body, status, field in [
        ("against an open order", {"order": "SO-OPEN", "lines": [{"sku": S, "qty": 1}]}, 409, None),
        (
            "against an open order by id",
            {"order": open_id, "lines": [{"sku": S, "qty": 1}]},
            409,
            None,
        ),
        (
            "against a cancelled order",
            {"order": cancelled_id, "lines": [{"sku": S, "qty": 1}]},
            409,
            None,
        ),
        (
            "more than shipped",
            {"order": "SO-DONE", "lines": [{"sku": S, "qty": 3}]},
            422,
            "lines[0]",
        ),
        (
            "more than shipped over two conditions",
            {
                "order": completed_id,
                "lines": [
                    {"sku": S, "qty": 1},
                    {"sku": S, "qty": 2, "condition": "damaged"},
                ],
            },
            422,
            "lines[1]",
        ),
        (
            "a variant that did not ship",
            {"order": "SO-DONE", "lines": [{"sku": M, "qty": 1}]},
            422,
            "lines[0]",
        ),
        (
            "a variant not on the order",
            {"order": "SO-DONE", "lines": [{"sku": L, "qty": 1}]},
            422,
            "lines[0]",
        ),
    ]:
        with subtests.test(msg=name):
            before = snapshot(api.app)
            response = api.post("/returns", body)
            if field:
                assert_problem(response, status, field)
            else:
                assert_problem(response, status)
            assert snapshot(api.app) == before, "a refused return wrote something"
    ok = api.post("/returns", {"order": "SO-DONE", "lines": [{"sku": S, "qty": 2}]})
    assert ok.status_code == 201, ok.get_data(as_text=True)


# --- permissions ---------------------------------------------------------------------------------


class Stage:
    """For one role: orders in each state the endpoints need, made by the manager."""

    def __init__(self, api: Api, tag: str):
        self.tag = tag
        self.open = create(api, f"OPEN-{tag}", {S: 1}, role=Role.MANAGER)
        self.picked = create(api, f"PICKED-{tag}", {S: 1}, role=Role.MANAGER)
        assert pick(api, self.picked, role=Role.MANAGER, **{S: 1}).status_code == 200
        self.to_cancel = create(api, f"CANCEL-{tag}", {S: 1}, role=Role.MANAGER)
        self.done = completed_order(api, f"DONE-{tag}", {S: 1})

    def request(self, endpoint: str) -> tuple[str, str, dict | None, int]:
        """(method, path, body, success status) of a request the role may make."""
        return {
            "POST /orders": (
                "POST",
                "/orders",
                {"number": f"NEW-{self.tag}", "customer": "C", "lines": lines_of(**{M: 1})},
                201,
            ),
            "GET /orders/{order_id}": ("GET", f"/orders/{self.open}", None, 200),
            "POST /orders/{order_id}/picks": (
                "POST",
                f"/orders/{self.open}/picks",
                {"lines": [{"sku": S, "picked": 1}]},
                200,
            ),
            "POST /orders/{order_id}/complete": (
                "POST",
                f"/orders/{self.picked}/complete",
                None,
                200,
            ),
            "POST /orders/{order_id}/cancel": (
                "POST",
                f"/orders/{self.to_cancel}/cancel",
                {"reason": "r"},
                200,
            ),
            "POST /returns": (
                "POST",
                "/returns",
                {"order": f"DONE-{self.tag}", "lines": [{"sku": S, "qty": 1}]},
                201,
            ),
        }[endpoint]


def test_each_role_is_allowed_or_refused_as_the_order_routes_declare(api, subtests):
    api.receive(**{S: 20})
    stages = {role: Stage(api, role.value) for role in ROLES}
    for role, stage in stages.items():
        for endpoint, least in ORDER_ENDPOINTS.items():
            method, path, body, success = stage.request(endpoint)
            with subtests.test(msg=f"{role} {endpoint}"):
                before = snapshot(api.app)
                response = api.client.open(
                    API + path, method=method, headers=api.auth(role), json=body
                )
                if role.rank >= least.rank:
                    assert response.status_code == success, response.get_data(as_text=True)
                else:
                    assert_problem(response, 403)
                    assert snapshot(api.app) == before, "a refused request wrote something"
    statuses = {
        role: tuple(
            get_order(api, order_id)["status"]
            for order_id in (stage.open, stage.picked, stage.to_cancel)
        )
        for role, stage in stages.items()
    }
    assert statuses == {
        Role.VIEWER: ("open", "picking", "open"),
        Role.CLERK: ("picking", "picking", "cancelled"),
        Role.MANAGER: ("picking", "completed", "cancelled"),
    }
    assert api.on_hand(S) == 20 - 3 - 1 + 2, (
        "three completed in set-up, one by the manager, two returned"
    )


def test_a_clerk_may_not_complete_nor_cancel_a_completed_order(api):
    api.receive(**{S: 5})
    picked = create(api, "SO-1", {S: 2})
    assert pick(api, picked, **{S: 2}).status_code == 200
    before = snapshot(api.app)
    body = assert_problem(complete(api, picked, role=Role.CLERK), 403)
    assert "Manager" in body["detail"]
    assert snapshot(api.app) == before
    assert get_order(api, picked)["status"] == "picking"

    done = completed_order(api, "SO-2", {S: 2})
    assert api.on_hand(S) == 3
    before = snapshot(api.app)
    body = assert_problem(cancel(api, done, "mistake", role=Role.CLERK), 403)
    assert "manager" in body["detail"].lower()
    assert snapshot(api.app) == before
    assert get_order(api, done)["status"] == "completed"
    assert api.on_hand(S) == 3
    # The same request from a manager goes through.
    assert cancel(api, done, "mistake", role=Role.MANAGER).status_code == 200
    assert api.on_hand(S) == 5


def test_every_order_endpoint_refuses_missing_and_bad_tokens_with_401(api, subtests):
    api.receive(**{S: 5})
    stage = Stage(api, "x")
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for endpoint in ORDER_ENDPOINTS:
        method, path, body, _ = stage.request(endpoint)
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                response = api.client.open(API + path, method=method, headers=headers, json=body)
                assert_problem(response, 401)
                assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
                assert snapshot(api.app) == before, "a refused request wrote something"


# --- idempotency --------------------------------------------------------------------------------


def test_repeating_a_create_with_its_key_returns_the_first_order_and_creates_one(api):
    body = {"number": "SO-1", "customer": "Shop A", "lines": lines_of(**{S: 2})}
    key = {"Idempotency-Key": "order-1"}
    first = api.post("/orders", body, headers=key)
    assert first.status_code == 201, first.get_data(as_text=True)
    after_first = snapshot(api.app)
    again = api.post("/orders", body, headers=key)
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first
    assert levels(api, S) == (0, 2, -2), "reserved once"
    # Without the key, the same number is a duplicate: 422 on number.
    assert_problem(api.post("/orders", body), 422, "number")
    # The key for a different order is refused.
    other = {**body, "number": "SO-2"}
    assert_problem(api.post("/orders", other, headers=key), 422)
    assert snapshot(api.app) == after_first


def test_repeating_picks_with_their_key_returns_the_first_result(api):
    order_id = create(api, "SO-1", {S: 3})
    key = {"Idempotency-Key": "pick-1"}
    first = pick(api, order_id, headers=key, **{S: 2})
    assert first.status_code == 200
    after_first = snapshot(api.app)
    again = pick(api, order_id, headers=key, **{S: 2})
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first
    # Picks move on; a late retry of the first request changes nothing back.
    assert pick(api, order_id, **{S: 3}).status_code == 200
    late = pick(api, order_id, headers=key, **{S: 2})
    assert late.status_code == 200
    assert by_sku(late.get_json(), "picked") == {S: (2,)}, "the first result"
    assert by_sku(get_order(api, order_id), "picked") == {S: (3,)}, "nothing written"


def completed_with_a_key(api):
    """Set-up: an order of 2 × S picked and completed with an Idempotency-Key (5 S in
    stock); its id, the key's header and the first answer."""
    api.receive(**{S: 5})
    order_id = create(api, "SO-1", {S: 2})
    assert pick(api, order_id, **{S: 2}).status_code == 200
    key = {"Idempotency-Key": "complete-1"}
    first = complete(api, order_id, headers=key)
    assert first.status_code == 200, first.get_data(as_text=True)
    return order_id, key, first


def test_repeating_a_completion_with_its_key_returns_the_first_result_and_posts_once(api):
    order_id, key, first = completed_with_a_key(api)
    after_first = snapshot(api.app)
    again = complete(api, order_id, headers=key)
    assert again.status_code == 200, "a retry with the key is not a second completion"
    assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first
    assert api.on_hand(S) == 3
    with api.app.app_context():
        assert row_count("idempotency_records") == 1
    # Without the key it is a second completion: refused.
    assert_problem(complete(api, order_id), 409)
    assert api.on_hand(S) == 3


def test_a_completion_stored_before_results_carried_skus_is_repeated_with_them(api):
    """Results stored by an earlier version have no ``skus``: the repeat reads them."""
    order_id, key, first = completed_with_a_key(api)
    with api.app.app_context():
        record = db.session.scalars(sa.select(IdempotencyRecord)).one()
        record.result = {k: v for k, v in record.result.items() if k != "skus"}
        db.session.commit()
    again = complete(api, order_id, headers=key)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert [m["sku"] for m in again.get_json()["movements"]] == [S]


def test_repeating_a_cancel_with_its_key_returns_the_first_result_and_reverses_once(api):
    api.receive(**{S: 5})
    order_id = completed_order(api, "SO-1", {S: 2})
    key = {"Idempotency-Key": "cancel-1"}
    first = cancel(api, order_id, "wrong", role=Role.MANAGER, headers=key)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["reversal"] is not None
    after_first = snapshot(api.app)
    again = cancel(api, order_id, "wrong", role=Role.MANAGER, headers=key)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first
    assert api.on_hand(S) == 5
    assert_problem(cancel(api, order_id, "wrong", role=Role.MANAGER), 409)


def test_repeating_a_return_with_its_key_returns_the_first_result_and_posts_once(api):
    api.receive(**{S: 5})
    completed_order(api, "SO-1", {S: 2})
    body = {"order": "SO-1", "lines": [{"sku": S, "qty": 1, "condition": "damaged"}]}
    key = {"Idempotency-Key": "return-1"}
    first = api.post("/returns", body, headers=key)
    assert first.status_code == 201, first.get_data(as_text=True)
    after_first = snapshot(api.app)
    again = api.post("/returns", body, headers=key)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first
    changed = {**body, "lines": [{"sku": S, "qty": 1, "condition": "resellable"}]}
    assert_problem(api.post("/returns", changed, headers=key), 422)
    assert snapshot(api.app) == after_first
    assert api.on_hand(S) == 3


def test_a_bad_idempotency_key_is_422_on_every_order_write(api, subtests):
    api.receive(**{S: 5})
    stage = Stage(api, "x")
    before = snapshot(api.app)
    for endpoint in ORDER_ENDPOINTS:
        method, path, body, _ = stage.request(endpoint)
        if method != "POST":
            continue
        with subtests.test(msg=endpoint):
            headers = {**api.auth(Role.MANAGER), "Idempotency-Key": "x" * 256}
            response = api.client.post(API + path, headers=headers, json=body)
            assert_problem(response, 422, "Idempotency-Key")
            assert snapshot(api.app) == before


# --- validation ----------------------------------------------------------------------------------


BAD_QUANTITIES = [
    ("negative", -1),
    ("fraction", 1.5),
    ("over the maximum", 1_000_001),
    ("number in a string", "2"),
    ("true", True),
    ("null", None),
    ("list", [1]),
    ("left out", NOTHING),
]


def _line(sku, field, value) -> dict:
    return {"sku": sku} if value is NOTHING else {"sku": sku, field: value}


def test_bad_new_orders_are_422_naming_every_field_and_write_nothing(api, subtests):
    create(api, "SO-1", {S: 1})
    good = {"number": "SO-2", "customer": "Shop B", "lines": lines_of(**{S: 1})}

    def but(**changes) -> dict:
        return {k: v for k, v in {**good, **changes}.items() if v is not NOTHING}

    for name, body, fields in [
        ("number missing", but(number=NOTHING), ["number"]),
        ("number blank", but(number="   "), ["number"]),
        ("number of 41 characters", but(number="N" * 41), ["number"]),
        ("number a number", but(number=12), ["number"]),
        ("number taken", but(number="SO-1"), ["number"]),
        ("customer missing", but(customer=NOTHING), ["customer"]),
        ("customer empty", but(customer=""), ["customer"]),
        ("customer of 121 characters", but(customer="c" * 121), ["customer"]),
        ("customer a list", but(customer=["x"]), ["customer"]),
        ("note of 501 characters", but(note="n" * 501), ["note"]),
        ("note a number", but(note=5), ["note"]),
        ("lines missing", but(lines=NOTHING), ["lines"]),
        ("lines empty", but(lines=[]), ["lines"]),
        ("lines an object", but(lines={"sku": S, "qty": 1}), ["lines"]),
        ("a line not an object", but(lines=[S]), ["lines[0]"]),
        ("sku missing", but(lines=[{"qty": 1}]), ["lines[0].sku"]),
        ("sku a number", but(lines=[{"sku": 5, "qty": 1}]), ["lines[0].sku"]),
        (
            "unknown sku",
            but(lines=[*lines_of(**{S: 1}), {"sku": "NOPE", "qty": 1}]),
            ["lines[1].sku"],
        ),
        ("a sku twice", but(lines=lines_of(**{S: 1, M: 1}) + lines_of(**{S: 2})), ["lines[2].sku"]),
        ("qty zero", but(lines=lines_of(**{S: 0})), ["lines[0].qty"]),
        (
            "every bad field at once",
            {
                "number": "",
                "customer": "c" * 121,
                "note": 1,
                "lines": [{"sku": S, "qty": 0}, {"sku": "NOPE", "qty": 1}, {"sku": M, "qty": "x"}],
            },
            ["number", "customer", "note", "lines[0].qty", "lines[1].sku", "lines[2].qty"],
        ),
    ]:
        refuse(api, subtests, name, "/orders", 422, *fields, json=body)
    for name, value in BAD_QUANTITIES:
        body = but(lines=[{"sku": M, "qty": 1}, _line(S, "qty", value)])
        refuse(api, subtests, f"qty {name}", "/orders", 422, "lines[1].qty", json=body)
    refuse(
        api, subtests, "malformed JSON", "/orders", 400, data="{", content_type="application/json"
    )
    refuse(api, subtests, "a JSON list", "/orders", 400, json=[good])
    # The same set-up takes a good order, at the limits.
    limits = but(number="N" * 40, customer="c" * 120, note="n" * 500, lines=lines_of(**{S: 10**6}))
    response = api.post("/orders", limits)
    assert response.status_code == 201, response.get_data(as_text=True)


def test_bad_picks_are_refused_naming_the_line_and_write_nothing(api, subtests):
    order_id = create(api, "SO-1", {S: 3, M: 1})
    path = f"/orders/{order_id}/picks"

    def picks(*lines) -> dict:
        return {"json": {"lines": list(lines)}}

    for name, send, fields in [
        ("more than ordered", picks({"sku": S, "picked": 4}), ["lines[0]"]),
        (
            "more than ordered after a good line",
            picks({"sku": S, "picked": 2}, {"sku": M, "picked": 2}),
            ["lines[1]"],
        ),
        ("a variant not on the order", picks({"sku": L, "picked": 1}), ["lines[0]"]),
        ("unknown sku", picks({"sku": "NOPE", "picked": 1}), ["lines[0].sku"]),
        ("a sku twice", picks({"sku": S, "picked": 1}, {"sku": S, "picked": 2}), ["lines[1].sku"]),
        ("no lines", {"json": {}}, ["lines"]),
        ("empty lines", picks(), ["lines"]),
        ("qty instead of picked", picks({"sku": S, "qty": 1}), ["lines[0].picked"]),
    ]:
        refuse(api, subtests, name, path, 422, *fields, role=Role.CLERK, **send)
    for name, value in BAD_QUANTITIES:
        if name == "over the maximum":
            continue  # over ordered first; named as lines[0] above
        refuse(
            api,
            subtests,
            f"picked {name}",
            path,
            422,
            "lines[0].picked",
            **picks(_line(S, "picked", value)),
        )
    for name, bad_path in [
        ("unknown order", "/orders/999/picks"),
        ("order id beyond 32 bits", f"/orders/{2**31}/picks"),
    ]:
        refuse(api, subtests, name, bad_path, 404, **picks({"sku": S, "picked": 1}))
    order = get_order(api, order_id)
    assert order["status"] == "open", "a refused pick does not start picking"
    assert by_sku(order, "picked") == {S: (0,), M: (0,)}
    assert pick(api, order_id, **{S: 3, M: 1}).status_code == 200


def test_bad_complete_and_cancel_requests_are_refused_and_write_nothing(api, subtests):
    api.receive(**{S: 5})
    order_id = create(api, "SO-1", {S: 1})
    for path, status, fields, send in [
        ("/orders/999/complete", 404, [], {}),
        (f"/orders/{2**31}/complete", 404, [], {}),
        ("/orders/999/cancel", 404, [], {"json": {"reason": "x"}}),
        (f"/orders/{order_id}/cancel", 422, ["reason"], {"json": {"reason": "r" * 501}}),
        (f"/orders/{order_id}/cancel", 422, ["reason"], {"json": {"reason": 5}}),
        (f"/orders/{order_id}/cancel", 400, [], {"data": "{", "content_type": "application/json"}),
        (f"/orders/{order_id}/cancel", 400, [], {"json": ["reason"]}),
    ]:
        refuse(api, subtests, f"{path} {send}", path, status, *fields, **send)
    assert get_order(api, order_id)["status"] == "open"
    assert cancel(api, order_id, "r" * 500).status_code == 200


def test_bad_returns_are_422_naming_every_field_and_write_nothing(api, subtests):
    api.receive(**{S: 5})
    completed_order(api, "SO-1", {S: 2})
    good = {"order": "SO-1", "lines": [{"sku": S, "qty": 1}]}

    def but(**changes) -> dict:
        return {k: v for k, v in {**good, **changes}.items() if v is not NOTHING}

    for name, body, fields in [
        ("unknown order number", but(order="SO-404"), ["order"]),
        ("unknown order id", but(order=999), ["order"]),
        ("order id zero", but(order=0), ["order"]),
        ("order id beyond 64 bits", but(order=10**30), ["order"]),
        ("order blank", but(order=" "), ["order"]),
        ("order with a NUL", but(order="SO-1\x00"), ["order"]),
        ("order of 41 characters", but(order="N" * 41), ["order"]),
        ("order true", but(order=True), ["order"]),
        ("order a fraction", but(order=1.5), ["order"]),
        ("order a list", but(order=["SO-1"]), ["order"]),
        ("note of 501 characters", but(note="n" * 501), ["note"]),
        ("lines missing", but(lines=NOTHING), ["lines"]),
        ("unknown sku", but(lines=[{"sku": "NOPE", "qty": 1}]), ["lines[0].sku"]),
        (
            "condition unknown",
            but(lines=[{"sku": S, "qty": 1, "condition": "new"}]),
            ["lines[0].condition"],
        ),
        (
            "condition in capitals",
            but(lines=[{"sku": S, "qty": 1, "condition": "DAMAGED"}]),
            ["lines[0].condition"],
        ),
        (
            "condition a number",
            but(lines=[{"sku": S, "qty": 1, "condition": 1}]),
            ["lines[0].condition"],
        ),
        (
            "condition a list",
            but(lines=[{"sku": S, "qty": 1, "condition": ["damaged"]}]),
            ["lines[0].condition"],
        ),
        (
            "a sku twice in one condition",
            but(lines=[{"sku": S, "qty": 1}, {"sku": S, "qty": 1, "condition": "resellable"}]),
            ["lines[1].sku"],
        ),
        (
            "every bad field at once",
            {
                "order": "SO-404",
                "note": 5,
                "lines": [{"sku": S, "qty": 0}, {"sku": S, "qty": 1, "condition": "x"}],
            },
            ["order", "note", "lines[0].qty", "lines[1].condition"],
        ),
    ]:
        refuse(api, subtests, name, "/returns", 422, *fields, role=Role.CLERK, json=body)
    for name, value in BAD_QUANTITIES:
        body = but(lines=[_line(S, "qty", value)])
        refuse(api, subtests, f"qty {name}", "/returns", 422, "lines[0].qty", json=body)
    response = api.post("/returns", but(note="n" * 500, lines=[{"sku": S, "qty": 2}]))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_order_routes_are_in_the_openapi_document_with_their_schemas(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    paths = doc["paths"]
    assert paths["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for path in ("/orders", "/returns"):
        assert "201" in paths[path]["post"]["responses"]
    for path in ("/orders/{order_id}/picks", "/orders/{order_id}/complete"):
        assert "200" in paths[path]["post"]["responses"]
        names = [p["name"] for p in paths[path]["post"]["parameters"]]
        assert names == ["order_id", "Idempotency-Key"]
    line = paths["/returns"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    item = line["properties"]["lines"]["items"]
    assert item["properties"]["condition"]["enum"] == ["resellable", "damaged"]
    assert {"Order", "NewOrder", "OrderRef", "Picks"} <= doc["components"]["schemas"].keys()
