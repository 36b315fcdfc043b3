"""Warehouses and their locations, pages and API: managers write, everyone reads only
the warehouses they work in (a clerk of A is refused every read and write of B), and
a refusal shows beside the field or as problem+json, writing nothing."""

import pytest

from stockapp.extensions import db
from stockapp.models import Location, Role, User, Warehouse
from stockapp.services import receiving, transfers, warehouses
from tests.support.api import API, BAD_AUTH, ROLES, WAREHOUSE_ENDPOINTS, assert_problem, snapshot
from tests.support.pages import HTMX, as_user, error_beside, text

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def shop(app, make_user):
    """The manager boss; warehouse SH with bin A-01; clerk ann works in MAIN only,
    clerk bea and viewer cai in SH only."""
    with app.test_request_context():
        boss = make_user(Role.MANAGER, username="boss")
        sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=boss)
        warehouses.create_location(warehouse_id=sh, code="A-01", zone="Knits", actor_id=boss)
        make_user(Role.CLERK, username="ann")
        for role, name in ((Role.CLERK, "bea"), (Role.VIEWER, "cai")):
            user = make_user(role, username=name)
            warehouses.set_user_warehouses(user_id=user, warehouse_ids=[sh], actor_id=boss)
    return {"sh": sh}


def tokens(app, *names) -> dict[str, dict]:
    from stockapp.models import User
    from stockapp.services import accounts

    found = {}
    with app.app_context():
        for name in names:
            db.session.scalar(db.select(User).where(User.username == name))
            _, token = accounts.create_token(name)
            found[name] = {"Authorization": f"Bearer {token}"}
    return found


def names_of(app) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(db.select(Warehouse.code, Warehouse.name, Warehouse.active))
        return {code: (name, active) for code, name, active in rows}


# ---------------------------------------------------------------- pages


def test_a_manager_adds_a_warehouse_and_a_bin_from_the_pages(app, client, shop):
    as_user(client, "boss")
    page = text(client.get("/warehouses"))
    assert "Shanghai" in page and "MAIN" in page and "Add warehouse" in page
    added = client.post("/warehouses", data={"code": "bj-1", "name": "Beijing"}, headers=HTMX)
    assert added.status_code == 204 and added.headers["HX-Redirect"] == "/warehouses/BJ-1"
    page = text(client.get("/warehouses/BJ-1"))
    assert "Beijing" in page and "DEFAULT" in page
    added = client.post("/warehouses/BJ-1/locations", data={"code": "b-02", "zone": "Denim"})
    assert added.status_code == 302 and added.location == "/warehouses/BJ-1"
    page = text(client.get("/warehouses/BJ-1"))
    assert "B-02" in page and "Denim" in page
    assert "/labels/warehouses/BJ-1/B-02" in page and "/labels/warehouses/BJ-1" in page
    labels = text(client.get("/labels/warehouses/BJ-1/B-02"))
    assert 'data-barcode="B-02"' in labels and 'data-barcode="DEFAULT"' not in labels
    every = text(client.get("/labels/warehouses/BJ-1"))
    assert 'data-barcode="B-02"' in every and 'data-barcode="DEFAULT"' in every
    assert "/warehouses" in text(client.get("/"))  # under "More"


def test_rename_deactivate_reactivate_and_edit_a_bin_from_the_pages(app, client, shop):
    as_user(client, "boss")
    assert client.post("/warehouses/SH", data={"name": "Shanghai East"}).status_code == 302
    assert names_of(app)["SH"] == ("Shanghai East", True)
    assert client.post("/warehouses/SH/deactivate").status_code == 302
    assert names_of(app)["SH"] == ("Shanghai East", False)
    page = text(client.get("/warehouses/SH"))
    assert "Reactivate SH" in page and "Add a location" not in page
    assert "Deactivated" in text(client.get("/warehouses"))
    client.post("/warehouses/SH/reactivate")
    assert names_of(app)["SH"] == ("Shanghai East", True)
    edited = client.post(
        "/warehouses/SH/locations/A-01",
        data={"name": "Top", "zone": "Denim", "note": "", "is_quarantine": "y"},
    )
    assert edited.status_code == 302
    with app.app_context():
        location = db.session.scalar(db.select(Location).where(Location.code == "A-01"))
        assert (location.name, location.zone, location.is_quarantine) == ("Top", "Denim", True)


def test_the_main_warehouse_and_a_warehouse_with_stock_are_not_deactivated(
    app, client, shop, make_style
):
    as_user(client, "boss")
    assert "Deactivate" not in text(client.get("/warehouses/MAIN"))
    refused = client.post("/warehouses/MAIN/deactivate", follow_redirects=True)
    assert "main warehouse cannot be deactivated" in text(refused)
    assert names_of(app)["MAIN"] == ("主仓库", True)


def test_an_open_transfer_keeps_a_warehouse_active_on_the_page_and_the_api(
    app, client, shop, make_style
):
    variant = make_style("A1", sizes=("M",), colours=())["A1-M"]
    with app.test_request_context():
        boss = db.session.scalar(db.select(User.id).where(User.username == "boss"))
        receiving.receive(lines=[(variant, 2)], operator_id=boss)
        transfer = transfers.create(
            from_warehouse_id=warehouses.main_warehouse_id(),
            to_warehouse_id=shop["sh"],
            lines=[(variant, 2)],
            operator_id=boss,
        )
        transfers.ship(transfer["id"], operator_id=boss)
    as_user(client, "boss")
    auth = tokens(app, "boss")["boss"]
    before = snapshot(app)
    for headers, message in (
        ({}, f"has a transfer that is not closed ({transfer['number']}, In transit)"),
        (ZH, f"（{transfer['number']}，在途）"),
    ):
        page = text(
            client.post("/warehouses/SH/deactivate", headers=headers, follow_redirects=True)
        )
        assert message in page, page
    for headers, message in ((auth, "In transit"), (auth | ZH, "在途")):
        response = client.patch(f"{API}/warehouses/SH", json={"active": False}, headers=headers)
        assert transfer["number"] in assert_problem(response, 409)["detail"]
        assert message in response.get_json()["detail"]
    assert snapshot(app) == before and names_of(app)["SH"] == ("Shanghai", True)


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("/warehouses", {"code": "S H", "name": "X"}, "code", "letters, digits"),
        ("/warehouses", {"code": "MAIN", "name": "X"}, "code", "already"),
        ("/warehouses", {"code": "NEW", "name": ""}, "name", "Give the warehouse a name"),
        ("/warehouses", {"code": "NEW", "name": "x" * 81}, "name", "At most 80"),
        ("/warehouses/SH", {"name": " "}, "name", "Give the warehouse a name"),
        ("/warehouses/SH/locations", {"code": "A-01"}, "code", "already"),
        ("/warehouses/SH/locations", {"code": "A 1"}, "code", "letters, digits"),
        ("/warehouses/SH/locations/A-01", {"name": "x" * 41}, "name", "At most 40"),
        ("/warehouses/SH/locations/DEFAULT", {"is_quarantine": "y"}, None, "default location"),
    ],
)
def test_a_refused_form_shows_its_error_and_writes_nothing(
    app, client, shop, path, data, field, message
):
    as_user(client, "boss")
    before = snapshot(app)
    for headers in ({}, HTMX):
        response = client.post(path, data=data, headers=headers)
        assert response.status_code == 422
        page = text(response)
        if field:
            assert message in (error_beside(page, f"{field}-error") or ""), page
        else:
            assert message in page
    assert snapshot(app) == before


def test_a_refusal_reads_in_chinese(app, client, shop):
    as_user(client, "boss")
    page = text(client.post("/warehouses", data={"code": "MAIN", "name": ""}, headers=ZH))
    assert "仓库" in (error_beside(page, "code-error") or "")
    assert "仓库" in (error_beside(page, "name-error") or "")


def test_a_clerk_of_one_warehouse_is_refused_every_page_of_another(app, client, shop):
    as_user(client, "ann")  # MAIN only
    listed = text(client.get("/warehouses"))
    assert "MAIN" in listed and "Shanghai" not in listed and "Add warehouse" not in listed
    for path in ("/warehouses/SH", "/labels/warehouses/SH", "/labels/warehouses/SH/A-01"):
        assert client.get(path).status_code == 403, path
    assert client.get("/warehouses/MAIN").status_code == 200
    assert client.get("/warehouses/NOPE").status_code == 404
    before = snapshot(app)
    for path, data in [
        ("/warehouses", {"code": "X", "name": "X"}),
        ("/warehouses/SH", {"name": "Mine"}),
        ("/warehouses/SH/deactivate", {}),
        ("/warehouses/SH/locations", {"code": "Z-9"}),
        ("/warehouses/SH/locations/A-01", {"name": "Mine"}),
    ]:
        assert client.post(path, data=data).status_code == 403, path
    assert snapshot(app) == before


def test_a_restricted_manager_is_refused_another_warehouse(app, client, shop, make_user):
    with app.test_request_context():
        other = make_user(Role.MANAGER, username="dan")
        main = warehouses.main_warehouse_id()
        warehouses.set_user_warehouses(user_id=other, warehouse_ids=[main])
    as_user(client, "dan")
    assert client.get("/warehouses/SH").status_code == 403
    assert client.post("/warehouses/SH", data={"name": "Mine"}).status_code == 403
    assert client.get("/warehouses/SH/locations/A-01").status_code == 403
    assert names_of(app)["SH"] == ("Shanghai", True)


def test_viewers_read_their_warehouse_and_change_nothing(app, client, shop):
    as_user(client, "cai")  # SH only
    page = text(client.get("/warehouses/SH"))
    assert "A-01" in page and "Add a location" not in page and "Save name" not in page
    assert client.get("/warehouses/MAIN").status_code == 403
    assert client.post("/warehouses/SH", data={"name": "x"}).status_code == 403
    assert client.get("/warehouses/SH/locations/A-01").status_code == 403


def test_user_values_are_escaped(app, client, shop):
    as_user(client, "boss")
    client.post("/warehouses", data={"code": "XSS", "name": "<script>alert(1)</script>"})
    for path in ("/warehouses", "/warehouses/XSS"):
        page = text(client.get(path))
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


# ---------------------------------------------------------------- API


def test_the_api_lists_adds_and_changes_warehouses_and_bins(app, client, shop):
    auth = tokens(app, "boss")["boss"]
    listed = client.get(f"{API}/warehouses", headers=auth).get_json()["items"]
    assert [(w["code"], w["locations"], w["on_hand"]) for w in listed] == [
        ("MAIN", 1, 0),
        ("SH", 2, 0),
    ]
    made = client.post(f"{API}/warehouses", json={"code": "bj", "name": "Beijing"}, headers=auth)
    assert made.status_code == 201
    assert made.get_json() == {
        "code": "BJ",
        "name": "Beijing",
        "active": True,
        "locations": 1,
        "on_hand": 0,
    }
    bin_ = client.post(
        f"{API}/warehouses/BJ/locations", json={"code": "Q-1", "quarantine": True}, headers=auth
    )
    assert bin_.status_code == 201 and bin_.get_json()["quarantine"] is True
    bins = client.get(f"{API}/warehouses/BJ/locations", headers=auth).get_json()["items"]
    assert [(b["code"], b["default"], b["quarantine"]) for b in bins] == [
        ("DEFAULT", True, False),
        ("Q-1", False, True),
    ]
    changed = client.patch(
        f"{API}/warehouses/BJ", json={"name": "Beijing 2", "active": False}, headers=auth
    )
    assert changed.status_code == 200
    assert (changed.get_json()["name"], changed.get_json()["active"]) == ("Beijing 2", False)
    refused = client.post(f"{API}/warehouses/BJ/locations", json={"code": "Z"}, headers=auth)
    assert_problem(refused, 409)
    assert_problem(
        client.patch(f"{API}/warehouses/MAIN", json={"active": False}, headers=auth), 409
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fields"),
    [
        ("post", "/warehouses", {"code": "S H", "name": "X"}, 422, ("code",)),
        ("post", "/warehouses", {"code": "MAIN", "name": "X"}, 422, ("code",)),
        ("post", "/warehouses", {"code": "N"}, 422, ("name",)),
        ("post", "/warehouses", {"code": 7, "name": "X"}, 422, ("code",)),
        ("post", "/warehouses", {"code": "N", "name": "x" * 81}, 422, ("name",)),
        ("patch", "/warehouses/SH", {"name": ""}, 422, ("name",)),
        ("patch", "/warehouses/SH", {"active": "no"}, 422, ("active",)),
        ("patch", "/warehouses/NOPE", {"name": "X"}, 404, ()),
        ("post", "/warehouses/SH/locations", {"code": "A-01"}, 422, ("code",)),
        ("post", "/warehouses/SH/locations", {"code": "A-02", "zone": "z" * 41}, 422, ("zone",)),
        ("post", "/warehouses/NOPE/locations", {"code": "A-02"}, 404, ()),
    ],
)
def test_a_bad_api_request_is_a_problem_and_writes_nothing(
    app, client, shop, method, path, body, status, fields
):
    auth = tokens(app, "boss")["boss"]
    before = snapshot(app)
    response = getattr(client, method)(API + path, json=body, headers=auth)
    assert_problem(response, status, *fields)
    assert snapshot(app) == before


def test_the_api_refuses_a_clerk_every_read_and_write_of_another_warehouse(app, client, shop):
    auth = tokens(app, "ann", "bea", "cai")
    listed = client.get(f"{API}/warehouses", headers=auth["bea"]).get_json()["items"]
    assert [w["code"] for w in listed] == ["SH"]
    ok = client.get(f"{API}/warehouses/SH/locations", headers=auth["cai"])
    assert ok.status_code == 200
    before = snapshot(app)
    assert_problem(client.get(f"{API}/warehouses/SH/locations", headers=auth["ann"]), 403)
    assert_problem(client.get(f"{API}/warehouses/MAIN/locations", headers=auth["bea"]), 403)
    for name in ("ann", "bea", "cai"):
        for method, path, body in [
            ("post", "/warehouses", {"code": "X", "name": "X"}),
            ("patch", "/warehouses/SH", {"name": "Mine"}),
            ("post", "/warehouses/SH/locations", {"code": "Z-9"}),
        ]:
            response = getattr(client, method)(API + path, json=body, headers=auth[name])
            assert_problem(response, 403)
    assert snapshot(app) == before


def test_the_document_lists_the_warehouse_operations(app, client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert set(paths["/warehouses"]) == {"get", "post"}
    assert set(paths["/warehouses/{code}"]) == {"patch"}
    assert set(paths["/warehouses/{code}/locations"]) == {"get", "post"}


def call(endpoint: str) -> tuple[str, str, dict | None]:
    """The method, path and body of a successful call of ``endpoint`` (on MAIN)."""
    method, path = endpoint.split()
    body = {
        "POST /warehouses": {"code": "BJ", "name": "Beijing"},
        "PATCH /warehouses/{code}": {"name": "Main"},
        "POST /warehouses/{code}/locations": {"code": "A-01"},
    }.get(endpoint)
    return method, path.format(code="MAIN"), body


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_routes_declare(api, role, subtests):
    headers = api.auth(role)
    for endpoint, least in WAREHOUSE_ENDPOINTS.items():
        method, path, body = call(endpoint)
        with subtests.test(msg=f"{role} {endpoint}"):
            before = snapshot(api.app)
            response = api.client.open(API + path, method=method, headers=headers, json=body)
            if role.rank >= least.rank:
                assert response.status_code in (200, 201), response.get_data(as_text=True)
            else:
                assert_problem(response, 403)
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_every_endpoint_refuses_missing_and_bad_tokens_with_401(api, subtests):
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for endpoint in WAREHOUSE_ENDPOINTS:
        method, path, body = call(endpoint)
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                response = api.client.open(API + path, method=method, headers=headers, json=body)
                assert_problem(response, 401)
                assert snapshot(api.app) == before, "a refused request wrote something"


# ---------------------------------------------------------------- the user's page


def test_a_manager_sets_a_users_warehouses_on_their_page(app, client, shop):
    with app.app_context():
        from stockapp.models import User

        bea = db.session.scalar(db.select(User.id).where(User.username == "bea"))
        boss = db.session.scalar(db.select(User.id).where(User.username == "boss"))
    as_user(client, "boss")
    page = text(client.get(f"/users/{bea}"))
    assert 'name="warehouses"' in page and 'name="all_warehouses"' not in page
    with app.test_request_context():
        main = warehouses.main_warehouse_id()
    sent = client.post(f"/users/{bea}/warehouses", data={"warehouses": [main, shop["sh"]]})
    assert sent.status_code == 302
    with app.test_request_context():
        assert warehouses.allowed_warehouse_ids(bea) == frozenset({main, shop["sh"]})
    before = snapshot(app)
    refused = client.post(f"/users/{bea}/warehouses", data={"all_warehouses": "y"}, headers=HTMX)
    assert refused.status_code == 422 and "Only a manager" in text(refused)
    refused = client.post(f"/users/{bea}/warehouses", data={"warehouses": "99999"})
    assert refused.status_code == 422
    assert snapshot(app) == before
    assert 'name="all_warehouses"' in text(client.get(f"/users/{boss}"))
    as_user(client, "ann")
    refused = client.post(f"/users/{bea}/warehouses", data={"warehouses": main})
    assert refused.status_code == 403
