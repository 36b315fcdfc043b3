"""The JSON API v1 over HTTP: every endpoint's happy path, the OpenAPI document,
permissions, idempotency, and the problem+json answers for unknown URLs and methods.

Bad input is in ``test_api_input.py``; concurrent requests against a real server in
``test_api_concurrency.py``. The helpers they share with this module (``Api``,
``assert_problem``, ``snapshot`` …) are in ``tests/support/api.py``.

Every test runs on SQLite and on PostgreSQL, and a fresh app per test costs about half
a second on PostgreSQL; so where a behaviour has many cases (bad tokens, bad queries,
wrong methods …), one test runs them all as subtests (pytest's ``subtests`` fixture),
which reports every failing case by name instead of stopping at the first.
"""

import re

import pytest

from stockapp.models import MovementKind, Role
from stockapp.services import accounts, receiving, warehouses
from tests.support.api import (
    ACCOUNT_ENDPOINTS,
    API,
    BAD_AUTH,
    IMPORT_ENDPOINTS,
    MOVE_ENDPOINTS,
    ORDER_ENDPOINTS,
    PURCHASING_ENDPOINTS,
    REVERSAL_ENDPOINTS,
    ROLES,
    STYLE,
    SUPPLIER_RETURN_ENDPOINTS,
    TRANSFER_ENDPOINTS,
    WAREHOUSE_ENDPOINTS,
    Api,
    L,
    M,
    S,
    assert_problem,
    snapshot,
)
from tests.support.db import held, row_count

MOVEMENT_FIELDS = {
    "id",
    "sku",
    "kind",
    "delta",
    "balance_after",
    "operator",
    "note",
    "document",
    "created_at",
}


# --- the test's own checkers ---------------------------------------------------------------


def ean13_ok(code: str) -> bool:
    """An EAN-13 with a correct check digit (computed here, not by the app)."""
    if not re.fullmatch(r"\d{13}", code):
        return False
    digits = [int(c) for c in code]
    weighted = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - weighted % 10) % 10 == digits[12]


def openapi_path(rule: str) -> str:
    """``/api/v1/products/<code>`` → ``/products/{code}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(API))


def test_the_ean13_checker_knows_valid_from_invalid_codes():
    assert ean13_ok("4006381333931")  # a retail barcode
    assert ean13_ok("9780306406157")  # an ISBN-13
    assert not ean13_ok("4006381333932")
    assert not ean13_ok("400638133393")
    assert not ean13_ok("400638133393X")


# --- POST /products --------------------------------------------------------------------


def test_create_product_returns_the_style_and_every_colour_size_variant(api):
    api.auth(Role.MANAGER)
    before = snapshot(api.app)
    response = api.post(
        "/products",
        {
            "code": "B2048",
            "name": "Straight jeans",
            "sizes": ["28", "30", "32"],
            "colors": ["Blue", "Black"],
            "category": "Jeans",
            "unit": "pcs",
            "cost_price": "59.90",
            "sale_price": 99,
            "barcodes": [{"size": "30", "color": "Black", "barcode": "6901234567892"}],
        },
        role=Role.MANAGER,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == "B2048" and body["name"] == "Straight jeans"
    assert body["sizes"] == ["28", "30", "32"] and body["colors"] == ["Blue", "Black"]
    assert body["category"] == "Jeans" and body["unit"] == "pcs"
    assert body["cost_price"] == "59.90" and body["sale_price"] == "99.00"
    variants = body["variants"]
    expected = [(colour, size) for colour in ("Blue", "Black") for size in ("28", "30", "32")]
    assert [(v["color"], v["size"]) for v in variants] == expected
    assert [v["sku"] for v in variants] == [f"B2048-{c}-{s}" for c, s in expected]
    by_sku = {v["sku"]: v for v in variants}
    assert by_sku["B2048-Black-30"]["barcode"] == "6901234567892"
    generated = [v["barcode"] for v in variants if v["sku"] != "B2048-Black-30"]
    assert len(generated) == 5
    for barcode in generated:
        assert ean13_ok(barcode), f"{barcode} is not an EAN-13 with a valid check digit"
    assert len({v["barcode"] for v in variants}) == 6, "barcodes must be unique"
    for v in variants:
        assert (v["on_hand"], v["reserved"], v["available"]) == (0, 0, 0)
    after = snapshot(api.app)
    assert after["styles"] == before["styles"] + 1
    assert after["variants"] == before["variants"] + 6
    assert after["movements"] == before["movements"]

    again = api.get("/products/B2048", role=Role.VIEWER)
    assert again.status_code == 200
    assert [(v["sku"], v["barcode"]) for v in again.get_json()["variants"]] == [
        (v["sku"], v["barcode"]) for v in variants
    ]

    # Without colours: one variant per size, SKU code-size, colour null, no prices.
    plain = api.post(
        "/products", {"code": "C1", "name": "Socks", "sizes": ["36", "38"]}, role=Role.MANAGER
    )
    assert plain.status_code == 201, plain.get_data(as_text=True)
    body = plain.get_json()
    assert body["colors"] == [] and body["cost_price"] is None and body["sale_price"] is None
    assert [(v["sku"], v["size"], v["color"]) for v in body["variants"]] == [
        ("C1-36", "36", None),
        ("C1-38", "38", None),
    ]
    assert all(ean13_ok(v["barcode"]) for v in body["variants"])
    assert not {v["barcode"] for v in body["variants"]} & set(generated)


# --- GET /products/{code} and /stock -------------------------------------------------------


def test_get_product_gives_on_hand_reserved_and_available_per_variant(api):
    api.receive(**{S: 5, M: 2})
    response = api.get(f"/products/{STYLE}", role=Role.VIEWER)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == STYLE and body["sizes"] == ["S", "M", "L"]
    assert body["colors"] == ["Black"]
    figures = {v["sku"]: (v["on_hand"], v["reserved"], v["available"]) for v in body["variants"]}
    assert figures == {S: (5, 0, 5), M: (2, 0, 2), L: (0, 0, 0)}
    for v in body["variants"]:
        assert v["available"] == v["on_hand"] - v["reserved"]
        assert v.keys() >= {"sku", "barcode", "size", "color"}
        assert v["color"] == "Black" and ean13_ok(v["barcode"])

    assert_problem(api.get("/products/NOPE", role=Role.VIEWER), 404)


def test_get_stock_gives_figures_and_locations(api):
    api.receive(**{S: 5})
    api.receive(**{S: 2})
    response = api.get("/stock", role=Role.VIEWER, query_string={"sku": S})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {
        "sku": S,
        "on_hand": 7,
        "reserved": 0,
        "available": 7,
        "in_transit": 0,
        "warehouses": [{"warehouse": "MAIN", "on_hand": 7, "quarantine": 0}],
        "locations": [
            {"warehouse": "MAIN", "location": "DEFAULT", "quarantine": False, "on_hand": 7}
        ],
    }
    empty = api.get("/stock", role=Role.VIEWER, query_string={"sku": L}).get_json()
    assert (empty["sku"], empty["on_hand"], empty["available"]) == (L, 0, 0)
    assert empty["locations"] == [] and empty["warehouses"] == []


def stock_in_two_warehouses(api) -> None:
    """Set-up: 4 of S in MAIN with 1 damaged into its quarantine Q-1, and 6 of S in a
    second warehouse SH, received by a manager."""
    with api.app.app_context():
        boss, _ = api.user(Role.MANAGER)
        shop = warehouses.create_warehouse(code="SH", name="Shop one", actor_id=boss)
        main = warehouses.main_warehouse_id()
        warehouses.create_location(warehouse_id=main, code="Q-1", is_quarantine=True)
        into_shop = warehouses.locations(shop)[0].id
        for line, warehouse in (
            (receiving.ArrivedLine(api.skus[S], 4, damaged=1), main),
            (receiving.ArrivedLine(api.skus[S], 6, location_id=into_shop), shop),
        ):
            receiving.create(lines=[line], operator_id=boss, warehouse_id=warehouse, submit=True)


def test_get_stock_gives_each_warehouse_the_user_works_in(api):
    """Per warehouse: on hand and quarantine apart; a viewer of MAIN only is not shown
    the shop's stock (the top figures are every warehouse's, as on the product page)."""
    stock_in_two_warehouses(api)
    every = api.get("/stock", role=Role.MANAGER, query_string={"sku": S}).get_json()
    assert every["on_hand"] == 10
    assert every["warehouses"] == [
        {"warehouse": "MAIN", "on_hand": 4, "quarantine": 1},
        {"warehouse": "SH", "on_hand": 6, "quarantine": 0},
    ]
    assert [
        (x["warehouse"], x["location"], x["quarantine"], x["on_hand"]) for x in every["locations"]
    ] == [
        ("MAIN", "DEFAULT", False, 4),
        ("MAIN", "Q-1", True, 1),
        ("SH", "DEFAULT", False, 6),
    ]
    mine = api.get("/stock", role=Role.VIEWER, query_string={"sku": S}).get_json()
    assert mine["on_hand"] == 10
    assert [x["warehouse"] for x in mine["warehouses"] + mine["locations"]] == ["MAIN"] * 3


def test_movements_of_a_sku_are_those_of_the_users_warehouses(api):
    stock_in_two_warehouses(api)
    every = api.get("/movements", role=Role.MANAGER, query_string={"sku": S}).get_json()
    assert [m["delta"] for m in every["items"]] == [6, 1, 4]
    mine = api.get("/movements", role=Role.CLERK, query_string={"sku": S}).get_json()
    assert [m["delta"] for m in mine["items"]] == [1, 4]

    assert_problem(api.get("/stock", role=Role.VIEWER), 422, "sku")
    assert_problem(api.get("/stock?sku=", role=Role.VIEWER), 422, "sku")
    assert_problem(api.get("/stock", role=Role.VIEWER, query_string={"sku": "NOPE"}), 404)


# --- POST /inbound ------------------------------------------------------------------------


def test_inbound_posts_a_receipt_with_movements_and_running_balances(api):
    api.receive(**{S: 5})
    _, clerk = api.user(Role.CLERK)
    before = snapshot(api.app)
    response = api.post(
        "/inbound", {"lines": [{"sku": S, "qty": 3}, {"sku": L, "qty": 4}], "note": "van 7"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    receipt = body["receipt"]
    assert isinstance(receipt["id"], int)
    assert receipt["number"].startswith("RC") and receipt["number"].endswith(str(receipt["id"]))
    assert (receipt["kind"], receipt["status"], receipt["note"]) == ("receipt", "posted", "van 7")
    movements = body["movements"]
    assert [(m["sku"], m["delta"], m["balance_after"]) for m in movements] == [
        (S, 3, 8),
        (L, 4, 4),
    ]
    for m in movements:
        assert m.keys() >= MOVEMENT_FIELDS
        assert m["kind"] == "inbound" and m["operator"] == clerk and m["note"] == "van 7"
        assert m["document"] == receipt["number"]
    assert (api.on_hand(S), api.on_hand(M), api.on_hand(L)) == (8, 0, 4)
    after = snapshot(api.app)
    assert after["movements"] == before["movements"] + 2
    assert after["documents"] == before["documents"] + 1
    assert after["idempotency_records"] == before["idempotency_records"]

    # A manager may receive too; the note is optional.
    _, manager = api.user(Role.MANAGER)
    by_manager = api.post("/inbound", {"lines": [{"sku": M, "qty": 1}]}, role=Role.MANAGER)
    assert by_manager.status_code == 201
    assert by_manager.get_json()["movements"][0]["operator"] == manager
    assert by_manager.get_json()["receipt"]["note"] == ""
    assert by_manager.get_json()["receipt"]["id"] != receipt["id"]


def test_inbound_and_receipts_go_into_the_warehouse_and_bin_the_body_names(api, subtests):
    """A clerk names the shop and a bin there (codes in any case); left out, the
    warehouse is the clerk's own and the bin each variant's usual one there. A
    warehouse the clerk does not work in, or a name that finds nothing, is refused
    and nothing is written."""
    clerk, _ = api.user(Role.CLERK)
    with api.app.app_context():
        boss, _ = api.user(Role.MANAGER)
        main = warehouses.main_warehouse_id()
        shop = warehouses.create_warehouse(code="SH", name="Shop one", actor_id=boss)
        shelf = warehouses.create_location(warehouse_id=shop, code="A-01", actor_id=boss)
    for name, body, status, field in (
        ("a warehouse not worked in", {"warehouse": "SH"}, 403, None),
        ("an unknown warehouse", {"warehouse": "XX"}, 422, "warehouse"),
        ("a bin of another warehouse", {"location": "A-01"}, 422, "location"),
    ):
        with subtests.test(msg=name):
            before = snapshot(api.app)
            response = api.post("/inbound", {"lines": [{"sku": S, "qty": 1}], **body})
            assert_problem(response, status, *([field] if field else []))
            assert snapshot(api.app) == before
    with api.app.app_context():
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids={main, shop}, actor_id=boss)
    named = api.post(
        "/inbound", {"warehouse": "sh", "location": "a-01", "lines": [{"sku": S, "qty": 2}]}
    )
    assert named.status_code == 201, named.get_data(as_text=True)
    usual = api.post("/inbound", {"warehouse": "SH", "lines": [{"sku": S, "qty": 3}]})
    assert usual.status_code == 201, usual.get_data(as_text=True)
    receipt = api.post(
        "/receipts",
        {
            "warehouse": "SH",
            "submit": True,
            "lines": [{"sku": M, "received": 1, "location": "A-01"}],
        },
    )
    assert receipt.status_code == 201, receipt.get_data(as_text=True)
    elsewhere = api.post(
        "/receipts", {"lines": [{"sku": M, "received": 1, "location": "A-01"}], "submit": True}
    )
    assert_problem(elsewhere, 422, "lines[0].location")
    with api.app.app_context():
        assert (held(api.skus[S], shelf), held(api.skus[M], shelf)) == (5, 1)
        assert api.on_hand(S) == 5 and api.on_hand(M) == 1


# --- POST /stocktake ------------------------------------------------------------------------


def test_stocktake_posts_counted_minus_on_hand(api):
    api.receive(**{S: 5, M: 2})
    before = snapshot(api.app)
    response = api.post(
        "/stocktake",
        {
            "lines": [
                {"sku": S, "counted": 3, "expected": 5},
                {"sku": M, "counted": 4, "expected": 2},
                {"sku": L, "counted": 0, "expected": 0},
            ],
            "note": "monthly count",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    document = body["stocktake"]
    assert document["number"].startswith("ST") and document["kind"] == "stocktake"
    assert document["status"] == "posted" and document["note"] == "monthly count"
    assert [(m["sku"], m["delta"], m["balance_after"], m["kind"]) for m in body["movements"]] == [
        (S, -2, 3, "stocktake"),
        (M, 2, 4, "stocktake"),
    ], "one movement per line that differs, delta = counted - on hand"
    assert all(m["document"] == document["number"] for m in body["movements"])
    assert (api.on_hand(S), api.on_hand(M), api.on_hand(L)) == (3, 4, 0)
    after = snapshot(api.app)
    assert after["movements"] == before["movements"] + 2
    assert after["documents"] == before["documents"] + 1


def test_stocktake_with_a_stale_expected_is_409_with_differences_and_writes_nothing(api):
    api.receive(**{S: 5, M: 2})
    before = snapshot(api.app)
    response = api.post(
        "/stocktake",
        {
            "lines": [
                {"sku": S, "counted": 3, "expected": 4},  # stale: on hand is 5
                {"sku": M, "counted": 1, "expected": 2},  # fine on its own
                {"sku": L, "counted": 2, "expected": 1},  # stale: on hand is 0
            ]
        },
        headers={"Idempotency-Key": "count-1"},
    )
    body = assert_problem(response, 409)
    assert body["differences"] == [
        {"sku": S, "expected": 4, "on_hand": 5},
        {"sku": L, "expected": 1, "on_hand": 0},
    ]
    assert S in body["detail"] and L in body["detail"]
    assert snapshot(api.app) == before, "a refused stocktake wrote something"

    # The refusal stored nothing under its key: corrected, the same key posts.
    retry = api.post(
        "/stocktake",
        {
            "lines": [
                {"sku": S, "counted": 3, "expected": 5},
                {"sku": M, "counted": 1, "expected": 2},
                {"sku": L, "counted": 2, "expected": 0},
            ]
        },
        headers={"Idempotency-Key": "count-1"},
    )
    assert retry.status_code == 201, retry.get_data(as_text=True)
    assert (api.on_hand(S), api.on_hand(M), api.on_hand(L)) == (3, 1, 2)


# --- GET /movements ------------------------------------------------------------------------

RECEIPTS = 25  # of S: i and M: 1 each, then 3 of L, then a stocktake of S and L
TOTAL_MOVEMENTS = 2 * RECEIPTS + 3 + 2


@pytest.fixture
def history(api) -> Api:
    for i in range(1, RECEIPTS + 1):
        api.receive(**{S: i, M: 1})
    for i in range(1, 4):
        api.receive(**{L: i})
    on_hand_s = RECEIPTS * (RECEIPTS + 1) // 2
    response = api.post(
        "/stocktake",
        {
            "lines": [
                {"sku": S, "counted": on_hand_s - 4, "expected": on_hand_s},
                {"sku": L, "counted": 0, "expected": 6},
            ]
        },
    )
    assert response.status_code == 201
    return api


def _all_movements(api: Api, **query) -> list[dict]:
    response = api.get("/movements", role=Role.MANAGER, query_string={"limit": 500, **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["next_cursor"] is None
    return body["items"]


def test_movements_are_newest_first_with_running_balances_and_filters(history):
    api = history
    _, clerk = api.user(Role.CLERK)
    items = _all_movements(api)
    assert len(items) == TOTAL_MOVEMENTS
    ids = [m["id"] for m in items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    for m in items:
        assert m.keys() >= MOVEMENT_FIELDS
        assert m["operator"] == clerk and m["document"][:2] in {"RC", "ST"}
    assert [m["kind"] for m in items[:2]] == ["stocktake", "stocktake"]
    # Every number can be explained: oldest to newest, balance_after is the running sum.
    running: dict[str, int] = {}
    for m in reversed(items):
        running[m["sku"]] = running.get(m["sku"], 0) + m["delta"]
        assert m["balance_after"] == running[m["sku"]], m
    assert running == {S: api.on_hand(S), M: RECEIPTS, L: 0}

    only_s = _all_movements(api, sku=S)
    assert len(only_s) == RECEIPTS + 1 and {m["sku"] for m in only_s} == {S}
    assert [m["id"] for m in only_s] == [m["id"] for m in items if m["sku"] == S]
    assert [(m["sku"], m["delta"]) for m in _all_movements(api, kind="stocktake")] == [
        (L, -6),
        (S, -4),
    ]
    assert [m["delta"] for m in _all_movements(api, sku=L, kind="inbound")] == [3, 2, 1]
    assert _all_movements(api, sku="NOPE") == []
    assert _all_movements(api, kind="write_off") == []


def test_movements_keyset_pages_have_no_duplicates_or_gaps(history, subtests):
    api = history
    default = api.get("/movements", role=Role.MANAGER).get_json()
    assert len(default["items"]) == 50 and default["next_cursor"] is not None, "default limit"
    for limit, query in [
        (1, {}),
        (7, {}),
        (50, {}),
        (TOTAL_MOVEMENTS, {}),  # one full page: no next page
        (TOTAL_MOVEMENTS - 1, {}),
        (4, {"sku": S}),
        (3, {"kind": "inbound", "sku": L}),
    ]:
        with subtests.test(msg=f"limit={limit} {query}"):
            everything = [m["id"] for m in _all_movements(api, **query)]
            seen, cursor, pages = [], None, 0
            while True:
                params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
                response = api.get("/movements", role=Role.MANAGER, query_string=params)
                assert response.status_code == 200, response.get_data(as_text=True)
                body = response.get_json()
                pages += 1
                seen.extend(m["id"] for m in body["items"])
                cursor = body["next_cursor"]
                if cursor is None:
                    break
                assert isinstance(cursor, str)
                assert len(body["items"]) == limit, "only the last page may be short"
                assert pages < 200, "pagination does not end"
            assert seen == everything, "pages repeat or skip movements"
            assert pages == -(-len(everything) // limit), f"{pages} pages"
    # A cursor stays valid while new movements arrive: they are not in older pages.
    first = api.get("/movements", role=Role.MANAGER, query_string={"limit": 5}).get_json()
    api.receive(**{M: 1})
    second = api.get(
        "/movements", role=Role.MANAGER, query_string={"limit": 5, "cursor": first["next_cursor"]}
    ).get_json()
    assert [m["id"] for m in second["items"]] == [m["id"] for m in _all_movements(api)[6:11]]


def test_movements_query_validation(api, subtests):
    api.receive(**{S: 1})
    for params, field in [
        ({"limit": "0"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "9" * 30}, "limit"),
        ({"kind": "bogus"}, "kind"),
        ({"kind": "INBOUND"}, "kind"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "-5"}, "cursor"),
        ({"cursor": "1.5"}, "cursor"),
        ({"cursor": "9" * 40}, "cursor"),
        ({"cursor": "²"}, "cursor"),  # str.isdigit() says yes, int() says no
        ({"cursor": "¹²"}, "cursor"),
    ]:
        with subtests.test(msg=f"{params}"):
            assert_problem(
                api.get("/movements", role=Role.MANAGER, query_string=params), 422, field
            )
    for good in ({"limit": "1"}, {"limit": "500"}, {"kind": "inbound"}, {"cursor": "1"}):
        with subtests.test(msg=f"{good} is fine"):
            assert api.get("/movements", role=Role.MANAGER, query_string=good).status_code == 200


def test_a_cursor_beyond_any_id_is_answered_not_a_500(api, subtests):
    """19-digit cursors pass the route's length check; they must still get an answer:
    every movement (all are older), or a 422 naming the cursor."""
    api.receive(**{S: 1})
    for cursor in ["9" * 19, str(2**63), str(2**63 - 1), str(2**31)]:
        with subtests.test(msg=f"cursor={cursor}"):
            response = api.get("/movements", role=Role.MANAGER, query_string={"cursor": cursor})
            if response.status_code == 200:
                assert [m["sku"] for m in response.get_json()["items"]] == [S]
            else:
                assert_problem(response, 422, "cursor")


# --- GET /openapi.json ------------------------------------------------------------------------


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document_is_public_and_looks_like_openapi_3(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert (
        client.get(f"{API}/openapi.json", headers={"Authorization": "Bearer nope"}).status_code
        == 200
    ), "a bad token must not hide the public document"
    doc = response.get_json()
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"][0]["url"] == API
    assert doc["paths"], "no paths"
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for path, operations in doc["paths"].items():
        assert path.startswith("/")
        for method, operation in operations.items():
            assert method in {"get", "post", "put", "patch", "delete"}, (path, method)
            assert operation["responses"], (path, method)
            for status in operation["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", status), (path, method, status)
            for name in re.findall(r"{(\w+)}", path):
                parameter = next(p for p in operation["parameters"] if p["name"] == name)
                assert parameter["in"] == "path" and parameter["required"] is True
    # Every $ref points at something the document defines.
    for ref in set(_refs(doc)):
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            assert part in node, f"dangling $ref {ref}"
            node = node[part]
    kinds = doc["components"]["schemas"]["Movement"]["properties"]["kind"]["enum"]
    assert set(kinds) == {kind.value for kind in MovementKind}


def test_openapi_document_lists_every_api_route_and_method(app, client):
    doc = client.get(f"{API}/openapi.json").get_json()
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API + "/")]
    assert len(routes) >= 7
    served = {
        (openapi_path(rule.rule), method.lower())
        for rule in routes
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method) for path, operations in doc["paths"].items() for method in operations
    }
    assert served - documented == set(), "routes missing from openapi.json"
    assert documented - served == set(), "openapi.json documents routes that do not exist"


# --- permissions --------------------------------------------------------------------------

ENDPOINTS = {
    # name: (method, path, body, least role, success status)
    "POST /products": (
        "POST",
        "/products",
        {"code": "P9", "name": "Polo", "sizes": ["M"]},
        Role.MANAGER,
        201,
    ),
    "GET /products/{code}": ("GET", f"/products/{STYLE}", None, Role.VIEWER, 200),
    "GET /products": ("GET", "/products", None, Role.VIEWER, 200),
    "PATCH /products/{code}": ("PATCH", f"/products/{STYLE}", {"unit": "件"}, Role.MANAGER, 200),
    "POST /products/{code}/variants": (
        "POST",
        f"/products/{STYLE}/variants",
        {"sizes": ["XL"]},
        Role.MANAGER,
        201,
    ),
    "PATCH /variants/{sku}": ("PATCH", f"/variants/{S}", {"threshold": 3}, Role.MANAGER, 200),
    "GET /stock": ("GET", f"/stock?sku={S}", None, Role.VIEWER, 200),
    "POST /inbound": ("POST", "/inbound", {"lines": [{"sku": S, "qty": 2}]}, Role.CLERK, 201),
    "POST /stocktake": (
        "POST",
        "/stocktake",
        lambda api: {"lines": [{"sku": S, "counted": 4, "expected": api.on_hand(S)}]},
        Role.CLERK,
        201,
    ),
    "GET /movements": ("GET", f"/movements?sku={S}", None, Role.CLERK, 200),
}


def _call(api: Api, endpoint: str, headers: dict):
    method, path, body, _, _ = ENDPOINTS[endpoint]
    kwargs = {"json": body(api) if callable(body) else body} if body else {}
    return api.client.open(API + path, method=method, headers=headers, **kwargs)


def test_the_permission_table_covers_every_protected_route(app):
    # The order and return routes need orders in set states: their table is with the
    # helpers, and test_api_orders.py tests it; likewise the supplier, purchase order
    # and receipt routes (test_api_purchasing.py), users and the audit trail
    # (test_api_accounts.py), the import routes (test_api_imports.py), the warehouses
    # (test_warehouses.py), the bin move and write-off routes (test_write_offs.py),
    # reversing a document (test_reversals.py) and the returns to suppliers
    # (test_supplier_returns.py).
    routes = {
        f"{method} {openapi_path(rule.rule)}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/") and rule.endpoint != "api.openapi_document"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    tested_elsewhere = (
        set(ORDER_ENDPOINTS)
        | set(PURCHASING_ENDPOINTS)
        | set(ACCOUNT_ENDPOINTS)
        | set(IMPORT_ENDPOINTS)
        | set(WAREHOUSE_ENDPOINTS)
        | set(MOVE_ENDPOINTS)
        | set(TRANSFER_ENDPOINTS)
        | set(SUPPLIER_RETURN_ENDPOINTS)
        | set(REVERSAL_ENDPOINTS)
    )
    assert routes == set(ENDPOINTS) | tested_elsewhere


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_is_allowed_or_refused_as_the_routes_declare(api, role, subtests):
    api.receive(**{S: 5})
    headers = api.auth(role)
    for endpoint, (_, _, _, least, success) in ENDPOINTS.items():
        with subtests.test(msg=f"{role} {endpoint}"):
            before = snapshot(api.app)
            response = _call(api, endpoint, headers)
            if role.rank >= least.rank:
                assert response.status_code == success, response.get_data(as_text=True)
            else:
                assert_problem(response, 403)
                assert snapshot(api.app) == before, "a refused request wrote something"


def test_every_endpoint_refuses_missing_malformed_and_revoked_tokens_with_401(api, subtests):
    api.receive(**{S: 5})
    bad = {name: make(api) for name, make in BAD_AUTH.items()}
    before = snapshot(api.app)
    for endpoint in ENDPOINTS:
        for name, headers in bad.items():
            with subtests.test(msg=f"{endpoint}, {name}"):
                response = _call(api, endpoint, headers)
                assert_problem(response, 401)
                challenge = response.headers.get("WWW-Authenticate", "")
                assert challenge.lower().startswith("bearer"), f"WWW-Authenticate: {challenge!r}"
                assert snapshot(api.app) == before, "a refused request wrote something"
    # The scheme is case-insensitive (RFC 9110 §11.1), and a live token still works.
    live = {"Authorization": "bearer " + api.token(Role.MANAGER)}
    assert _call(api, "GET /products/{code}", live).status_code == 200


def test_revoking_a_token_takes_effect_at_once(api):
    headers = api.auth(Role.CLERK)
    assert api.client.get(f"{API}/stock?sku={S}", headers=headers).status_code == 200
    with api.app.app_context():
        accounts.revoke_token(api.token(Role.CLERK))
    assert_problem(api.client.get(f"{API}/stock?sku={S}", headers=headers), 401)
    # Another token of the same user is unaffected.
    _, username = api.user(Role.MANAGER)
    with api.app.app_context():
        _, other = accounts.create_token(username)
    assert (
        api.client.get(
            f"{API}/stock?sku={S}", headers={"Authorization": f"Bearer {other}"}
        ).status_code
        == 200
    )


# --- idempotency over HTTP (sequential; concurrent in test_api_concurrency.py) -------------


def test_repeating_an_inbound_with_its_key_returns_the_first_receipt_and_posts_once(api):
    body = {"lines": [{"sku": S, "qty": 3}, {"sku": M, "qty": 1}], "note": "retry"}
    key = {"Idempotency-Key": "tablet-7-0001"}
    first = api.post("/inbound", body, headers=key)
    assert first.status_code == 201, first.get_data(as_text=True)
    after_first = snapshot(api.app)
    for _ in range(2):
        again = api.post("/inbound", body, headers=key)
        assert again.status_code == 201, again.get_data(as_text=True)
        assert again.get_json()["receipt"]["id"] == first.get_json()["receipt"]["id"]
        assert again.get_json() == first.get_json()
    assert snapshot(api.app) == after_first, "a repeat wrote something"
    assert api.on_hand(S) == 3 and api.on_hand(M) == 1
    with api.app.app_context():
        assert row_count("idempotency_records") == 1

    other = api.post("/inbound", body, headers={"Idempotency-Key": "tablet-7-0002"})
    assert other.status_code == 201
    assert other.get_json()["receipt"]["id"] != first.get_json()["receipt"]["id"]
    no_key = api.post("/inbound", body)
    assert no_key.status_code == 201
    assert api.on_hand(S) == 9

    # The key belongs to its user: another user's same key is another request.
    by_manager = api.post("/inbound", body, role=Role.MANAGER, headers=key)
    assert by_manager.status_code == 201
    assert by_manager.get_json()["receipt"]["id"] != first.get_json()["receipt"]["id"]
    assert api.on_hand(S) == 12


def test_repeating_a_stocktake_with_its_key_returns_the_first_result_not_a_409(api):
    api.receive(**{S: 5})
    body = {"lines": [{"sku": S, "counted": 3, "expected": 5}]}
    key = {"Idempotency-Key": "count-42"}
    first = api.post("/stocktake", body, headers=key)
    assert first.status_code == 201
    after_first = snapshot(api.app)
    # The first count made on hand 3, so the retry's expected 5 is stale now; but it is
    # the same request (a retry after a dropped connection): it gets the first result.
    second = api.post("/stocktake", body, headers=key)
    assert second.status_code == 201, second.get_data(as_text=True)
    assert second.get_json() == first.get_json()
    assert snapshot(api.app) == after_first
    assert api.on_hand(S) == 3


def test_reusing_a_key_for_a_different_request_is_422_and_writes_nothing(api, subtests):
    key = {"Idempotency-Key": "k-1"}
    assert api.post("/inbound", {"lines": [{"sku": S, "qty": 3}]}, headers=key).status_code == 201
    before = snapshot(api.app)
    for name, path, body in [
        ("other qty", "/inbound", {"lines": [{"sku": S, "qty": 4}]}),
        ("other sku", "/inbound", {"lines": [{"sku": M, "qty": 3}]}),
        ("other note", "/inbound", {"lines": [{"sku": S, "qty": 3}], "note": "changed"}),
        ("extra line", "/inbound", {"lines": [{"sku": S, "qty": 3}, {"sku": M, "qty": 1}]}),
        ("other endpoint", "/stocktake", {"lines": [{"sku": S, "counted": 0, "expected": 3}]}),
    ]:
        with subtests.test(msg=name):
            assert_problem(api.post(path, body, headers=key), 422)
            assert snapshot(api.app) == before
    assert api.on_hand(S) == 3


def test_a_bad_idempotency_key_is_422_and_writes_nothing(api, subtests):
    api.auth(Role.CLERK)
    before = snapshot(api.app)
    for name, key in [
        ("empty", ""),
        ("256 characters", "x" * 256),
        ("not ASCII", "clé".encode().decode("latin-1")),
        ("control character", "tab\there"),
    ]:
        for path, body in [
            ("/inbound", {"lines": [{"sku": S, "qty": 1}]}),
            ("/stocktake", {"lines": [{"sku": S, "counted": 1, "expected": 0}]}),
        ]:
            with subtests.test(msg=f"{path} {name}"):
                response = api.post(path, body, headers={"Idempotency-Key": key})
                assert_problem(response, 422, "Idempotency-Key")
                assert snapshot(api.app) == before
    ok = api.post(
        "/inbound", {"lines": [{"sku": S, "qty": 1}]}, headers={"Idempotency-Key": "x" * 255}
    )
    assert ok.status_code == 201, "255 printable ASCII characters are a valid key"


# --- unknown URLs and methods -------------------------------------------------------------


def test_an_unknown_url_under_the_api_is_404_problem(api, subtests):
    for path in ["/nope", "/product", "/products/A1024/variant", "/v2/stock", "", "/stock/"]:
        for who, headers in [("token", api.auth(Role.MANAGER)), ("no token", {})]:
            with subtests.test(msg=f"GET {API}{path} with {who}"):
                assert_problem(api.client.get(API + path, headers=headers), 404, detail=False)
    with subtests.test(msg="POST to an unknown URL"):
        response = api.client.post(f"{API}/nope", headers=api.auth(Role.MANAGER), json={})
        assert_problem(response, 404, detail=False)


def test_a_wrong_method_is_405_problem(api, subtests):
    headers = api.auth(Role.MANAGER)
    before = snapshot(api.app)
    for method, path in [
        ("GET", "/inbound"),
        ("DELETE", "/inbound"),
        ("PUT", "/stocktake"),
        ("PUT", "/products"),
        ("DELETE", f"/products/{STYLE}"),
        ("PUT", f"/products/{STYLE}"),
        ("GET", f"/products/{STYLE}/variants"),
        ("POST", "/stock"),
        ("POST", "/movements"),
        ("PATCH", "/openapi.json"),
    ]:
        with subtests.test(msg=f"{method} {path}"):
            response = api.client.open(API + path, method=method, headers=headers, json={})
            assert_problem(response, 405, detail=False)
            assert snapshot(api.app) == before


def test_a_405_says_which_methods_are_allowed(api):
    """RFC 9110 §15.5.6: the server MUST send an Allow header with a 405."""
    response = api.client.get(f"{API}/inbound", headers=api.auth(Role.MANAGER))
    assert response.status_code == 405
    assert "POST" in {m.strip() for m in response.headers.get("Allow", "").split(",")}


def test_http_errors_carry_a_detail(api, subtests):
    """The contract: errors are problem+json with a title AND a detail."""
    big = {"lines": [{"sku": S, "qty": 1}], "note": "x" * (1 << 20)}
    for method, path, body, status in [
        ("GET", "/nope", None, 404),
        ("DELETE", "/inbound", None, 405),
        ("POST", "/inbound", big, 413),
    ]:
        with subtests.test(msg=f"{status} for {method} {path}"):
            response = api.client.open(API + path, method=method, headers=api.auth(), json=body)
            assert_problem(response, status)


def test_errors_are_never_html(api):
    for response in (
        api.client.get(f"{API}/nope"),
        api.client.delete(f"{API}/stock"),
        api.client.get(f"{API}/movements"),
        api.get("/movements", role=Role.VIEWER),
        api.post("/inbound", data="{", content_type="application/json"),
        api.post("/inbound", {"lines": []}),
    ):
        assert response.status_code >= 400
        assert response.mimetype == "application/problem+json"
        assert not response.get_data(as_text=True).lstrip().startswith("<")


def test_problems_speak_the_clients_language_and_keep_the_field_paths(api, subtests):
    """Messages follow Accept-Language; the field paths and figures do not change."""
    api.receive(**{S: 5})
    requests = {
        "422 fields": (
            "POST",
            "/inbound",
            {"lines": [{"sku": S, "qty": 0}, {"sku": "X", "qty": 1}]},
        ),
        "409 stale count": (
            "POST",
            "/stocktake",
            {"lines": [{"sku": S, "counted": 1, "expected": 3}]},
        ),
        "404 product": ("GET", "/products/NOPE", None),
        "403 role": ("POST", "/products", {"code": "P1", "name": "x", "sizes": ["S"]}),
        "400 body": ("POST", "/inbound", []),
    }
    for name, (method, path, body) in requests.items():
        with subtests.test(msg=name):
            answers = {}
            for language in ("en", "zh-CN"):
                headers = {**api.auth(Role.CLERK), "Accept-Language": language}
                response = api.client.open(API + path, method=method, headers=headers, json=body)
                answers[language] = assert_problem(response, int(name[:3]))
            en, zh = answers["en"], answers["zh-CN"]
            assert en["title"] != zh["title"], "the title is not translated"
            assert re.search(r"[\u4e00-\u9fff]", zh["title"]), zh["title"]
            assert en.get("errors", {}).keys() == zh.get("errors", {}).keys()
            assert en.get("differences") == zh.get("differences")
