"""Bad input over the API: every case a 4xx problem+json naming the field, no row written.

Each test runs a family of cases as subtests (one app per test keeps the suite fast
on PostgreSQL) and lists every failing case. Before each case the whole database
is snapshotted (rows in every table, total stock, newest movement) and compared after.
"""

import json

import pytest

from stockapp.models import Role
from tests.support.api import STYLE, Api, L, M, S, assert_problem, snapshot

NOTHING = object()  # a key left out of the line
ON_HAND_S = 5


@pytest.fixture
def api_stock():
    """Every test starts with S on hand (see the ``api`` fixture in tests/web/conftest.py)."""
    return {S: ON_HAND_S}


@pytest.fixture
def api_roles():
    return (Role.CLERK, Role.MANAGER)


def good_line(endpoint: str, sku: str = S) -> dict:
    if endpoint == "inbound":
        return {"sku": sku, "qty": 1}
    return {"sku": sku, "counted": 1, "expected": ON_HAND_S if sku == S else 0}


def refuse(api: Api, subtests, name: str, path: str, status: int, field: str | None, **send):
    """Send one bad request as the manager, as the subtest ``name``; check the problem and
    that nothing changed."""
    with subtests.test(msg=name):
        before = snapshot(api.app)
        response = api.post(path, role=Role.MANAGER, **send)
        assert 400 <= response.status_code < 500, f"status {response.status_code}"
        if field is None:
            assert_problem(response, status, detail=status != 413)
        elif field.endswith("*"):
            errors = assert_problem(response, status).get("errors", {})
            assert any(key.startswith(field[:-1]) for key in errors), errors
        else:
            assert_problem(response, status, field)
        assert snapshot(api.app) == before, "a refused request wrote something"


def still_works(api: Api, path: str, body: dict, status: int = 201) -> None:
    """The same set-up takes a good request: the refusals above were not for another reason."""
    response = api.post(path, body, role=Role.MANAGER)
    assert response.status_code == status, response.get_data(as_text=True)


# --- quantities ------------------------------------------------------------------------

BAD_NUMBERS = [
    ("negative", -1),
    ("fractional", 1.5),
    ("tiny fraction", 1.0000001),
    ("just over the maximum", 1_000_001),
    ("huge", 10**12),
    ("huge float", 1e308),
    ("number in a string", "5"),
    ("text", "abc"),
    ("empty text", ""),
    ("null", None),
    ("true", True),
    ("false", False),
    ("list", []),
    ("list of a number", [5]),
    ("object", {}),
    ("left out", NOTHING),
]
# Python's json module reads these; they are not numbers a warehouse counts in.
RAW_NUMBERS = [
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("overflowing float", "1e400"),
    ("5000-digit integer", "1" + "0" * 5000),
    ("negative zero float", "-0.0"),
]


@pytest.mark.parametrize(
    ("endpoint", "field"),
    [("inbound", "qty"), ("stocktake", "counted"), ("stocktake", "expected")],
    ids=["inbound qty", "stocktake counted", "stocktake expected"],
)
def test_bad_quantities_are_refused_and_write_nothing(api, endpoint, field, subtests):
    path = f"/{endpoint}"
    numbers = list(BAD_NUMBERS)
    if endpoint == "inbound":
        numbers.append(("zero", 0))
    for name, value in numbers:
        line = good_line(endpoint)
        if value is NOTHING:
            del line[field]
        else:
            line[field] = value
        refuse(
            api, subtests, f"{field} {name}", path, 422, f"lines[0].{field}", json={"lines": [line]}
        )
        # The same bad number after a good line: the good line is not posted either.
        refuse(
            api,
            subtests,
            f"{field} {name} on line 2",
            path,
            422,
            f"lines[1].{field}",
            json={"lines": [good_line(endpoint, M), line]},
        )
    for name, raw in RAW_NUMBERS:
        line = json.dumps(good_line(endpoint)).replace(
            f'"{field}": {good_line(endpoint)[field]}', f'"{field}": {raw}'
        )
        assert raw in line
        body = f'{{"lines": [{line}]}}'
        if name == "5000-digit integer":
            # Python refuses to parse it (int max str digits): a 400 is as good as a 422.
            with subtests.test(msg=f"{field} {name}"):
                before = snapshot(api.app)
                response = api.post(
                    path, role=Role.MANAGER, data=body, content_type="application/json"
                )
                assert response.status_code in (400, 422), response.status_code
                assert_problem(response, response.status_code)
                assert snapshot(api.app) == before
            continue
        if name == "negative zero float" and endpoint != "inbound":
            continue  # -0.0 is a whole number 0, a valid count
        refuse(
            api,
            subtests,
            f"{field} {name}",
            path,
            422,
            f"lines[0].{field}",
            data=body,
            content_type="application/json",
        )
    still_works(api, path, {"lines": [good_line(endpoint)]})


# --- lines, SKUs, notes ------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["inbound", "stocktake"])
def test_bad_lines_skus_and_notes_are_refused_and_write_nothing(api, endpoint, subtests):
    path = f"/{endpoint}"
    good = good_line(endpoint)
    qty_field = "qty" if endpoint == "inbound" else "counted"

    def without(key: str) -> dict:
        return {k: v for k, v in good.items() if k != key}

    for name, body, field in [
        ("no lines", {"note": "x"}, "lines"),
        ("empty lines", {"lines": []}, "lines"),
        ("lines null", {"lines": None}, "lines"),
        ("lines as a dict", {"lines": good}, "lines"),
        ("lines as text", {"lines": S}, "lines"),
        ("a line as text", {"lines": [S]}, "lines[0]"),
        ("a line as a list", {"lines": [[S, 1]]}, "lines[0]"),
        ("a line null", {"lines": [good, None]}, "lines[1]"),
        ("line without sku", {"lines": [without("sku")]}, "lines[0].sku"),
        ("line without qty", {"lines": [without(qty_field)]}, f"lines[0].{qty_field}"),
        ("sku as a number", {"lines": [{**good, "sku": 1024}]}, "lines[0].sku"),
        ("sku null", {"lines": [{**good, "sku": None}]}, "lines[0].sku"),
        ("sku as a list", {"lines": [{**good, "sku": [S]}]}, "lines[0].sku"),
        ("sku empty", {"lines": [{**good, "sku": ""}]}, "lines[0].sku"),
        ("sku of 101 characters", {"lines": [{**good, "sku": "X" * 101}]}, "lines[0].sku"),
        ("unknown sku", {"lines": [{**good, "sku": "NOPE-1"}]}, "lines[0].sku"),
        ("sku in the wrong case", {"lines": [{**good, "sku": S.lower()}]}, "lines[0].sku"),
        ("sku with a space", {"lines": [{**good, "sku": S + " "}]}, "lines[0].sku"),
        (
            "unknown sku after a good line",
            {"lines": [good_line(endpoint, M), {**good, "sku": "NOPE-1"}]},
            "lines[1].sku",
        ),
        ("a sku listed twice", {"lines": [good, good_line(endpoint, L), good]}, "lines[2].sku"),
        ("note as a number", {"lines": [good], "note": 5}, "note"),
        ("note as a list", {"lines": [good], "note": ["x"]}, "note"),
        ("note of 600 characters", {"lines": [good], "note": "n" * 600}, "note"),
        ("1001 lines", {"lines": [good] * 1001}, "lines"),
    ]:
        refuse(api, subtests, name, path, 422, field, json=body)
    still_works(api, path, {"lines": [good, good_line(endpoint, L)], "note": "n" * 500})


# --- whole bodies ------------------------------------------------------------------------

BAD_BODIES = [
    # name, raw body, content type, status
    ("malformed JSON", b'{"lines": [', "application/json", 400),
    ("trailing comma", b'{"lines": [],}', "application/json", 400),
    ("single quotes", b"{'lines': []}", "application/json", 400),
    ("a JSON array", json.dumps([{"sku": S, "qty": 1}]).encode(), "application/json", 400),
    ("a JSON string", b'"lines"', "application/json", 400),
    ("a JSON number", b"5", "application/json", 400),
    ("JSON null", b"null", "application/json", 400),
    ("an empty body", b"", "application/json", 400),
    ("an empty body, no content type", b"", None, 400),
    ("not UTF-8", b'{"lines": [], "note": "\xff\xfe"}', "application/json", 400),
    ("form encoded", b"lines=1", "application/x-www-form-urlencoded", 400),
]


@pytest.mark.parametrize("endpoint", ["inbound", "stocktake", "products"])
def test_bad_bodies_are_refused_and_write_nothing(api, endpoint, subtests):
    path = f"/{endpoint}"
    for name, raw, content_type, status in BAD_BODIES:
        send = {"data": raw} | ({"content_type": content_type} if content_type else {})
        refuse(api, subtests, name, path, status, None, **send)
    if endpoint == "products":
        big = {"code": "B1", "name": "x" * (1 << 20), "sizes": ["S"]}
    else:
        big = {"lines": [good_line(endpoint)], "note": "x" * (1 << 20)}
    refuse(api, subtests, "a 1 MB note", path, 413, None, json=big)


# --- POST /products ------------------------------------------------------------------------


def test_bad_product_input_is_422_naming_the_field_and_writes_nothing(api, subtests):
    base = {"code": "B1", "name": "Polo", "sizes": ["S", "M"], "colors": ["Red"]}
    existing_barcode = api.get(f"/products/{STYLE}").get_json()["variants"][0]["barcode"]

    def but(**changes) -> dict:
        return {k: v for k, v in {**base, **changes}.items() if v is not NOTHING}

    bad_products = [
        ("no code", but(code=NOTHING), "code"),
        ("no name", but(name=NOTHING), "name"),
        ("no sizes", but(sizes=NOTHING), "sizes"),
        ("code null", but(code=None), "code"),
        ("code empty", but(code=""), "code"),
        ("code with a space", but(code="B 1"), "code"),
        ("code starting with a dash", but(code="-B1"), "code"),
        ("code with a slash", but(code="B/1"), "code"),
        ("code not ASCII", but(code="款1"), "code"),
        ("code of 33 characters", but(code="B" * 33), "code"),
        ("code as a number", but(code=1024), "code"),
        ("duplicate code", but(code=STYLE), "code"),
        ("name blank", but(name="   "), "name"),
        ("name of 121 characters", but(name="n" * 121), "name"),
        ("name as a number", but(name=5), "name"),
        ("sizes empty", but(sizes=[]), "sizes"),
        ("sizes as text", but(sizes="S"), "sizes"),
        ("sizes as a dict", but(sizes={"S": 1}), "sizes"),
        ("sizes with a number", but(sizes=["S", 40]), "sizes"),
        ("duplicate sizes", but(sizes=["S", "M", "S"]), "sizes"),
        ("an empty size", but(sizes=["S", ""]), "sizes"),
        ("a size with spaces around", but(sizes=[" S"]), "sizes"),
        ("a size of 21 characters", but(sizes=["x" * 21]), "sizes"),
        ("colors as text", but(colors="Red"), "colors"),
        ("duplicate colors", but(colors=["Red", "Red"]), "colors"),
        ("an empty colour", but(colors=[""]), "colors"),
        ("a colour as a number", but(colors=[1]), "colors"),
        ("a colour with a NUL", but(colors=["Red\x00"]), "colors"),
        ("a size with a NUL", but(sizes=["S", "\x00M"]), "sizes"),
        ("price as text", but(cost_price="abc"), "cost_price"),
        ("negative price", but(cost_price=-1), "cost_price"),
        ("negative price text", but(sale_price="-0.01"), "sale_price"),
        ("three decimals", but(cost_price="1.999"), "cost_price"),
        ("huge price", but(sale_price=1e20), "sale_price"),
        ("NaN price", but(cost_price="NaN"), "cost_price"),
        ("infinite price", but(cost_price="Infinity"), "cost_price"),
        ("price true", but(cost_price=True), "cost_price"),
        ("price as a list", but(sale_price=[1]), "sale_price"),
        ("price as an object", but(sale_price={}), "sale_price"),
        ("category as a number", but(category=5), "category"),
        ("category of 61 characters", but(category="c" * 61), "category"),
        ("unit as a list", but(unit=[]), "unit"),
        ("unit of 17 characters", but(unit="u" * 17), "unit"),
        ("barcodes as text", but(barcodes="123456"), "barcodes"),
        ("a barcode entry as a number", but(barcodes=[5]), "barcodes[0]"),
        (
            "a barcode entry without barcode",
            but(barcodes=[{"size": "S", "color": "Red"}]),
            "barcodes[0].barcode",
        ),
        (
            "a barcode entry without size",
            but(barcodes=[{"color": "Red", "barcode": "12345"}]),
            "barcodes[0].size",
        ),
        (
            "a barcode too short",
            but(barcodes=[{"size": "S", "color": "Red", "barcode": "12"}]),
            "barcodes",
        ),
        (
            "a barcode already in use",
            but(barcodes=[{"size": "S", "color": "Red", "barcode": existing_barcode}]),
            "barcodes",
        ),
        (
            "one barcode for two variants",
            but(
                barcodes=[
                    {"size": "S", "color": "Red", "barcode": "12345"},
                    {"size": "M", "color": "Red", "barcode": "12345"},
                ]
            ),
            "barcodes",
        ),
    ]
    for index, (name, body, field) in enumerate(bad_products):
        if body.get("code") == base["code"]:
            # Its own code, so that a case the app wrongly accepts spoils no other case.
            body["code"] = f"N{index}"
        refuse(api, subtests, name, "/products", 422, field, json=body)
    still_works(api, "/products", but(cost_price="59.90", sale_price=99))


def test_a_barcode_that_fits_no_variant_is_refused_not_dropped(api, subtests):
    """A barcode the user typed must not be thrown away without a word (rule 6)."""
    base = {"code": "B1", "name": "Polo", "sizes": ["S", "M"], "colors": ["Red"]}
    unfitting = [
        (
            "a barcode for a size the product does not have",
            [{"size": "XL", "color": "Red", "barcode": "12345"}],
        ),
        (
            "a barcode for a colour the product does not have",
            [{"size": "S", "color": "Blue", "barcode": "12345"}],
        ),
        (
            "a barcode without a colour for a product with colours",
            [{"size": "S", "barcode": "12345"}],
        ),
        (
            "two barcodes for one variant",
            [
                {"size": "S", "color": "Red", "barcode": "12345"},
                {"size": "S", "color": "Red", "barcode": "67890"},
            ],
        ),
    ]
    for index, (name, barcodes) in enumerate(unfitting):
        body = {**base, "code": f"N{index}", "barcodes": barcodes}
        refuse(api, subtests, name, "/products", 422, "barcodes*", json=body)


def test_every_bad_product_field_is_named_at_once(api):
    """One answer names every bad field (the Reader's promise), so a form can mark them
    all; not the type errors first and the size, colour and barcode errors on a retry."""
    before = snapshot(api.app)
    response = api.post(
        "/products",
        {
            "code": "B 1",
            "name": "n" * 121,
            "sizes": ["S", "S"],
            "colors": [""],
            "cost_price": "abc",
            "barcodes": [{"size": "S", "barcode": "1"}],
        },
        role=Role.MANAGER,
    )
    assert_problem(response, 422, "code", "name", "sizes", "colors", "cost_price", "barcodes")
    assert snapshot(api.app) == before
