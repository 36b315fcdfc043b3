"""User values are escaped wherever they land in HTML, translated messages included.

Flask-Babel's lazy strings claim to be markup (they have ``__html__``), so a message
that interpolates a user's value, such as "Order <number> is already complete.",
must escape that value itself: these cases stored or sent one and found it raw.
"""

import csv
import io

import pytest

from stockapp.models import Role
from stockapp.services import orders, receiving
from tests.support.pages import HTMX, sign_in, text

HOSTILE = "<img src=x onerror=alert(1)>"
SVG = "<svg onload=alert(1)>"


@pytest.fixture
def manager(client, make_user):
    make_user(Role.MANAGER, username="boss")
    sign_in(client, "boss")


@pytest.fixture
def completed(app, make_style, make_user):
    """An order numbered with markup, picked and completed."""
    skus = make_style("A1024", sizes=("S",), colours=("Black",))
    variant = skus["A1024-Black-S"]
    clerk = make_user(Role.CLERK, username="li")
    boss = make_user(Role.MANAGER, username="chief")
    with app.test_request_context():
        receiving.receive(lines=[(variant, 5)], operator_id=clerk)
        order = orders.create(
            number=HOSTILE, customer=HOSTILE, lines=[(variant, 1)], operator_id=clerk
        )
        orders.record_picks(order["id"], lines=[(variant, 1)], operator_id=clerk)
        orders.complete(order["id"], operator_id=boss)
    return order["id"]


def assert_escaped(page: str, value: str) -> None:
    assert value not in page, f"{value} came back raw"
    assert value.replace("<", "&lt;").replace(">", "&gt;") in page, "the value is missing"


def test_a_second_completion_names_the_order_escaped(client, manager, completed):
    again = client.post(f"/orders/{completed}/complete", data={"key": "again"}, headers=HTMX)
    assert again.status_code == 422
    assert_escaped(text(again), HOSTILE)


def test_a_flashed_refusal_names_the_order_escaped(client, manager, completed):
    again = client.post(f"/orders/{completed}/complete", data={"key": "again2"})
    assert again.status_code in (302, 303, 422)
    page = text(client.get(f"/orders/{completed}"))
    assert_escaped(page, HOSTILE)


@pytest.mark.parametrize("path", ["/orders/new", "/returns/new"])
def test_an_unknown_code_to_add_is_escaped(client, manager, make_style, path):
    make_style("A1024", sizes=("S",), colours=("Black",))
    page = text(client.get(path, query_string={"key": "1", "add": SVG}))
    assert_escaped(page, SVG)


# --- every page, partial, flash and print view, with markup stored in every text field ---

# One marker per text field a user can type: a tag no template writes, so a raw one is
# always a user's value that escaped nothing.
FIELDS = (
    "name", "category", "unit", "colour", "size", "note", "customer", "number", "reason",
    "supplier", "contact", "phone", "zone", "location_note", "user", "po", "q",
)  # fmt: skip
MARK = {field: f"<x-{field}>" for field in FIELDS}


@pytest.fixture
def hostile_shop(app, api, make_user):
    """A shop where every text a user typed is markup: a style, stock in and counted,
    orders completed, returned and cancelled, a supplier, a PO and receipts submitted and
    rejected, a location, all by a clerk whose user name is markup. The ids pages need."""
    from stockapp.services import accounts, warehouses

    clerk_id = make_user(Role.CLERK, username=MARK["user"])
    boss = make_user(Role.MANAGER, username="boss")
    with app.app_context():
        clerk = {"Authorization": "Bearer " + accounts.create_token(MARK["user"])[1]}
        warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(),
            code="H-01",
            zone=MARK["zone"],
            note=MARK["location_note"],
        )
        # A warehouse the pages reach as <code> (H1, the style's code too), the clerk's.
        hostile = warehouses.create_warehouse(code="H1", name=MARK["name"], actor_id=boss)
        warehouses.create_location(
            warehouse_id=hostile, code="H-01", zone=MARK["zone"], note=MARK["location_note"]
        )
        warehouses.set_user_warehouses(
            user_id=clerk_id, warehouse_ids=[warehouses.main_warehouse_id(), hostile]
        )

    def post(path, body, role=Role.MANAGER, status=201, as_clerk=False):
        headers = clerk if as_clerk else {}
        response = api.post(path, body, role=None if as_clerk else role, headers=headers)
        assert response.status_code == status, f"{path}: {response.get_data(as_text=True)}"
        return response.get_json()

    product = {"code": "H1", "name": MARK["name"], "category": MARK["category"]}
    grid = {"unit": MARK["unit"], "sizes": [MARK["size"]], "colors": [MARK["colour"]]}
    post("/products", product | grid)
    sku = f"H1-{MARK['colour']}-{MARK['size']}"
    note = MARK["note"]
    post("/inbound", {"lines": [{"sku": sku, "qty": 9}], "note": note}, as_clerk=True)
    count = {"sku": sku, "counted": 8, "expected": 9}
    post("/stocktake", {"lines": [count], "note": note}, as_clerk=True)
    order = {"customer": MARK["customer"], "note": note, "lines": [{"sku": sku, "qty": 2}]}
    done = post("/orders", order | {"number": MARK["number"]}, as_clerk=True)["id"]
    picks = {"lines": [{"sku": sku, "picked": 2}]}
    post(f"/orders/{done}/picks", picks, status=200, as_clerk=True)
    post(f"/orders/{done}/complete", None, status=200)
    damaged = {"sku": sku, "qty": 1, "condition": "damaged"}
    post("/returns", {"order": done, "note": note, "lines": [damaged]}, as_clerk=True)
    cancelled = post("/orders", order | {"number": MARK["number"] + "2"}, as_clerk=True)["id"]
    post(f"/orders/{cancelled}/cancel", {"reason": MARK["reason"]}, status=200, as_clerk=True)
    supplier = {"name": MARK["supplier"], "contact": MARK["contact"], "phone": MARK["phone"]}
    supplier_id = post("/suppliers", supplier | {"note": note})["id"]
    po = {"supplier": supplier_id, "note": note, "lines": [{"sku": sku, "qty": 5}]}
    po_id = post("/purchase-orders", po | {"number": MARK["po"]})["id"]
    line = {"sku": sku, "received": 1, "damaged": 1, "reason": "damaged", "note": note}
    receipt = {"po": po_id, "note": note, "submit": True, "lines": [line]}
    submitted = post("/receipts", receipt, as_clerk=True)["receipt"]["id"]
    rejected = post("/receipts", receipt, as_clerk=True)["receipt"]["id"]
    post(f"/receipts/{rejected}/reject", {"reason": MARK["reason"]}, status=200)
    transfer = {"from_warehouse": "MAIN", "to_warehouse": "H1", "lines": [{"sku": sku, "qty": 1}]}
    transfer_id = post("/transfers", transfer, as_clerk=True)["id"]
    post(f"/transfers/{transfer_id}/ship", None, status=200, as_clerk=True)
    arrived = {"lines": [{"sku": sku, "received": 0, "reason": MARK["reason"]}]}
    post(f"/transfers/{transfer_id}/receive", arrived, status=200, as_clerk=True)
    with app.app_context():
        from stockapp.extensions import db
        from stockapp.models import Document, Variant

        variant = db.session.scalar(db.select(Variant.id).where(Variant.sku == sku))
        document = db.session.scalar(db.select(Document.id).order_by(Document.id).limit(1))
    sheet = io.StringIO()
    csv.writer(sheet).writerows([["code", "name", "colour", "S"], ["H2", MARK["name"], "", 3]])
    with app.test_request_context():
        from stockapp.services import imports

        content = sheet.getvalue().encode()
        import_id = imports.upload(content=content, filename=MARK["name"], actor_id=boss)["id"]
    return {
        "import_id": import_id,
        "extension": "xlsx",
        "code": "H1",
        "location_code": "H-01",
        "order_id": done,
        "po_id": po_id,
        "document_id": document,
        "variant_id": variant,
        "supplier_id": supplier_id,
        "receipts": (submitted, rejected),
        "orders": (done, cancelled),
        "user_id": clerk_id,
        "transfer_id": transfer_id,
    }


def _page_urls(app, ids: dict) -> list[str]:
    """Every GET page, each with the ids of the hostile shop and a hostile search."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith(("api.", "static")):
            continue
        args = {name: ids[name] for name in rule.arguments}
        for variant in _variants(rule.arguments, ids):
            args |= variant
            urls.append(app.url_map.bind("localhost").build(rule.endpoint, args))
    return urls


def _variants(arguments, ids):
    """Each receipt and order the shop has, where the route takes one."""
    if "document_id" in arguments:
        return [{}] + [{"document_id": r} for r in ids["receipts"]]
    if "order_id" in arguments:
        return [{"order_id": o} for o in ids["orders"]]
    return [{}]


def _raw_marks(page: str) -> list[str]:
    return [mark for mark in MARK.values() if mark in page]


def _escaped_marks(page: str) -> set[str]:
    return {f for f, m in MARK.items() if m.replace("<", "&lt;").replace(">", "&gt;") in page}


@pytest.mark.parametrize("who", ["manager", "clerk"])
def test_no_stored_value_comes_back_raw_on_any_page_or_partial(app, client, hostile_shop, who):
    from tests.support.pages import as_user

    as_user(client, "boss" if who == "manager" else MARK["user"])
    seen, pages = set(), 0
    search = {"q": MARK["q"], "add": MARK["q"]}
    for url in _page_urls(app, hostile_shop):
        for headers in ({}, HTMX):
            for query in ({}, {"state": "all"}, search):
                response = client.get(url, headers=headers, query_string=query)
                assert response.status_code < 500, url
                body = response.get_data()  # read to the end: the exports stream
                if response.mimetype != "text/html":
                    continue
                pages += 1
                page = body.decode()
                assert not _raw_marks(page), f"{url} {headers} {query}: {_raw_marks(page)}"
                seen |= _escaped_marks(page)
    assert pages > 100
    if who == "manager":  # every field was shown somewhere, escaped
        assert seen == set(FIELDS), f"never shown: {set(FIELDS) - seen}"


def test_flashed_messages_with_stored_values_are_escaped(client, hostile_shop, subtests):
    """Actions that name what they acted on, in the flash of the next page."""
    sign_in(client, "boss")
    posts = [
        ("/suppliers", {"name": MARK["supplier"] + "b", "contact": "", "phone": "", "note": ""}),
        (f"/suppliers/{hostile_shop['supplier_id']}/edit",
         {"name": MARK["supplier"], "contact": MARK["contact"], "phone": "", "note": ""}),
        (f"/orders/{hostile_shop['order_id']}/complete", {"key": "again"}),
        (f"/orders/{hostile_shop['orders'][1]}/cancel", {"key": "again", "reason": "x"}),
        (f"/receipts/{hostile_shop['receipts'][1]}/approve", {"key": "again"}),
    ]  # fmt: skip
    for path, form in posts:
        with subtests.test(msg=path):
            response = client.post(path, data=form, follow_redirects=True)
            assert response.status_code < 500
            page = text(response) + text(client.get("/"))
            assert not _raw_marks(page), f"{path}: {_raw_marks(page)}"
            if path.startswith("/suppliers"):  # "Supplier … added / saved."
                assert "Supplier &lt;x-supplier&gt;" in page
