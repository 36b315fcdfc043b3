"""Write-offs (报损): the API, the clerks' form, the list and the managers' approval."""

import pytest

from stockapp.models import Role
from stockapp.services import settings
from tests.support.api import API, BAD_AUTH, MOVE_ENDPOINTS, ROLES, Api, S, assert_problem, snapshot
from tests.support.pages import HTMX, as_user, error_beside, scan_error, text, value_of


@pytest.fixture
def api_stock():
    return {S: 6}


BODY = {"location": "DEFAULT", "reason": "damaged", "note": "torn", "lines": [{"sku": S, "qty": 2}]}


def submitted(api: Api, role: Role = Role.CLERK, **change) -> dict:
    response = api.post("/write-offs", BODY | change, role=role)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_clerks_write_off_waits_for_a_manager_and_posts_once(app, api):
    key = {"Idempotency-Key": "wo-1"}
    body = api.post("/write-offs", BODY, headers=key).get_json()
    write_off = body["write_off"]
    assert write_off["number"].startswith("WO") and write_off["status"] == "submitted"
    assert (write_off["location"], write_off["warehouse"], write_off["reason"]) == (
        "DEFAULT",
        "MAIN",
        "damaged",
    )
    assert body["movements"] == [] and api.on_hand(S) == 6
    again = api.post("/write-offs", BODY, headers=key).get_json()
    assert again["write_off"]["id"] == write_off["id"]
    path = f"/write-offs/{write_off['id']}"
    assert_problem(api.post(f"{path}/approve", role=Role.CLERK), 403)
    approved = api.post(f"{path}/approve", role=Role.MANAGER)
    assert approved.status_code == 200
    decided = approved.get_json()
    assert decided["write_off"]["status"] == "posted"
    assert [(m["kind"], m["delta"], m["location"]) for m in decided["movements"]] == [
        ("write_off", -2, "DEFAULT")
    ]
    assert api.on_hand(S) == 4
    before = snapshot(app)
    assert_problem(api.post(f"{path}/approve", role=Role.MANAGER), 409)
    assert snapshot(app) == before
    shown = api.get(path).get_json()
    assert shown["decided_by"] and shown["lines"] == [{"sku": S, "qty": 2}]


def test_a_managers_write_off_and_one_without_approval_post_at_once(api):
    assert submitted(api, Role.MANAGER)["write_off"]["status"] == "posted"
    with api.app.app_context():
        settings.update({"write_offs_need_approval": False})
    assert submitted(api)["write_off"]["status"] == "posted"
    assert api.on_hand(S) == 2


def test_rejecting_needs_a_reason_and_posts_nothing(app, api):
    path = f"/write-offs/{submitted(api)['write_off']['id']}"
    assert_problem(api.post(f"{path}/reject", {"reason": "no"}, role=Role.CLERK), 403)
    assert_problem(api.post(f"{path}/reject", {}, role=Role.MANAGER), 422, "reason")
    rejected = api.post(f"{path}/reject", {"reason": "found it"}, role=Role.MANAGER)
    assert rejected.get_json()["write_off"]["reject_reason"] == "found it"
    assert_problem(api.post(f"{path}/approve", role=Role.MANAGER), 409)
    assert api.on_hand(S) == 6


def test_approval_is_refused_when_the_stock_left_meanwhile(app, api):
    path = f"/write-offs/{submitted(api, lines=[{'sku': S, 'qty': 5}])['write_off']['id']}"
    submitted(api, Role.MANAGER, lines=[{"sku": S, "qty": 3}])
    before = snapshot(app)
    problem = assert_problem(api.post(f"{path}/approve", role=Role.MANAGER), 409)
    assert problem["shortages"][0]["location"] == "DEFAULT"
    assert snapshot(app) == before
    assert api.get(path).get_json()["status"] == "submitted"


@pytest.mark.parametrize(
    "name, change, status, field",
    [
        ("unknown reason", {"reason": "stolen"}, 422, "reason"),
        ("unknown location", {"location": "Z-9"}, 422, "location"),
        ("unknown SKU", {"lines": [{"sku": "NOPE", "qty": 1}]}, 422, "lines[0].sku"),
        ("zero", {"lines": [{"sku": S, "qty": 0}]}, 422, "lines[0].qty"),
        ("too much", {"lines": [{"sku": S, "qty": 7}]}, 409, None),
        ("long note", {"note": "x" * 501}, 422, "note"),
    ],
)
def test_bad_write_offs_are_problems_and_write_nothing(app, api, name, change, status, field):
    before = snapshot(app)
    response = api.post("/write-offs", BODY | change)
    assert_problem(response, status, *([field] if field else []))
    assert snapshot(app) == before


def test_unknown_write_offs_are_not_found(api):
    for path in ("/write-offs/999", "/write-offs/999/approve", "/write-offs/999/reject"):
        response = api.get(path) if path.count("/") == 2 else api.post(path, role=Role.MANAGER)
        assert_problem(response, 404)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_who_may_submit_read_and_decide(client, api, role):
    response = api.post("/write-offs", BODY, role=role)
    if role == Role.VIEWER:
        assert_problem(response, 403)
        assert_problem(api.get("/write-offs/1", role=role), 403)
        as_user(client, api.user(role)[1])
        for path in ("/write-offs", "/write-offs/new"):
            assert client.get(path).status_code == 403
        return
    assert response.status_code == 201
    document_id = submitted(api)["write_off"]["id"]  # a clerk's: it waits
    as_user(client, api.user(role)[1])
    page = text(client.get(f"/write-offs/{document_id}"))
    assert ('id="approve"' in page) == (role == Role.MANAGER)
    approve = client.post(f"/write-offs/{document_id}/approve", data={"key": "a"}, headers=HTMX)
    reject = client.get(f"/write-offs/{document_id}/reject")
    assert (approve.status_code, reject.status_code) == (
        (204, 200) if role == Role.MANAGER else (403, 403)
    )


def form(api, **fields) -> dict:
    variant = api.skus[S]
    return {"key": "k1", "location": api.default, "reason": "lost", "style": "A1024",
            f"q-{variant}": "2"} | fields  # fmt: skip


@pytest.fixture
def default(api, app):
    from stockapp.services.warehouses import default_location_id

    with app.app_context():
        api.default = str(default_location_id())
    return api.default


def test_a_clerk_submits_on_the_form_and_a_manager_approves_on_the_page(app, client, api, default):
    as_user(client, api.user(Role.CLERK)[1])
    page = text(client.get("/write-offs/new"))
    assert value_of(page, "key") and 'name="location"' in page and "Lost" in page
    scanned = client.get("/write-offs/new", query_string={"key": "k1", "add": S}, headers=HTMX)
    assert value_of(text(scanned), f"q-{api.skus[S]}") == "1"
    posted = client.post("/write-offs/new", data=form(api), headers=HTMX)
    assert posted.status_code == 204, text(posted)
    target = posted.headers["HX-Redirect"]
    assert api.on_hand(S) == 6
    as_user(client, api.user(Role.MANAGER)[1])
    listed = text(client.get("/write-offs"))
    assert "Waiting for approval" in listed and "WO" in listed
    todo = text(client.get("/live/todo"))
    assert 'data-todo="write-offs"' in todo
    document_id = int(target.rsplit("/", 1)[1])
    approved = client.post(f"/write-offs/{document_id}/approve", data={"key": "a"}, headers=HTMX)
    assert approved.status_code == 204 and "stock-changed" in approved.headers["HX-Trigger"]
    assert api.on_hand(S) == 4
    again = client.post(f"/write-offs/{document_id}/approve", data={"key": "b"}, headers=HTMX)
    assert again.status_code == 422 and "already approved" in text(again)
    assert api.on_hand(S) == 4


def test_the_form_names_every_bad_field_and_writes_nothing(app, client, api, default):
    as_user(client, api.user(Role.CLERK)[1])
    before = snapshot(app)
    variant = api.skus[S]
    for fields, check in [
        ({"reason": "stolen"}, lambda page: "Not a valid choice" in page),
        ({"location": "x"}, lambda page: error_beside(page, "location-error")),
        ({"location": "999999"}, lambda page: error_beside(page, "location-error")),
        ({f"q-{variant}": "abc"}, lambda page: error_beside(page, f"e-q-{variant}")),
        ({f"q-{variant}": "9"}, lambda page: "short by 3" in page),
        ({f"q-{variant}": "0"}, lambda page: "Give at least one size" in page),
        ({"note": "x" * 501}, lambda page: "At most 500 characters" in page),
    ]:
        response = client.post("/write-offs/new", data=form(api, **fields), headers=HTMX)
        assert response.status_code == 422 and check(text(response)), fields
    unknown = client.get("/write-offs/new", query_string={"key": "k", "add": "NOPE"}, headers=HTMX)
    assert "NOPE" in scan_error(text(unknown), "add")
    assert snapshot(app) == before


def test_a_manager_rejects_on_the_page(client, api, default):
    document_id = submitted(api)["write_off"]["id"]
    as_user(client, api.user(Role.MANAGER)[1])
    path = f"/write-offs/{document_id}/reject"
    empty = client.post(path, data={"key": "r", "reason": " "}, headers=HTMX)
    assert empty.status_code == 422 and "Say why the write-off is rejected." in text(empty)
    done = client.post(path, data={"key": "r", "reason": "<b>found</b>"}, headers=HTMX)
    assert done.status_code == 204
    page = text(client.get(f"/write-offs/{document_id}"))
    assert "&lt;b&gt;found&lt;/b&gt;" in page and "<b>found</b>" not in page
    assert api.on_hand(S) == 6


def calls(api: Api, write_off_id: int) -> dict:
    """Each move and write-off route, called with the given headers."""
    path = f"{API}/write-offs/{write_off_id}"
    move = {"from_location": "DEFAULT", "to_location": "Q", "lines": [{"sku": S, "qty": 1}]}
    return {
        "POST /moves": lambda h: api.client.post(f"{API}/moves", json=move, headers=h),
        "POST /write-offs": lambda h: api.client.post(f"{API}/write-offs", json=BODY, headers=h),
        "GET /write-offs/{write_off_id}": lambda h: api.client.get(path, headers=h),
        "POST /write-offs/{write_off_id}/approve": lambda h: api.client.post(
            f"{path}/approve", headers=h
        ),
        "POST /write-offs/{write_off_id}/reject": lambda h: api.client.post(
            f"{path}/reject", json={"reason": "no"}, headers=h
        ),
    }


@pytest.fixture
def quarantine(app, api):
    from stockapp.services import warehouses

    with app.app_context():
        main = warehouses.main_warehouse_id()
        return warehouses.create_location(warehouse_id=main, code="Q", is_quarantine=True)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_move_routes_declare(
    api, quarantine, role, subtests
):
    success = {"POST /moves": 201, "POST /write-offs": 201}
    assert set(calls(api, 1)) == set(MOVE_ENDPOINTS)
    headers = api.auth(role)
    one = [{"sku": S, "qty": 1}]
    for endpoint, least in MOVE_ENDPOINTS.items():
        with subtests.test(msg=f"{role} {endpoint}"):
            call = calls(api, submitted(api, lines=one)["write_off"]["id"])[endpoint]
            before = snapshot(api.app)
            response = call(headers)
            if role.rank >= least.rank:
                assert response.status_code == success.get(endpoint, 200), response.get_data(
                    as_text=True
                )
            else:
                assert str(least.label) in assert_problem(response, 403)["detail"]
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_every_move_route_refuses_missing_and_bad_tokens_with_401(api, quarantine, subtests):
    routes = calls(api, submitted(api)["write_off"]["id"])
    api.auth(Role.MANAGER)
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for endpoint, call in routes.items():
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                assert_problem(call(headers), 401)
                assert snapshot(api.app) == before
