"""Returns to the supplier (退供应商): the API, the clerks' form, the list, a return's page
with the managers' approval, the return slip, and what the PO shows went back; who may
do what, and in which warehouse."""

import re

import pytest

from stockapp.models import Role
from stockapp.queries.moves import warehouse_id_by_code
from stockapp.services import accounts, settings, warehouses
from tests.support.api import (
    API,
    BAD_AUTH,
    ROLES,
    SUPPLIER_RETURN_ENDPOINTS,
    Api,
    M,
    S,
    assert_problem,
    snapshot,
)
from tests.support.apps import PASSWORD
from tests.support.pages import (
    HTMX,
    as_user,
    error_beside,
    scan_error,
    sign_in,
    signed_in,
    text,
    value_of,
)

BODY = {
    "purchase_order": "PO-1",
    "reason": "damaged",
    "note": "破洞",
    "lines": [{"sku": S, "qty": 2, "location": "Q-1"}],
}


@pytest.fixture
def api_roles():
    return (Role.CLERK, Role.MANAGER)


@pytest.fixture
def shop(app, api: Api) -> dict:
    """PO-1 from Mill A (S 6, M 4) received by the manager: S 3 good (the default bin) and 2
    damaged (MAIN's quarantine bin Q-1), M 4 good; another supplier; a warehouse SH with a
    bin SH-A, and a clerk (bea) who works there only, with her own token."""
    with app.app_context():
        main = warehouses.main_warehouse_id()
        quarantine = warehouses.create_location(warehouse_id=main, code="Q-1", is_quarantine=True)
    supplier = api.post("/suppliers", {"name": "Mill A", "contact": "陈生", "phone": "020-1234"},
                        Role.MANAGER).get_json()["id"]  # fmt: skip
    other = api.post("/suppliers", {"name": "Mill B"}, Role.MANAGER).get_json()["id"]
    lines = [{"sku": S, "qty": 6}, {"sku": M, "qty": 4}]
    po = api.post("/purchase-orders", {"number": "PO-1", "supplier": supplier, "lines": lines},
                  Role.MANAGER).get_json()["id"]  # fmt: skip
    arrived = [{"sku": S, "received": 3, "damaged": 2}, {"sku": M, "received": 4}]
    receipt = api.post("/receipts", {"po": po, "submit": True, "lines": arrived}, Role.MANAGER)
    assert receipt.status_code == 201, text(receipt)
    api.post("/warehouses", {"code": "SH", "name": "Shanghai"}, Role.MANAGER)
    api.post("/warehouses/SH/locations", {"code": "SH-A"}, Role.MANAGER)
    with app.app_context():
        token = worker_of_sh("bea", Role.CLERK)
        default = warehouses.default_location_id()
    return {
        "supplier": supplier,
        "other": other,
        "po": po,
        "q": quarantine,
        "default": default,
        "bea": {"Authorization": f"Bearer {token}"},
    }


def worker_of_sh(username: str, role: Role) -> str:
    """A user who works in SH only (inside an app context); their API token."""
    user_id = accounts.create_user(username=username, password=PASSWORD, role=role)
    warehouses.set_user_warehouses(user_id=user_id, warehouse_ids=[warehouse_id_by_code("SH")])
    return accounts.create_token(username)[1]


def body(shop, **change) -> dict:
    return {"supplier": shop["supplier"]} | BODY | change


def submitted(api: Api, shop, role: Role = Role.CLERK, **change) -> dict:
    response = api.post("/supplier-returns", body(shop, **change), role=role)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def held(api: Api, sku: str, location: str) -> int:
    stock = api.get("/stock", query_string={"sku": sku}).get_json()
    return sum(row["on_hand"] for row in stock["locations"] if row["location"] == location)


# --- the API ----------------------------------------------------------------------------


def test_a_clerks_return_waits_for_a_manager_and_posts_once(app, api, shop):
    key = {"Idempotency-Key": "sr-1"}
    first = api.post("/supplier-returns", body(shop), headers=key).get_json()
    found = first["supplier_return"]
    assert found["number"].startswith("SR") and found["status"] == "submitted"
    assert (found["supplier"]["name"], found["purchase_order"]["number"], found["warehouse"]) == (
        "Mill A",
        "PO-1",
        "MAIN",
    )
    assert found["lines"] == [{"sku": S, "qty": 2, "location": "Q-1"}]
    assert first["movements"] == [] and held(api, S, "Q-1") == 2
    again = api.post("/supplier-returns", body(shop), headers=key).get_json()
    assert again["supplier_return"]["id"] == found["id"]
    path = f"/supplier-returns/{found['id']}"
    assert_problem(api.post(f"{path}/approve", role=Role.CLERK), 403)
    approved = api.post(f"{path}/approve", role=Role.MANAGER)
    assert approved.status_code == 200, text(approved)
    decided = approved.get_json()
    assert decided["supplier_return"]["status"] == "posted"
    assert [(m["kind"], m["delta"], m["location"]) for m in decided["movements"]] == [
        ("supplier_return", -2, "Q-1")
    ]
    assert held(api, S, "Q-1") == 0
    before = snapshot(app)
    assert_problem(api.post(f"{path}/approve", role=Role.MANAGER), 409)
    assert snapshot(app) == before
    assert api.get(path).get_json()["decided_by"]
    po = api.get(f"/purchase-orders/{shop['po']}").get_json()
    assert [(line["sku"], line["returned"]) for line in po["lines"]] == [(S, 2), (M, 0)]
    assert po["supplier_returns"] == [
        {"id": found["id"], "number": found["number"], "status": "posted"}
    ]


def test_a_managers_return_and_one_without_approval_post_at_once(app, api, shop):
    lines = [{"sku": M, "qty": 1, "location": "DEFAULT"}]
    assert submitted(api, shop, Role.MANAGER, lines=lines)["supplier_return"]["status"] == "posted"
    with app.app_context():
        settings.update({"write_offs_need_approval": False})
    found = submitted(api, shop, purchase_order=shop["po"], lines=lines)["supplier_return"]
    assert found["status"] == "posted" and found["reason"] == "damaged"
    assert held(api, M, "DEFAULT") == 2
    # Without a PO or a reason: none, and "other".
    plain = {"supplier": shop["supplier"], "lines": lines}
    made = api.post("/supplier-returns", plain).get_json()["supplier_return"]
    assert (made["purchase_order"], made["reason"]) == (None, "other")


def test_rejecting_needs_a_reason_and_posts_nothing(app, api, shop):
    path = f"/supplier-returns/{submitted(api, shop)['supplier_return']['id']}"
    assert_problem(api.post(f"{path}/reject", {"reason": "no"}, role=Role.CLERK), 403)
    assert_problem(api.post(f"{path}/reject", {}, role=Role.MANAGER), 422, "reason")
    rejected = api.post(f"{path}/reject", {"reason": "credit note"}, role=Role.MANAGER)
    assert rejected.get_json()["supplier_return"]["reject_reason"] == "credit note"
    assert_problem(api.post(f"{path}/approve", role=Role.MANAGER), 409)
    assert held(api, S, "Q-1") == 2


def test_approval_is_refused_when_the_bin_no_longer_holds_the_pieces(app, api, shop):
    path = f"/supplier-returns/{submitted(api, shop)['supplier_return']['id']}"
    moved = {"from_location": "Q-1", "to_location": "DEFAULT", "lines": [{"sku": S, "qty": 1}]}
    assert api.post("/moves", moved).status_code == 201
    before = snapshot(app)
    problem = assert_problem(api.post(f"{path}/approve", role=Role.MANAGER), 409)
    assert (problem["shortages"][0]["location"], problem["shortages"][0]["short"]) == ("Q-1", 1)
    assert snapshot(app) == before
    assert api.get(path).get_json()["status"] == "submitted"


TWICE = {
    "lines": [{"sku": S, "qty": 1, "location": "Q-1"}, {"sku": S, "qty": 1, "location": "q-1"}]
}


def line(**change) -> dict:
    return {"lines": [{"sku": S, "qty": 1, "location": "Q-1"} | change]}


@pytest.mark.parametrize(
    "name, change, status, field",
    [
        ("unknown supplier", {"supplier": 999}, 422, "supplier"),
        ("no supplier", {"supplier": None}, 422, "supplier"),
        ("unknown PO", {"purchase_order": "PO-9"}, 422, "purchase_order"),
        ("another supplier's PO", "other", 422, "purchase_order"),
        ("unknown warehouse", {"warehouse": "XX"}, 422, "warehouse"),
        ("unknown location", line(location="Z-9"), 422, "lines[0].location"),
        ("no location", line(location=None), 422, "lines[0].location"),
        ("unknown SKU", line(sku="NOPE"), 422, "lines[0].sku"),
        ("zero", line(qty=0), 422, "lines[0].qty"),
        ("too many", line(qty=1_000_001), 422, "lines[0].qty"),
        ("no lines", {"lines": []}, 422, "lines"),
        ("twice from one bin", TWICE, 422, "lines[1].sku"),
        ("unknown reason", {"reason": "stolen"}, 422, "reason"),
        ("long note", {"note": "x" * 501}, 422, "note"),
        ("more than the bin holds", line(qty=3), 409, None),
        ("more than came on the PO", line(qty=6, location="DEFAULT"), 422, "lines[0]"),
    ],
)
def test_bad_returns_are_problems_and_write_nothing(app, api, shop, name, change, status, field):
    if change == "other":
        change = {"supplier": shop["other"]}
    before = snapshot(app)
    response = api.post("/supplier-returns", body(shop, **change))
    problem = assert_problem(response, status, *([field] if field else []))
    if name == "more than came on the PO":
        assert "5 came on PO-1" in problem["errors"]["lines[0]"]
    assert snapshot(app) == before


def test_a_sku_may_leave_two_bins_in_one_return(api, shop):
    lines = [{"sku": S, "qty": 2, "location": "Q-1"}, {"sku": S, "qty": 3, "location": "DEFAULT"}]
    found = submitted(api, shop, Role.MANAGER, lines=lines)
    assert sorted((m["location"], m["delta"]) for m in found["movements"]) == [
        ("DEFAULT", -3),
        ("Q-1", -2),
    ]


def test_unknown_returns_are_not_found(api, shop):
    for path in (
        "/supplier-returns/999",
        "/supplier-returns/999/approve",
        "/supplier-returns/999/reject",
    ):
        response = api.get(path) if path.count("/") == 2 else api.post(path, role=Role.MANAGER)
        assert_problem(response, 404)


def test_a_clerk_of_another_warehouse_is_refused_its_bins_and_returns(app, client, api, shop):
    before = snapshot(app)
    main = body(shop, warehouse="MAIN")
    refused = api.client.post(f"{API}/supplier-returns", json=main, headers=shop["bea"])
    assert_problem(refused, 403)
    her_own = api.client.post(f"{API}/supplier-returns", json=body(shop), headers=shop["bea"])
    assert_problem(her_own, 422, "lines[0].location")  # left out, the warehouse is SH
    in_sh = api.client.post(
        f"{API}/supplier-returns", json=body(shop, warehouse="SH"), headers=shop["bea"]
    )
    assert_problem(in_sh, 422, "lines[0].location")  # Q-1 is MAIN's
    assert snapshot(app) == before
    ours = api.client.post(
        f"{API}/supplier-returns",
        json={"supplier": shop["supplier"], "warehouse": "SH",
              "lines": [{"sku": S, "qty": 1, "location": "SH-A"}]},
        headers=shop["bea"],
    )  # fmt: skip
    assert_problem(ours, 409)  # SH-A holds none: refused for the stock, not the warehouse
    document_id = submitted(api, shop)["supplier_return"]["id"]
    path = f"/supplier-returns/{document_id}"
    assert_problem(api.client.get(f"{API}{path}", headers=shop["bea"]), 403)
    sign_in(client, "bea")
    for page in (path, f"{path}/slip"):
        assert client.get(page).status_code == 403, page
    number = api.get(path).get_json()["number"]
    listed = text(client.get("/supplier-returns"))
    assert "No returns to suppliers here." in listed and number not in listed
    fields = form(api, shop, purchase_order="0", **{f"q-{api.skus[S]}": "1"})
    response = client.post("/supplier-returns/new", data=fields, headers=HTMX)
    assert response.status_code == 422 and error_beside(text(response), "location-error")
    assert f'value="{shop["q"]}"' not in text(client.get("/supplier-returns/new"))
    assert api.get(path).get_json()["status"] == "submitted"


def test_a_manager_who_does_not_work_in_its_warehouse_cannot_decide_it(app, client, api, shop):
    document_id = submitted(api, shop)["supplier_return"]["id"]
    with app.app_context():
        token = worker_of_sh("lin", Role.MANAGER)
    headers = {"Authorization": f"Bearer {token}"}
    path = f"{API}/supplier-returns/{document_id}"
    sign_in(client, "lin")
    before = snapshot(app)
    assert_problem(api.client.post(f"{path}/approve", headers=headers), 403)
    assert_problem(api.client.post(f"{path}/reject", json={"reason": "x"}, headers=headers), 403)
    approve = client.post(f"/supplier-returns/{document_id}/approve", data={"key": "a"})
    assert approve.status_code == 403
    assert snapshot(app) == before


# --- who may call each route ---------------------------------------------------------


def calls(api: Api, shop, document_id: int) -> dict:
    path = f"{API}/supplier-returns/{document_id}"
    one = body(shop, lines=[{"sku": M, "qty": 1, "location": "DEFAULT"}])
    return {
        "POST /supplier-returns": lambda h: api.client.post(
            f"{API}/supplier-returns", json=one, headers=h
        ),
        "GET /supplier-returns/{supplier_return_id}": lambda h: api.client.get(path, headers=h),
        "POST /supplier-returns/{supplier_return_id}/approve": lambda h: api.client.post(
            f"{path}/approve", headers=h
        ),
        "POST /supplier-returns/{supplier_return_id}/reject": lambda h: api.client.post(
            f"{path}/reject", json={"reason": "no"}, headers=h
        ),
    }


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_routes_declare(api, shop, role, subtests):
    success = {"POST /supplier-returns": 201}
    assert set(calls(api, shop, 1)) == set(SUPPLIER_RETURN_ENDPOINTS)
    headers = api.auth(role)
    for endpoint, least in SUPPLIER_RETURN_ENDPOINTS.items():
        with subtests.test(msg=f"{role} {endpoint}"):
            document_id = submitted(api, shop, lines=[{"sku": S, "qty": 1, "location": "Q-1"}])
            call = calls(api, shop, document_id["supplier_return"]["id"])[endpoint]
            before = snapshot(api.app)
            response = call(headers)
            if role.rank >= least.rank:
                assert response.status_code == success.get(endpoint, 200), text(response)
            else:
                assert str(least.label) in assert_problem(response, 403)["detail"]
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_every_route_refuses_missing_and_bad_tokens_with_401(api, shop, subtests):
    routes = calls(api, shop, submitted(api, shop)["supplier_return"]["id"])
    api.auth(Role.MANAGER)
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for endpoint, call in routes.items():
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                assert_problem(call(headers), 401)
                assert snapshot(api.app) == before


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_who_may_open_the_pages_and_decide_on_them(client, api, shop, role):
    document_id = submitted(api, shop)["supplier_return"]["id"]
    as_user(client, api.user(role)[1])
    pages = ("/supplier-returns", f"/supplier-returns/{document_id}",
             f"/supplier-returns/{document_id}/slip", "/supplier-returns/new")  # fmt: skip
    for path in pages:
        assert client.get(path).status_code == (403 if role == Role.VIEWER else 200), path
    if role == Role.VIEWER:
        return
    page = text(client.get(f"/supplier-returns/{document_id}"))
    assert ('id="approve"' in page) == (role == Role.MANAGER)
    approve = client.post(
        f"/supplier-returns/{document_id}/approve", data={"key": "a"}, headers=HTMX
    )
    reject = client.get(f"/supplier-returns/{document_id}/reject")
    assert (approve.status_code, reject.status_code) == (
        (204, 200) if role == Role.MANAGER else (403, 403)
    )


# --- the pages --------------------------------------------------------------------------


def form(api: Api, shop, **fields) -> dict:
    return {"key": "k1", "location": str(shop["q"]), "supplier": str(shop["supplier"]),
            "purchase_order": str(shop["po"]), "reason": "damaged", "style": "A1024",
            f"q-{api.skus[S]}": "2"} | fields  # fmt: skip


def test_a_clerk_returns_quarantine_pieces_and_a_manager_approves_them(app, client, api, shop):
    as_user(client, api.user(Role.CLERK)[1])
    opened = text(client.get(f"/supplier-returns/new?supplier={shop['supplier']}"
                             f"&purchase_order={shop['po']}"))  # fmt: skip
    assert value_of(opened, "key")
    assert re.search(rf'<option selected value="{shop["q"]}">Q-1 · Quarantine</option>', opened)
    assert re.search(rf'<option selected value="{shop["po"]}">PO-1</option>', opened)
    scanned = client.get(
        "/supplier-returns/new",
        query_string=form(api, shop, add=S) | {f"q-{api.skus[S]}": ""},
        headers=HTMX,
    )
    assert value_of(text(scanned), f"q-{api.skus[S]}") == "1"
    posted = client.post("/supplier-returns/new", data=form(api, shop), headers=HTMX)
    assert posted.status_code == 204, text(posted)
    target = posted.headers["HX-Redirect"]
    assert held(api, S, "Q-1") == 2
    as_user(client, api.user(Role.MANAGER)[1])
    listed = text(client.get("/supplier-returns"))
    assert "Waiting for approval" in listed and "Mill A" in listed and "PO-1" in listed
    todo = text(client.get("/live/todo"))
    assert re.search(r'data-todo="supplier-returns">\s*<span>[^<]+</span> <strong>1</strong>', todo)
    document_id = int(target.rsplit("/", 1)[1])
    approved = client.post(
        f"/supplier-returns/{document_id}/approve", data={"key": "a"}, headers=HTMX
    )
    assert approved.status_code == 204 and "stock-changed" in approved.headers["HX-Trigger"]
    assert held(api, S, "Q-1") == 0
    again = client.post(f"/supplier-returns/{document_id}/approve", data={"key": "b"}, headers=HTMX)
    assert again.status_code == 422 and "already approved" in text(again)
    page = text(client.get(target))
    assert "Approved by" in page and "Quarantine" in page
    slip = text(client.get(f"{target}/slip"))
    assert all(word in slip for word in ("Return slip", "Mill A", "陈生", "020-1234", "PO-1",
                                         "Q-1", "Damaged", S))  # fmt: skip
    assert re.search(r'id="slip-total">2<', slip)
    po = text(client.get(f"/purchase-orders/{shop['po']}"))
    assert re.search(r'<dd id="po-returned">2</dd>', po) and "Returned 2" in po
    assert f'href="/supplier-returns/{document_id}"' in po


def test_the_form_names_every_bad_field_beside_it_and_writes_nothing(app, client, api, shop):
    as_user(client, api.user(Role.CLERK)[1])
    before = snapshot(app)
    variant = api.skus[S]
    for fields, check in [
        ({"supplier": "0"}, lambda page: error_beside(page, "supplier-error")),
        ({"supplier": "x"}, lambda page: error_beside(page, "supplier-error")),
        ({"reason": "stolen"}, lambda page: "Not a valid choice" in page),
        ({"location": "x"}, lambda page: error_beside(page, "location-error")),
        ({"location": "999999"}, lambda page: error_beside(page, "location-error")),
        ({f"q-{variant}": "abc"}, lambda page: error_beside(page, f"e-q-{variant}")),
        ({f"q-{variant}": "3"}, lambda page: "short by 1" in page),
        ({f"q-{variant}": "0"}, lambda page: "Give at least one size" in page),
        ({"note": "x" * 501}, lambda page: "At most 500 characters" in page),
    ]:
        response = client.post(
            "/supplier-returns/new", data=form(api, shop, **fields), headers=HTMX
        )
        assert response.status_code == 422 and check(text(response)), fields
        assert snapshot(app) == before, fields
    unknown = client.get(
        "/supplier-returns/new", query_string={"key": "k", "add": "NOPE"}, headers=HTMX
    )
    assert "NOPE" in scan_error(text(unknown), "add")


def test_more_than_came_on_the_po_is_named_beside_the_size(app, client, api, shop):
    api.receive(**{S: 5})  # into the default bin, on no PO
    submitted(api, shop, lines=[{"sku": S, "qty": 2, "location": "Q-1"}])  # waiting: it counts
    as_user(client, api.user(Role.CLERK)[1])
    before = snapshot(app)
    variant = api.skus[S]
    fields = {"location": str(shop["default"]), f"q-{variant}": "4"}
    response = client.post("/supplier-returns/new", data=form(api, shop, **fields), headers=HTMX)
    assert response.status_code == 422
    message = error_beside(text(response), f"e-q-{variant}")
    assert message == f"{S}: 5 came on PO-1 and 2 went back already: at most 3 more."
    assert snapshot(app) == before


def test_another_suppliers_po_is_not_offered_and_a_scanned_bin_is_chosen(client, api, shop):
    as_user(client, api.user(Role.CLERK)[1])
    page = text(
        client.get(
            "/supplier-returns/new",
            query_string={
                "key": "k",
                "supplier": shop["other"],
                "purchase_order": shop["po"],
                "add": "q-1",
            },
            headers=HTMX,
        )
    )
    assert "PO-1" not in page
    assert re.search(rf'<option selected value="{shop["q"]}">', page)


def test_a_manager_rejects_on_the_page(client, api, shop):
    document_id = submitted(api, shop)["supplier_return"]["id"]
    as_user(client, api.user(Role.MANAGER)[1])
    path = f"/supplier-returns/{document_id}/reject"
    assert f'action="{path}"' in text(client.get(path, headers=HTMX))
    empty = client.post(path, data={"key": "r", "reason": " "}, headers=HTMX)
    assert empty.status_code == 422 and "Say why the return to the supplier is rejected." in text(
        empty
    )
    done = client.post(path, data={"key": "r", "reason": "<b>credit</b>"}, headers=HTMX)
    assert done.status_code == 204
    page = text(client.get(f"/supplier-returns/{document_id}"))
    assert "&lt;b&gt;credit&lt;/b&gt;" in page and "<b>credit</b>" not in page
    assert held(api, S, "Q-1") == 2


def test_a_manager_reverses_a_posted_return_from_its_page(app, client, api, shop):
    document_id = submitted(api, shop, Role.MANAGER)["supplier_return"]["id"]
    waiting = submitted(api, shop, lines=[{"sku": M, "qty": 1, "location": "DEFAULT"}])
    as_user(client, api.user(Role.MANAGER)[1])
    page = text(client.get(f"/supplier-returns/{document_id}"))
    assert f'id="reverse-{document_id}"' in page
    other = waiting["supplier_return"]["id"]
    assert f'id="reverse-{other}"' not in text(client.get(f"/supplier-returns/{other}"))
    before = snapshot(app)
    refused = client.post(f"/documents/{other}/reverse", data={"key": "r0", "reason": "x"})
    assert refused.status_code == 422 and "nothing was posted" in text(refused)
    assert snapshot(app) == before
    reversed_ = client.post(
        f"/documents/{document_id}/reverse", data={"key": "r1", "reason": "came back"}
    )
    assert reversed_.status_code == 302
    assert held(api, S, "Q-1") == 2
    page = text(client.get(f"/supplier-returns/{document_id}"))
    assert 'id="reversed-by"' in page and "came back" in page
    assert f'id="reverse-{document_id}"' not in page
    shown = api.get(f"/supplier-returns/{document_id}").get_json()
    assert (shown["status"], shown["reversal"]["reason"]) == ("reversed", "came back")
    po = api.get(f"/purchase-orders/{shop['po']}").get_json()
    assert [line["returned"] for line in po["lines"]] == [0, 0]
    listed = text(client.get("/supplier-returns?state=posted"))
    assert shown["number"] in listed


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_each_form_needs_the_pages_csrf_token(self, app, api, shop):
        document_id = submitted(api, shop)["supplier_return"]["id"]
        client = signed_in(app, api.user(Role.MANAGER)[1])
        before = snapshot(app)
        for path, data in [
            ("/supplier-returns/new", form(api, shop)),
            (f"/supplier-returns/{document_id}/approve", {"key": "a"}),
            (f"/supplier-returns/{document_id}/reject", {"key": "r", "reason": "no"}),
        ]:
            response = client.post(path, data=data, headers=HTMX)
            assert response.status_code in (400, 422), path
            assert snapshot(app) == before, path
        page = text(client.get("/supplier-returns/new"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        posted = client.post(
            "/supplier-returns/new", data=form(api, shop, csrf_token=token), headers=HTMX
        )
        assert posted.status_code == 204, text(posted)
