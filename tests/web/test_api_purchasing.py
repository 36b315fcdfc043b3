"""The JSON API v1 for suppliers, purchase orders (采购单) and receipts (入库单), over HTTP.

Happy paths and flows first (a PO filled by partial receipts, over / short /
damaged / wrong lines, approval, rejection, closing, the over-receipt tolerance,
quarantine), then permissions, idempotency and every validation error. Stock is
checked with ``on_hand()`` (the balances) and with GET /stock (what a client
sees); a refused request must leave the database exactly as it was
(``snapshot``). The helpers ``Api``, ``assert_problem`` and ``snapshot`` are in
``tests/support/api.py``; the cases of a family run as subtests.
"""

from datetime import datetime

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import settings, warehouses
from tests.support.api import (
    API,
    BAD_AUTH,
    PURCHASING_ENDPOINTS,
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

NOTHING = object()  # a key left out
MOVEMENT_FIELDS = {"id", "sku", "kind", "delta", "balance_after", "operator", "note", "document"}


@pytest.fixture
def api_roles():
    return ROLES  # tokens made up front: snapshots then see only the request's writes


# --- helpers -------------------------------------------------------------------------------


def new_supplier(api: Api, name: str = "Mill A", **fields) -> int:
    """Set-up: a supplier, through the API; its id."""
    response = api.post("/suppliers", {"name": name, **fields}, role=Role.MANAGER)
    assert response.status_code == 201, f"set-up failed: {response.get_data(as_text=True)}"
    return response.get_json()["id"]


def po_body(number: str, lines: dict, supplier: int, **fields) -> dict:
    return {
        "number": number,
        "supplier": supplier,
        "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()],
        **fields,
    }


def new_po(api: Api, number: str, lines: dict, supplier: int | None = None, **fields) -> int:
    """Set-up: a purchase order (ordered, unless ``place=False``) by the manager; its id."""
    supplier = supplier or new_supplier(api, f"Mill for {number}")
    response = api.post(
        "/purchase-orders", po_body(number, lines, supplier, **fields), Role.MANAGER
    )
    assert response.status_code == 201, f"set-up failed: {response.get_data(as_text=True)}"
    return response.get_json()["id"]


def arrived(sku: str, received: int, **fields) -> dict:
    return {"sku": sku, "received": received, **fields}


def post_receipt(api: Api, po, *lines: dict, role=Role.CLERK, headers=None, **fields):
    body = {"lines": list(lines), **fields}
    if po is not None:
        body["po"] = po
    return api.post("/receipts", body, role=role, headers=headers or {})


def new_receipt(api: Api, po, *lines: dict, submit: bool = True, role=Role.CLERK, **fields) -> int:
    """Set-up: a receipt (submitted, unless told) by the clerk; its id."""
    response = post_receipt(api, po, *lines, role=role, submit=submit, **fields)
    assert response.status_code == 201, f"set-up failed: {response.get_data(as_text=True)}"
    return response.get_json()["receipt"]["id"]


def act(api: Api, receipt_id: int, action: str, role=Role.MANAGER, headers=None, body=None):
    """POST /receipts/<id>/<action> (submit, approve, reject)."""
    return api.post(f"/receipts/{receipt_id}/{action}", body, role=role, headers=headers or {})


def approve(api: Api, receipt_id: int) -> dict:
    response = act(api, receipt_id, "approve")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def po_action(api: Api, po_id: int, action: str, role=Role.MANAGER, headers=None):
    """POST /purchase-orders/<id>/<action> (place, close)."""
    return api.post(f"/purchase-orders/{po_id}/{action}", role=role, headers=headers or {})


def get_po(api: Api, po_id: int, role=Role.CLERK) -> dict:
    response = api.get(f"/purchase-orders/{po_id}", role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def po_lines(po: dict) -> dict[str, tuple[int, int, int, int]]:
    """SKU → (ordered, received, remaining, cancelled)."""
    return {
        line["sku"]: (line["ordered"], line["received"], line["remaining"], line["cancelled"])
        for line in po["lines"]
    }


def get_receipt(api: Api, receipt_id: int, role=Role.CLERK) -> dict:
    response = api.get(f"/receipts/{receipt_id}", role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def stock(api: Api, sku: str) -> tuple[int, dict[str, int]]:
    """(on hand, {location: qty}) as GET /stock tells a viewer."""
    response = api.get("/stock", role=Role.VIEWER, query_string={"sku": sku})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["on_hand"], {row["location"]: row["on_hand"] for row in body["locations"]}


def on_hands(api: Api) -> tuple[int, int, int]:
    """(S, M, L) on hand, from the balances."""
    return api.on_hand(S), api.on_hand(M), api.on_hand(L)


def moved(body: dict) -> list[tuple]:
    return [(m["sku"], m["kind"], m["delta"], m["balance_after"]) for m in body["movements"]]


def set_settings(api: Api, **values) -> None:
    with api.app.app_context():
        settings.update(values)


def new_location(api: Api, code: str, *, quarantine: bool = False, warehouse_id=None) -> int:
    with api.app.app_context():
        return warehouses.create_location(
            warehouse_id=warehouse_id or warehouses.main_warehouse_id(),
            code=code,
            is_quarantine=quarantine,
        )


# --- suppliers ---------------------------------------------------------------------------------


def test_a_manager_adds_suppliers_and_clerks_list_them_by_name(api):
    before = snapshot(api.app)
    response = api.post(
        "/suppliers",
        {"name": " Mill B ", "contact": "Ms Wang", "phone": "138 0000 0000", "note": "net 30"},
        role=Role.MANAGER,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert isinstance(created["id"], int)
    assert created == {
        "id": created["id"],
        "name": "Mill B",
        "contact": "Ms Wang",
        "phone": "138 0000 0000",
        "note": "net 30",
    }, "fields are trimmed"
    assert snapshot(api.app)["suppliers"] == before["suppliers"] + 1
    other = new_supplier(api, "Atelier")
    listed = api.get("/suppliers", role=Role.CLERK)
    assert listed.status_code == 200
    assert listed.get_json() == {
        "items": [
            {"id": other, "name": "Atelier", "contact": "", "phone": "", "note": ""},
            created,
        ]
    }


# --- purchase orders ---------------------------------------------------------------------------


def test_creating_a_po_orders_it_and_get_shows_its_lines(api):
    supplier = new_supplier(api)
    before = snapshot(api.app)
    body = po_body(" PO-1 ", {S: 10, M: 5}, supplier, expected_on="2025-03-31", note="spring")
    body["lines"][0]["unit_cost"] = "12.5"
    response = api.post("/purchase-orders", body, role=Role.MANAGER)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created == {"id": created["id"], "number": "PO-1", "status": "ordered"}
    after = snapshot(api.app)
    assert after["purchase_orders"] == before["purchase_orders"] + 1
    assert after["po_lines"] == before["po_lines"] + 2
    assert after["movements"] == before["movements"], "a PO moves no stock"

    po = get_po(api, created["id"], role=Role.CLERK)
    assert po["id"] == created["id"]
    assert (po["number"], po["status"], po["note"]) == ("PO-1", "ordered", "spring")
    assert po["supplier"] == {"id": supplier, "name": "Mill A"}
    assert po["expected_on"] == "2025-03-31"
    assert datetime.fromisoformat(po["created_at"]).utcoffset() is not None
    assert po["closed_at"] is None
    assert po["lines"] == [
        {
            "sku": S,
            "ordered": 10,
            "received": 0,
            "remaining": 10,
            "cancelled": 0,
            "returned": 0,
            "unit_cost": "12.50",
        },
        {
            "sku": M,
            "ordered": 5,
            "received": 0,
            "remaining": 5,
            "cancelled": 0,
            "returned": 0,
            "unit_cost": None,
        },
    ]
    assert po["unexpected"] == [] and po["receipts"] == [] and po["supplier_returns"] == []


def test_a_draft_po_is_placed_once_and_takes_no_receipt_before(api):
    po_id = new_po(api, "PO-1", {S: 3}, place=False, expected_on=None)
    po = get_po(api, po_id)
    assert (po["status"], po["expected_on"]) == ("draft", None)
    before = snapshot(api.app)
    body = assert_problem(post_receipt(api, po_id, arrived(S, 1)), 409)
    assert "PO-1" in body["detail"]
    assert snapshot(api.app) == before, "a receipt against a draft wrote something"
    assert_problem(po_action(api, po_id, "close"), 409)

    placed = po_action(api, po_id, "place")
    assert placed.status_code == 200, placed.get_data(as_text=True)
    assert placed.get_json() == {"id": po_id, "number": "PO-1", "status": "ordered"}
    assert get_po(api, po_id)["status"] == "ordered"
    before = snapshot(api.app)
    assert_problem(po_action(api, po_id, "place"), 409)
    assert snapshot(api.app) == before
    assert post_receipt(api, po_id, arrived(S, 1)).status_code == 201


def test_the_po_list_gives_totals_filters_by_status_and_pages(api, subtests):
    supplier = new_supplier(api)
    first = new_po(api, "PO-1", {S: 10, M: 5}, supplier)
    second = new_po(api, "PO-2", {S: 2}, supplier, place=False)
    third = new_po(api, "PO-3", {L: 4}, supplier)
    body = po_body("PO-4", {M: 3}, supplier)
    body["lines"][0]["unit_cost"] = "2.50"
    assert api.post("/purchase-orders", body, role=Role.MANAGER).status_code == 201
    approve(api, new_receipt(api, first, arrived(S, 4), arrived(M, 5)))
    approve(api, new_receipt(api, third, arrived(L, 4)))

    response = api.get("/purchase-orders", role=Role.CLERK)
    assert response.status_code == 200, response.get_data(as_text=True)
    listing = response.get_json()
    assert listing["next_cursor"] is None
    assert [po["number"] for po in listing["items"]] == ["PO-4", "PO-3", "PO-2", "PO-1"]
    totals = {
        po["number"]: (
            po["status"],
            po["ordered"],
            po["received"],
            po["remaining"],
            po["cancelled"],
            po["value"],
        )
        for po in listing["items"]
    }
    assert totals == {
        "PO-1": ("partially_received", 15, 9, 6, 0, "0.00"),
        "PO-2": ("draft", 2, 0, 2, 0, "0.00"),
        "PO-3": ("received", 4, 4, 0, 0, "0.00"),
        "PO-4": ("ordered", 3, 0, 3, 0, "7.50"),
    }
    item = listing["items"][-1]
    assert item["id"] == first and item["supplier"] == {"id": supplier, "name": "Mill A"}

    for status, numbers in [
        ("draft", ["PO-2"]),
        ("ordered", ["PO-4"]),
        ("partially_received", ["PO-1"]),
        ("received", ["PO-3"]),
        ("closed", []),
    ]:
        with subtests.test(msg=status):
            found = api.get("/purchase-orders", query_string={"status": status}).get_json()
            assert [po["number"] for po in found["items"]] == numbers

    # Pages of two: no PO twice, none left out.
    seen, cursor = [], None
    for _ in range(3):
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/purchase-orders", query_string=query).get_json()
        seen += [po["id"] for po in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [po["id"] for po in listing["items"]]
    assert second in seen


# --- receiving against a PO --------------------------------------------------------------------


def test_a_po_filled_by_partial_receipts_follows_each_approval(api):
    po_id = new_po(api, "PO-1", {S: 10, M: 5})
    _, manager = api.user(Role.MANAGER)
    _, clerk = api.user(Role.CLERK)

    first = post_receipt(api, po_id, arrived(S, 4), submit=True, note="truck 1")
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    receipt = body["receipt"]
    assert receipt["kind"] == "receipt" and receipt["number"].startswith("RC")
    assert (receipt["status"], receipt["note"]) == ("submitted", "truck 1")
    assert body["movements"] == [], "a clerk's receipt against a PO waits for approval"
    assert body["po"] == {"id": po_id, "number": "PO-1", "status": "ordered"}
    assert body["lines"] == [
        {
            "sku": S,
            "received": 4,
            "damaged": 0,
            "location": "DEFAULT",
            "unit_cost": None,
            "reason": "",
            "note": "",
        }
    ]
    assert on_hands(api) == (0, 0, 0)
    assert po_lines(get_po(api, po_id))[S] == (10, 0, 10, 0), "nothing received before approval"

    approved = approve(api, receipt["id"])
    assert approved["receipt"]["status"] == "posted"
    assert moved(approved) == [(S, "inbound", 4, 4)]
    for m in approved["movements"]:
        assert m.keys() >= MOVEMENT_FIELDS
        assert (m["operator"], m["document"]) == (manager, receipt["number"])
    assert approved["po"]["status"] == "partially_received"
    po = get_po(api, po_id)
    assert po["status"] == "partially_received"
    assert po_lines(po) == {S: (10, 4, 6, 0), M: (5, 0, 5, 0)}
    assert stock(api, S) == (4, {"DEFAULT": 4})

    # The second by the PO's number: the rest of S, part of M.
    second = new_receipt(api, "PO-1", arrived(S, 6), arrived(M, 3))
    assert po_lines(get_po(api, po_id)) == {S: (10, 4, 6, 0), M: (5, 0, 5, 0)}
    assert moved(approve(api, second)) == [(S, "inbound", 6, 10), (M, "inbound", 3, 3)]
    po = get_po(api, po_id)
    assert po["status"] == "partially_received"
    assert po_lines(po) == {S: (10, 10, 0, 0), M: (5, 3, 2, 0)}

    third = new_receipt(api, po_id, arrived(M, 2))
    assert approve(api, third)["po"]["status"] == "received"
    po = get_po(api, po_id)
    assert po["status"] == "received"
    assert po_lines(po) == {S: (10, 10, 0, 0), M: (5, 5, 0, 0)}
    assert [(r["id"], r["status"]) for r in po["receipts"]] == [
        (receipt["id"], "posted"),
        (second, "posted"),
        (third, "posted"),
    ]
    assert on_hands(api) == (10, 5, 0)
    assert stock(api, M)[0] == 5

    shown = get_receipt(api, receipt["id"])
    assert shown["status"] == "posted"
    assert (shown["created_by"], shown["submitted_by"], shown["decided_by"]) == (
        clerk,
        clerk,
        manager,
    )
    assert shown["po"] == {"id": po_id, "number": "PO-1", "status": "received"}
    assert shown["supplier"] == {"id": po["supplier"]["id"], "name": "Mill for PO-1"}
    assert shown["reject_reason"] == ""
    submitted, decided = (datetime.fromisoformat(shown[k]) for k in ("submitted_at", "decided_at"))
    assert submitted <= decided
    # Received in full: nothing more is expected on it.
    assert_problem(post_receipt(api, po_id, arrived(S, 1)), 409)


def test_over_short_damaged_and_wrong_lines_are_recorded_and_only_good_pieces_post(api):
    supplier = new_supplier(api)
    body = po_body("PO-1", {S: 5, M: 5}, supplier)
    body["lines"][1]["unit_cost"] = "20"
    po_id = api.post("/purchase-orders", body, role=Role.MANAGER).get_json()["id"]
    lines = [
        arrived(S, 6, reason="over", note="one extra"),
        arrived(M, 2, damaged=1, reason="damaged", unit_cost="19.5"),
        arrived(L, 1, reason="wrong"),
    ]
    # Over the PO's S by one: a manager records it (a clerk is over the tolerance).
    response = post_receipt(api, po_id, *lines, role=Role.MANAGER, submit=False)
    assert response.status_code == 201, response.get_data(as_text=True)
    receipt_id = response.get_json()["receipt"]["id"]
    assert [
        (line["sku"], line["received"], line["damaged"], line["reason"], line["unit_cost"])
        for line in get_receipt(api, receipt_id)["lines"]
    ] == [
        (S, 6, 0, "over", None),
        (M, 2, 1, "damaged", "19.50"),
        (L, 1, 0, "wrong", None),
    ]
    assert get_receipt(api, receipt_id)["lines"][0]["note"] == "one extra"
    assert on_hands(api) == (0, 0, 0), "a draft moves nothing"

    submitted = act(api, receipt_id, "submit", role=Role.MANAGER)
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    body = submitted.get_json()
    assert body["receipt"]["status"] == "posted", "a manager's submit posts at once"
    # No quarantine location: the damaged piece joins no stock at all.
    assert moved(body) == [(S, "inbound", 6, 6), (M, "inbound", 2, 2), (L, "inbound", 1, 1)]
    assert on_hands(api) == (6, 2, 1)
    assert stock(api, M) == (2, {"DEFAULT": 2})
    po = get_po(api, po_id)
    assert po_lines(po) == {S: (5, 6, 0, 0), M: (5, 2, 3, 0)}
    assert po["unexpected"] == [{"sku": L, "received": 1, "returned": 0}]
    assert po["status"] == "partially_received"


def test_a_short_line_with_nothing_arrived_is_recorded_with_its_reason(api):
    po_id = new_po(api, "PO-1", {S: 5, M: 5})
    receipt_id = new_receipt(api, po_id, arrived(S, 5), arrived(M, 0, reason="short"))
    assert [
        (x["sku"], x["received"], x["reason"]) for x in get_receipt(api, receipt_id)["lines"]
    ] == [
        (S, 5, ""),
        (M, 0, "short"),
    ]
    assert moved(approve(api, receipt_id)) == [(S, "inbound", 5, 5)]
    assert po_lines(get_po(api, po_id)) == {S: (5, 5, 0, 0), M: (5, 0, 5, 0)}
    assert on_hands(api) == (5, 0, 0)


def test_nothing_moves_before_approval(api):
    po_id = new_po(api, "PO-1", {S: 5})
    before = snapshot(api.app)
    draft = post_receipt(api, po_id, arrived(S, 5))
    assert draft.status_code == 201
    assert draft.get_json()["receipt"]["status"] == "draft", "submit defaults to false"
    assert draft.get_json()["movements"] == []
    receipt_id = draft.get_json()["receipt"]["id"]
    submitted = act(api, receipt_id, "submit", role=Role.CLERK)
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["receipt"]["status"] == "submitted"
    assert submitted.get_json()["movements"] == []
    after = snapshot(api.app)
    for figure in ("movements", "balances", "SUM(balances.qty)", "MAX(movements.id)"):
        assert after[figure] == before[figure], figure
    assert stock(api, S) == (0, {})
    assert get_po(api, po_id)["status"] == "ordered"
    assert get_receipt(api, receipt_id)["status"] == "submitted"
    # Submitting twice is refused.
    assert_problem(act(api, receipt_id, "submit", role=Role.CLERK), 409)
    approve(api, receipt_id)
    assert stock(api, S) == (5, {"DEFAULT": 5})


def test_a_rejection_posts_nothing_and_is_final(api, subtests):
    po_id = new_po(api, "PO-1", {S: 5})
    receipt_id = new_receipt(api, po_id, arrived(S, 5))
    before = snapshot(api.app)
    response = act(api, receipt_id, "reject", body={"reason": " wrong colour "})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["receipt"]["status"] == "rejected"
    assert body["movements"] == []
    assert body["po"]["status"] == "ordered"
    after = snapshot(api.app)
    for figure in ("movements", "balances", "SUM(balances.qty)"):
        assert after[figure] == before[figure], figure
    shown = get_receipt(api, receipt_id)
    assert (shown["status"], shown["reject_reason"]) == ("rejected", "wrong colour")
    assert shown["decided_by"] == api.user(Role.MANAGER)[1]
    assert po_lines(get_po(api, po_id)) == {S: (5, 0, 5, 0)}
    before = snapshot(api.app)
    for action, body in [("approve", None), ("reject", {"reason": "again"}), ("submit", None)]:
        with subtests.test(msg=action):
            assert_problem(act(api, receipt_id, action, body=body), 409)
            assert snapshot(api.app) == before
    assert on_hands(api) == (0, 0, 0)


def test_a_second_approval_is_409_and_the_stock_is_posted_once(api, subtests):
    po_id = new_po(api, "PO-1", {S: 5})
    receipt_id = new_receipt(api, po_id, arrived(S, 5))
    approve(api, receipt_id)
    assert on_hands(api) == (5, 0, 0)
    other_manager = api.new_token(Role.MANAGER)
    before = snapshot(api.app)
    for name, headers in [("same manager", None), ("another manager", other_manager)]:
        with subtests.test(msg=name):
            if headers is not None:
                response = api.client.post(f"{API}/receipts/{receipt_id}/approve", headers=headers)
            else:
                response = act(api, receipt_id, "approve")
            body = assert_problem(response, 409)
            assert body["title"] == "Already approved"
            assert get_receipt(api, receipt_id)["number"] in body["detail"]
            assert snapshot(api.app) == before
    assert_problem(act(api, receipt_id, "reject", body={"reason": "late"}), 409)
    assert on_hands(api) == (5, 0, 0)
    assert po_lines(get_po(api, po_id)) == {S: (5, 5, 0, 0)}


def test_closing_records_the_remainder_as_cancelled(api):
    po_id = new_po(api, "PO-1", {S: 10, M: 4, L: 2})
    # A manager's receipt posts at once; L is one over.
    new_receipt(api, po_id, arrived(S, 7), arrived(L, 3), role=Role.MANAGER)
    response = po_action(api, po_id, "close")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"id": po_id, "number": "PO-1", "status": "closed"}
    po = get_po(api, po_id)
    assert po["status"] == "closed" and po["closed_at"] is not None
    assert po_lines(po) == {S: (10, 7, 0, 3), M: (4, 0, 0, 4), L: (2, 3, 0, 0)}
    listed = api.get("/purchase-orders", query_string={"status": "closed"}).get_json()["items"]
    assert [(p["id"], p["received"], p["cancelled"], p["remaining"]) for p in listed] == [
        (po_id, 10, 7, 0)
    ]
    before = snapshot(api.app)
    assert_problem(po_action(api, po_id, "close"), 409)
    assert_problem(po_action(api, po_id, "place"), 409)
    assert_problem(post_receipt(api, po_id, arrived(M, 4)), 409)
    assert snapshot(api.app) == before
    assert on_hands(api) == (7, 0, 3)


def test_close_is_refused_while_a_receipt_waits_for_approval(api):
    po_id = new_po(api, "PO-1", {S: 10})
    receipt_id = new_receipt(api, po_id, arrived(S, 4))
    before = snapshot(api.app)
    body = assert_problem(po_action(api, po_id, "close"), 409)
    assert "PO-1" in body["detail"] and "approv" in body["detail"]
    assert snapshot(api.app) == before
    assert get_po(api, po_id)["status"] == "ordered"
    approve(api, receipt_id)
    assert po_action(api, po_id, "close").status_code == 200
    assert po_lines(get_po(api, po_id)) == {S: (10, 4, 0, 6)}


def test_a_draft_receipt_of_a_closed_po_cannot_be_submitted(api):
    po_id = new_po(api, "PO-1", {S: 10})
    draft = new_receipt(api, po_id, arrived(S, 4), submit=False)
    assert po_action(api, po_id, "close").status_code == 200
    before = snapshot(api.app)
    # Closed: nothing more is expected, as a new receipt against it is told (409).
    assert_problem(act(api, draft, "submit", role=Role.CLERK), 409)
    assert_problem(act(api, draft, "submit", role=Role.MANAGER), 409)
    assert snapshot(api.app) == before
    assert get_receipt(api, draft)["status"] == "draft"
    assert on_hands(api) == (0, 0, 0)


def test_a_wrong_item_alone_leaves_the_po_ordered(api):
    po_id = new_po(api, "PO-1", {S: 10})
    approve(api, new_receipt(api, po_id, arrived(L, 2, reason="wrong")))
    assert on_hands(api) == (0, 0, 2)
    po = get_po(api, po_id)
    assert po_lines(po) == {S: (10, 0, 10, 0)}
    assert po["status"] == "ordered", "nothing of what was ordered has come"


# --- the over-receipt tolerance ----------------------------------------------------------------


def test_a_clerk_over_the_tolerance_is_refused_and_a_manager_may(api):
    po_id = new_po(api, "PO-1", {S: 10, M: 2})
    before = snapshot(api.app)
    body = assert_problem(post_receipt(api, po_id, arrived(S, 11), submit=True), 403)
    assert "tolerance" in body["detail"]
    assert body["errors"] == {
        "lines[0]": f"{S}: 11 received with the receipts waiting, 10 ordered."
    }
    assert snapshot(api.app) == before, "a refused create-and-submit writes nothing"

    # A draft over the tolerance may be recorded; the clerk may not submit it.
    receipt_id = new_receipt(api, po_id, arrived(S, 11), arrived(M, 2), submit=False)
    before = snapshot(api.app)
    assert_problem(act(api, receipt_id, "submit", role=Role.CLERK), 403)
    assert snapshot(api.app) == before
    assert get_receipt(api, receipt_id)["status"] == "draft"
    # The manager may: a manager's submit posts at once.
    response = act(api, receipt_id, "submit", role=Role.MANAGER)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["receipt"]["status"] == "posted"
    assert on_hands(api) == (11, 2, 0)
    assert po_lines(get_po(api, po_id)) == {S: (10, 11, 0, 0), M: (2, 2, 0, 0)}
    assert get_po(api, po_id)["status"] == "received"


def test_the_tolerance_counts_what_approved_receipts_brought(api):
    po_id = new_po(api, "PO-1", {S: 10})
    approve(api, new_receipt(api, po_id, arrived(S, 8)))
    before = snapshot(api.app)
    assert_problem(post_receipt(api, po_id, arrived(S, 3), submit=True), 403)
    assert snapshot(api.app) == before
    assert new_receipt(api, po_id, arrived(S, 2))  # exactly what is left: allowed
    assert on_hands(api) == (8, 0, 0)


def test_the_tolerance_setting_lets_a_clerk_go_over_within_it(api):
    set_settings(api, over_receipt_tolerance_pct=10)
    po_id = new_po(api, "PO-1", {S: 20})
    before = snapshot(api.app)
    assert_problem(post_receipt(api, po_id, arrived(S, 23), submit=True), 403)
    assert snapshot(api.app) == before, "23 of 20 is over 10 %"
    within = new_receipt(api, po_id, arrived(S, 22, reason="over"))
    assert get_receipt(api, within)["status"] == "submitted"
    approve(api, within)
    assert on_hands(api) == (22, 0, 0)
    assert po_lines(get_po(api, po_id)) == {S: (20, 22, 0, 0)}


def test_receipts_without_approval_post_when_a_clerk_submits(api):
    set_settings(api, po_receipts_need_approval=False)
    po_id = new_po(api, "PO-1", {S: 3})
    response = post_receipt(api, po_id, arrived(S, 3), submit=True)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["receipt"]["status"] == "posted"
    assert moved(body) == [(S, "inbound", 3, 3)]
    assert body["po"]["status"] == "received"
    assert on_hands(api) == (3, 0, 0)


# --- locations and quarantine ------------------------------------------------------------------


def test_damaged_pieces_go_to_quarantine_and_never_join_on_hand(api):
    new_location(api, "Q-01", quarantine=True)
    new_location(api, "A-01-03")
    po_id = new_po(api, "PO-1", {S: 10, M: 2})
    receipt_id = new_receipt(
        api,
        po_id,
        arrived(S, 3, damaged=2, location="a-01-03", reason="damaged"),
        arrived(M, 0, damaged=2, reason="damaged"),
    )
    assert [x["location"] for x in get_receipt(api, receipt_id)["lines"]] == ["A-01-03", "DEFAULT"]
    body = approve(api, receipt_id)
    assert sorted(moved(body)) == sorted(
        [(S, "inbound", 3, 3), (S, "inbound", 2, 2), (M, "inbound", 2, 2)]
    )
    assert stock(api, S) == (3, {"A-01-03": 3, "Q-01": 2}), "on hand leaves quarantine out"
    assert stock(api, M) == (0, {"Q-01": 2})
    product = api.get(f"/products/{STYLE}", role=Role.VIEWER).get_json()
    assert {v["sku"]: v["on_hand"] for v in product["variants"]} == {S: 3, M: 0, L: 0}
    # Damaged pieces are not received: they leave the PO's remainder open.
    assert po_lines(get_po(api, po_id)) == {S: (10, 3, 7, 0), M: (2, 0, 2, 0)}
    # Stock follows its usual location: the next S lands where S is.
    later = new_receipt(api, po_id, arrived(S, 1))
    assert get_receipt(api, later)["lines"][0]["location"] == "A-01-03"


def test_a_receipt_without_a_po(api):
    response = post_receipt(api, None, arrived(S, 2), arrived(M, 1), submit=True)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["po"] is None
    assert body["receipt"]["status"] == "posted", "direct receipts need no approval by default"
    assert on_hands(api) == (2, 1, 0)
    shown = get_receipt(api, body["receipt"]["id"])
    assert (shown["po"], shown["supplier"]) == (None, None)


# --- permissions -------------------------------------------------------------------------------


class Stage:
    """For one role: suppliers, POs and receipts in each state the endpoints need."""

    def __init__(self, api: Api, tag: str):
        self.tag = tag
        self.supplier = new_supplier(api, f"Mill {tag}")
        self.draft = new_po(api, f"DRAFT-{tag}", {S: 1}, self.supplier, place=False)
        self.to_close = new_po(api, f"CLOSE-{tag}", {S: 1}, self.supplier)
        self.po = new_po(api, f"PO-{tag}", {S: 10}, self.supplier)
        self.draft_receipt = new_receipt(api, self.po, arrived(S, 1), submit=False)
        self.to_approve = new_receipt(api, self.po, arrived(S, 1))
        self.to_reject = new_receipt(api, self.po, arrived(S, 1))

    def request(self, endpoint: str) -> tuple[str, str, dict | None, int]:
        """(method, path, body, success status) of a request the role may make."""
        return {
            "POST /suppliers": ("POST", "/suppliers", {"name": f"New {self.tag}"}, 201),
            "GET /suppliers": ("GET", "/suppliers", None, 200),
            "POST /purchase-orders": (
                "POST",
                "/purchase-orders",
                po_body(f"NEW-{self.tag}", {M: 1}, self.supplier),
                201,
            ),
            "GET /purchase-orders": ("GET", "/purchase-orders", None, 200),
            "GET /purchase-orders/{po_id}": ("GET", f"/purchase-orders/{self.po}", None, 200),
            "POST /purchase-orders/{po_id}/place": (
                "POST",
                f"/purchase-orders/{self.draft}/place",
                None,
                200,
            ),
            "POST /purchase-orders/{po_id}/close": (
                "POST",
                f"/purchase-orders/{self.to_close}/close",
                None,
                200,
            ),
            "POST /receipts": (
                "POST",
                "/receipts",
                {"po": self.po, "lines": [arrived(S, 1)]},
                201,
            ),
            "GET /receipts/{receipt_id}": ("GET", f"/receipts/{self.to_approve}", None, 200),
            "POST /receipts/{receipt_id}/submit": (
                "POST",
                f"/receipts/{self.draft_receipt}/submit",
                None,
                200,
            ),
            "POST /receipts/{receipt_id}/approve": (
                "POST",
                f"/receipts/{self.to_approve}/approve",
                None,
                200,
            ),
            "POST /receipts/{receipt_id}/reject": (
                "POST",
                f"/receipts/{self.to_reject}/reject",
                {"reason": "wrong goods"},
                200,
            ),
        }[endpoint]


def test_each_role_is_allowed_or_refused_as_the_purchasing_routes_declare(api, subtests):
    stages = {role: Stage(api, role.value) for role in ROLES}
    for role, stage in stages.items():
        for endpoint, least in PURCHASING_ENDPOINTS.items():
            method, path, body, success = stage.request(endpoint)
            with subtests.test(msg=f"{role} {endpoint}"):
                before = snapshot(api.app)
                response = api.client.open(
                    API + path, method=method, headers=api.auth(role), json=body
                )
                if role.rank >= least.rank:
                    assert response.status_code == success, response.get_data(as_text=True)
                else:
                    body = assert_problem(response, 403)
                    assert str(least.label) in body["detail"]
                    assert snapshot(api.app) == before, "a refused request wrote something"
    statuses = {
        role: (
            get_po(api, stage.draft)["status"],
            get_po(api, stage.to_close)["status"],
            get_receipt(api, stage.draft_receipt)["status"],
            get_receipt(api, stage.to_approve)["status"],
            get_receipt(api, stage.to_reject)["status"],
        )
        for role, stage in stages.items()
    }
    assert statuses == {
        Role.VIEWER: ("draft", "ordered", "draft", "submitted", "submitted"),
        Role.CLERK: ("draft", "ordered", "submitted", "submitted", "submitted"),
        Role.MANAGER: ("ordered", "closed", "posted", "posted", "rejected"),
    }
    # Only the manager's approval and the manager's submit posted: one piece each.
    assert api.on_hand(S) == 2


def test_every_purchasing_endpoint_refuses_missing_and_bad_tokens_with_401(api, subtests):
    stage = Stage(api, "x")
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for endpoint in PURCHASING_ENDPOINTS:
        method, path, body, _ = stage.request(endpoint)
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                response = api.client.open(API + path, method=method, headers=headers, json=body)
                assert_problem(response, 401)
                assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
                assert snapshot(api.app) == before, "a refused request wrote something"


# --- idempotency -------------------------------------------------------------------------------


def replay(api: Api, send, key: str, changed=None) -> dict:
    """``send(headers)`` twice with one key: the same answer, nothing written the second
    time; ``changed(headers)``, a different request with that key, is 422. The answer."""
    headers = {"Idempotency-Key": key}
    first = send(headers)
    assert first.status_code in (200, 201), first.get_data(as_text=True)
    after_first = snapshot(api.app)
    again = send(headers)
    assert again.status_code == first.status_code, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first, "a repeat wrote something"
    if changed is not None:
        assert_problem(changed(headers), 422)
        assert snapshot(api.app) == after_first
    return first.get_json()


def test_every_purchasing_write_replays_with_its_idempotency_key(api):
    supplier = replay(
        api,
        lambda h: api.post("/suppliers", {"name": "Mill K"}, role=Role.MANAGER, headers=h),
        "supplier-1",
        lambda h: api.post("/suppliers", {"name": "Mill L"}, role=Role.MANAGER, headers=h),
    )
    assert supplier["name"] == "Mill K"
    body = po_body("PO-1", {S: 10}, supplier["id"], place=False)
    po = replay(
        api,
        lambda h: api.post("/purchase-orders", body, role=Role.MANAGER, headers=h),
        "po-1",
        lambda h: api.post("/purchase-orders", {**body, "number": "PO-2"}, Role.MANAGER, headers=h),
    )
    # Without the key, the same number is a duplicate.
    assert_problem(api.post("/purchase-orders", body, role=Role.MANAGER), 422, "number")
    replay(api, lambda h: po_action(api, po["id"], "place", headers=h), "place-1")
    assert get_po(api, po["id"])["status"] == "ordered"

    lines = [arrived(S, 4)]
    created = replay(
        api,
        lambda h: post_receipt(api, po["id"], *lines, headers=h),
        "receipt-1",
        lambda h: post_receipt(api, po["id"], arrived(S, 5), headers=h),
    )
    receipt_id = created["receipt"]["id"]
    replay(api, lambda h: act(api, receipt_id, "submit", role=Role.CLERK, headers=h), "submit-1")
    approved = replay(api, lambda h: act(api, receipt_id, "approve", headers=h), "approve-1")
    assert moved(approved) == [(S, "inbound", 4, 4)]
    assert on_hands(api) == (4, 0, 0), "posted once"
    # Without the key it is a second approval: refused.
    assert_problem(act(api, receipt_id, "approve"), 409)

    to_reject = new_receipt(api, po["id"], arrived(S, 1))
    replay(
        api,
        lambda h: act(api, to_reject, "reject", headers=h, body={"reason": "late"}),
        "reject-1",
        lambda h: act(api, to_reject, "reject", headers=h, body={"reason": "other"}),
    )
    closed = replay(api, lambda h: po_action(api, po["id"], "close", headers=h), "close-1")
    assert closed["status"] == "closed"
    assert po_lines(get_po(api, po["id"])) == {S: (10, 4, 0, 6)}
    with api.app.app_context():
        assert row_count("idempotency_records") == 8
    assert on_hands(api) == (4, 0, 0)


def test_a_bad_idempotency_key_is_422_on_every_purchasing_write(api, subtests):
    stage = Stage(api, "x")
    before = snapshot(api.app)
    for endpoint in PURCHASING_ENDPOINTS:
        method, path, body, _ = stage.request(endpoint)
        if method != "POST":
            continue
        with subtests.test(msg=endpoint):
            headers = {**api.auth(Role.MANAGER), "Idempotency-Key": "x" * 256}
            response = api.client.post(API + path, headers=headers, json=body)
            assert_problem(response, 422, "Idempotency-Key")
            assert snapshot(api.app) == before


# --- validation --------------------------------------------------------------------------------


BAD_COUNTS = [
    ("negative", -1),
    ("fraction", 1.5),
    ("over the maximum", 1_000_001),
    ("number in a string", "2"),
    ("true", True),
    ("list", [1]),
]
BAD_COSTS = [
    ("negative", "-1"),
    ("three decimals", "1.005"),
    ("text", "cheap"),
    ("true", True),
    ("list", [1]),
    ("infinite", "Infinity"),
    ("over the maximum", "10000000000"),
]


def test_bad_suppliers_are_422_naming_every_field_and_write_nothing(api, subtests):
    new_supplier(api, "Mill A")
    for name, body, fields in [
        ("name missing", {}, ["name"]),
        ("name blank", {"name": "  "}, ["name"]),
        ("name of 121 characters", {"name": "n" * 121}, ["name"]),
        ("name a number", {"name": 5}, ["name"]),
        ("name taken", {"name": "Mill A"}, ["name"]),
        ("name taken, in other case", {"name": " mill a "}, ["name"]),
        ("contact of 81 characters", {"name": "B", "contact": "c" * 81}, ["contact"]),
        ("phone of 41 characters", {"name": "B", "phone": "1" * 41}, ["phone"]),
        ("phone a number", {"name": "B", "phone": 138}, ["phone"]),
        ("note of 501 characters", {"name": "B", "note": "n" * 501}, ["note"]),
        (
            "every bad field at once",
            {"name": "mill a", "contact": ["x"], "phone": "1" * 41, "note": 5},
            ["name", "contact", "phone", "note"],
        ),
    ]:
        refuse(api, subtests, name, "/suppliers", 422, *fields, json=body)
    refuse(
        api,
        subtests,
        "malformed JSON",
        "/suppliers",
        400,
        data="{",
        content_type="application/json",
    )
    refuse(api, subtests, "a JSON list", "/suppliers", 400, json=[{"name": "B"}])
    limits = {"name": "n" * 120, "contact": "c" * 80, "phone": "1" * 40, "note": "n" * 500}
    assert api.post("/suppliers", limits, role=Role.MANAGER).status_code == 201


def test_bad_purchase_orders_are_422_naming_every_field_and_write_nothing(api, subtests):
    supplier = new_supplier(api)
    new_po(api, "PO-1", {S: 1}, supplier)
    good = po_body("PO-2", {S: 1}, supplier)

    def but(**changes) -> dict:
        return {k: v for k, v in {**good, **changes}.items() if v is not NOTHING}

    def costed(cost) -> list[dict]:
        return [{"sku": S, "qty": 1, "unit_cost": cost}]

    for name, body, fields in [
        ("number missing", but(number=NOTHING), ["number"]),
        ("number blank", but(number=" "), ["number"]),
        ("number of 41 characters", but(number="N" * 41), ["number"]),
        ("number a number", but(number=2), ["number"]),
        ("number taken", but(number="PO-1"), ["number"]),
        ("supplier missing", but(supplier=NOTHING), ["supplier"]),
        ("supplier unknown", but(supplier=999), ["supplier"]),
        ("supplier zero", but(supplier=0), ["supplier"]),
        ("supplier beyond 64 bits", but(supplier=10**30), ["supplier"]),
        ("supplier a name", but(supplier="Mill A"), ["supplier"]),
        ("supplier true", but(supplier=True), ["supplier"]),
        ("supplier a fraction", but(supplier=1.5), ["supplier"]),
        ("expected_on a day that is not", but(expected_on="2025-02-30"), ["expected_on"]),
        ("expected_on month 13", but(expected_on="2025-13-01"), ["expected_on"]),
        ("expected_on d/m/y", but(expected_on="31/12/2025"), ["expected_on"]),
        ("expected_on without dashes", but(expected_on="20251231"), ["expected_on"]),
        ("expected_on with a time", but(expected_on="2025-12-31T10:00"), ["expected_on"]),
        ("expected_on a number", but(expected_on=20251231), ["expected_on"]),
        ("note of 501 characters", but(note="n" * 501), ["note"]),
        ("place a text", but(place="yes"), ["place"]),
        ("place a number", but(place=1), ["place"]),
        ("lines missing", but(lines=NOTHING), ["lines"]),
        ("lines empty", but(lines=[]), ["lines"]),
        ("a line not an object", but(lines=[S]), ["lines[0]"]),
        ("sku missing", but(lines=[{"qty": 1}]), ["lines[0].sku"]),
        ("unknown sku", but(lines=[{"sku": "NOPE", "qty": 1}]), ["lines[0].sku"]),
        (
            "a sku twice",
            but(lines=[{"sku": S, "qty": 1}, {"sku": S, "qty": 2}]),
            ["lines[1].sku"],
        ),
        ("qty missing", but(lines=[{"sku": S}]), ["lines[0].qty"]),
        ("qty zero", but(lines=[{"sku": S, "qty": 0}]), ["lines[0].qty"]),
        *[
            (f"qty {n}", but(lines=[{"sku": M, "qty": 1}, {"sku": S, "qty": v}]), ["lines[1].qty"])
            for n, v in BAD_COUNTS
        ],
        *[(f"unit_cost {n}", but(lines=costed(v)), ["lines[0].unit_cost"]) for n, v in BAD_COSTS],
        (
            "every bad field at once, with a taken number",
            {
                "number": "PO-1",
                "supplier": 999,
                "expected_on": "tomorrow",
                "note": 1,
                "place": "no",
                "lines": [
                    {"sku": S, "qty": 0},
                    {"sku": "NOPE", "qty": 1},
                    {"sku": M, "qty": 1, "unit_cost": "-2"},
                ],
            },
            [
                "number",
                "supplier",
                "expected_on",
                "note",
                "place",
                "lines[0].qty",
                "lines[1].sku",
                "lines[2].unit_cost",
            ],
        ),
    ]:
        refuse(api, subtests, name, "/purchase-orders", 422, *fields, json=body)
    refuse(
        api,
        subtests,
        "malformed JSON",
        "/purchase-orders",
        400,
        data="{",
        content_type="text/plain",
    )
    refuse(api, subtests, "a JSON list", "/purchase-orders", 400, json=[good])
    limits = but(
        number="N" * 40,
        note="n" * 500,
        expected_on="2024-02-29",
        lines=[{"sku": S, "qty": 10**6, "unit_cost": 9999999999.99}, {"sku": M, "qty": 1}],
    )
    response = api.post("/purchase-orders", limits, role=Role.MANAGER)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert po_lines(get_po(api, response.get_json()["id"]))[S] == (10**6, 0, 10**6, 0)


def test_bad_receipts_are_422_naming_every_field_and_write_nothing(api, subtests):
    new_location(api, "Q-01", quarantine=True)
    new_location(api, "A-01")
    with api.app.app_context():
        db.session.execute(sa.text("INSERT INTO warehouses (code, name) VALUES ('W2', 'Second')"))
        db.session.commit()
        other = db.session.scalar(sa.text("SELECT id FROM warehouses WHERE code = 'W2'"))
    new_location(api, "B-01", warehouse_id=other)
    po_id = new_po(api, "PO-1", {S: 5, M: 5})
    good = {"po": "PO-1", "lines": [arrived(S, 1)]}

    def but(**changes) -> dict:
        return {k: v for k, v in {**good, **changes}.items() if v is not NOTHING}

    def line(**fields) -> dict:
        return but(lines=[arrived(M, 1), {"sku": S, "received": 1, **fields}])

    for name, body, fields in [
        ("po unknown number", but(po="PO-404"), ["po"]),
        ("po unknown id", but(po=999), ["po"]),
        ("po id zero", but(po=0), ["po"]),
        ("po id beyond 64 bits", but(po=10**30), ["po"]),
        ("po blank", but(po=" "), ["po"]),
        ("po of 41 characters", but(po="N" * 41), ["po"]),
        ("po true", but(po=True), ["po"]),
        ("po a fraction", but(po=1.5), ["po"]),
        ("po a list", but(po=["PO-1"]), ["po"]),
        ("note of 501 characters", but(note="n" * 501), ["note"]),
        ("submit a text", but(submit="true"), ["submit"]),
        ("lines missing", but(lines=NOTHING), ["lines"]),
        ("lines empty", but(lines=[]), ["lines"]),
        ("lines an object", but(lines=arrived(S, 1)), ["lines"]),
        ("unknown sku", but(lines=[arrived("NOPE", 1)]), ["lines[0].sku"]),
        ("a sku twice", but(lines=[arrived(S, 1), arrived(S, 2)]), ["lines[1].sku"]),
        ("received missing", but(lines=[{"sku": S}]), ["lines[0].received"]),
        ("nothing arrived, no reason", line(received=0), ["lines[1].received"]),
        (
            "nothing arrived, damaged zero, no reason",
            line(received=0, damaged=0),
            ["lines[1].received"],
        ),
        *[(f"received {n}", line(received=v), ["lines[1].received"]) for n, v in BAD_COUNTS],
        *[(f"damaged {n}", line(damaged=v), ["lines[1].damaged"]) for n, v in BAD_COUNTS],
        ("location unknown", line(location="Z-99"), ["lines[1].location"]),
        ("location for quarantine", line(location="Q-01"), ["lines[1].location"]),
        ("location of another warehouse", line(location="B-01"), ["lines[1].location"]),
        ("location blank", line(location=" "), ["lines[1].location"]),
        ("location a number", line(location=1), ["lines[1].location"]),
        ("location of 33 characters", line(location="A" * 33), ["lines[1].location"]),
        *[(f"unit_cost {n}", line(unit_cost=v), ["lines[1].unit_cost"]) for n, v in BAD_COSTS],
        ("reason unknown", line(reason="lost"), ["lines[1].reason"]),
        ("reason in capitals", line(reason="SHORT"), ["lines[1].reason"]),
        ("reason a number", line(reason=1), ["lines[1].reason"]),
        ("line note of 501 characters", line(note="n" * 501), ["lines[1].note"]),
        ("line note a number", line(note=5), ["lines[1].note"]),
        (
            "every bad field at once",
            {
                "po": "PO-404",
                "note": 1,
                "submit": 0,
                "lines": [
                    {"sku": S, "received": 0},
                    {"sku": M, "received": 1, "location": "Q-01", "reason": "x"},
                    {"sku": L, "received": -1, "damaged": "1", "unit_cost": "-1", "note": 2},
                    {"sku": "NOPE", "received": 1},
                ],
            },
            [
                "po",
                "note",
                "submit",
                "lines[0].received",
                "lines[1].location",
                "lines[1].reason",
                "lines[2].received",
                "lines[2].damaged",
                "lines[2].unit_cost",
                "lines[2].note",
                "lines[3].sku",
            ],
        ),
    ]:
        refuse(api, subtests, name, "/receipts", 422, *fields, role=Role.CLERK, json=body)
    refuse(
        api, subtests, "malformed JSON", "/receipts", 400, data="[", content_type="application/json"
    )
    refuse(api, subtests, "a JSON list", "/receipts", 400, json=[good])
    # The same set-up takes a good receipt, at the limits.
    limits = but(
        po=po_id,
        note="n" * 500,
        submit=False,
        lines=[
            {
                "sku": S,
                "received": 5,
                "damaged": 10**6,
                "location": "a-01",
                "unit_cost": "9999999999.99",
                "reason": "other",
                "note": "n" * 500,
            }
        ],
    )
    response = api.post("/receipts", limits)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["lines"][0]["location"] == "A-01"


def test_bad_rejections_and_unknown_ids_are_refused_and_write_nothing(api, subtests):
    po_id = new_po(api, "PO-1", {S: 5})
    receipt_id = new_receipt(api, po_id, arrived(S, 1))
    stocktake = api.post("/stocktake", {"lines": [{"sku": S, "counted": 1, "expected": 0}]})
    assert stocktake.status_code == 201
    not_a_receipt = stocktake.get_json()["stocktake"]["id"]
    reject = f"/receipts/{receipt_id}/reject"
    for name, path, status, fields, send in [
        ("reason missing", reject, 422, ["reason"], {"json": {}}),
        ("reason blank", reject, 422, ["reason"], {"json": {"reason": "  "}}),
        ("reason of 501 characters", reject, 422, ["reason"], {"json": {"reason": "r" * 501}}),
        ("reason a number", reject, 422, ["reason"], {"json": {"reason": 5}}),
        ("no body", reject, 400, [], {}),
        ("malformed JSON", reject, 400, [], {"data": "{", "content_type": "application/json"}),
        ("a JSON list", reject, 400, [], {"json": ["late"]}),
        ("reject unknown", "/receipts/999/reject", 404, [], {"json": {"reason": "x"}}),
        ("reject beyond 32 bits", f"/receipts/{2**31}/reject", 404, [], {"json": {"reason": "x"}}),
        ("submit unknown", "/receipts/999/submit", 404, [], {}),
        ("approve unknown", "/receipts/999/approve", 404, [], {}),
        ("approve a stocktake", f"/receipts/{not_a_receipt}/approve", 404, [], {}),
        ("place unknown", "/purchase-orders/999/place", 404, [], {}),
        ("close unknown", "/purchase-orders/999/close", 404, [], {}),
        ("close beyond 32 bits", f"/purchase-orders/{2**31}/close", 404, [], {}),
    ]:
        refuse(api, subtests, name, path, status, *fields, **send)
    for path in [
        "/purchase-orders/999",
        f"/purchase-orders/{2**31}",
        "/purchase-orders/PO-1",
        "/receipts/999",
        f"/receipts/{not_a_receipt}",
        "/receipts/0",
    ]:
        with subtests.test(msg=f"GET {path}"):
            assert_problem(api.get(path, role=Role.CLERK), 404, detail=False)
    assert "999" in assert_problem(api.get("/receipts/999"), 404)["detail"]
    assert get_receipt(api, receipt_id)["status"] == "submitted"
    assert act(api, receipt_id, "reject", body={"reason": "r" * 500}).status_code == 200


def test_the_po_list_query_is_checked(api, subtests):
    new_po(api, "PO-1", {S: 1})
    for query, field in [
        ({"status": "open"}, "status"),
        ({"status": "ORDERED"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "-1"}, "cursor"),
    ]:
        with subtests.test(msg=str(query)):
            assert_problem(api.get("/purchase-orders", query_string=query), 422, field)
    for cursor in ["9" * 18, str(2**31), str(2**31 - 1)]:
        with subtests.test(msg=f"cursor={cursor}"):
            response = api.get("/purchase-orders", query_string={"cursor": cursor})
            assert response.status_code == 200, response.get_data(as_text=True)
            assert [po["number"] for po in response.get_json()["items"]] == ["PO-1"]


# --- the OpenAPI document ----------------------------------------------------------------------


def test_purchasing_routes_are_in_the_openapi_document_with_their_schemas(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    paths = doc["paths"]
    for path in ("/suppliers", "/purchase-orders", "/receipts"):
        assert "201" in paths[path]["post"]["responses"], path
        assert paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for path, name in [
        ("/purchase-orders/{po_id}/place", "po_id"),
        ("/purchase-orders/{po_id}/close", "po_id"),
        ("/receipts/{receipt_id}/submit", "receipt_id"),
        ("/receipts/{receipt_id}/approve", "receipt_id"),
        ("/receipts/{receipt_id}/reject", "receipt_id"),
    ]:
        operation = paths[path]["post"]
        assert "200" in operation["responses"]
        assert [p["name"] for p in operation["parameters"]] == [name, "Idempotency-Key"]
    receipt = doc["components"]["schemas"]["NewReceipt"]["properties"]["lines"]["items"]
    assert receipt["properties"]["reason"]["enum"] == ["short", "over", "damaged", "wrong", "other"]
    status = doc["components"]["schemas"]["PurchaseOrder"]["properties"]["status"]["enum"]
    assert status == ["draft", "ordered", "partially_received", "received", "closed"]
    assert {"Supplier", "NewPurchaseOrder", "PurchaseOrder", "Receipt", "ReceiptResult"} <= doc[
        "components"
    ]["schemas"].keys()
