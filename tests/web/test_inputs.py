"""Every input of the pages is bounded and typed before it reaches the database: control
characters, integers from the URL and the forms, missing fields, the line cap."""

import pytest
from flask_wtf import FlaskForm

from stockapp.database import write_transaction
from stockapp.models import MovementKind, Role
from stockapp.models.ledger import MAX_BALANCE, MAX_LINES
from stockapp.services import ledger, receiving, suppliers
from stockapp.services.warehouses import default_location_id
from tests.support.db import counts, insert_wide_style, on_hand, row_count
from tests.support.pages import HTMX, inbound, sign_in, text

BIG = str(2**63)  # one past the 64-bit range
WRITTEN = (
    "documents",
    "movements",
    "balances",
    "orders",
    "order_lines",
    "suppliers",
    "purchase_orders",
    "po_lines",
    "receipts",
    "receipt_lines",
    "locations",
    "users",
)


@pytest.fixture
def shop(app, client, make_user, make_style):
    """A style A1024 (Black × S, M, L) with 5 of S, a supplier, and the manager boss."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",))
    boss = make_user(Role.MANAGER, username="boss")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 5)], operator_id=boss)
        suppliers.save(name="Hangzhou Mill")
    sign_in(client, "boss")
    return skus


def written(app) -> tuple:
    return counts(app, *WRITTEN)


def order_form(skus, **fields) -> dict:
    return {
        "number": "PH-1",
        "customer": "Zhang",
        "note": "",
        "key": "k1",
        "style": "A1024",
        f"q-{skus['A1024-Black-S']}": "1",
    } | fields


# --- control characters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("number", "PH\x001", "Remove the control characters (such as a tab"),
        ("customer", "Zh\tang", "Remove the control characters (such as a tab"),
        ("note", "first\x00line", "only tabs and line breaks may stay"),
        ("note", "bell\x07", "only tabs and line breaks may stay"),
        ("key", "k\x00", "Remove the control characters (such as a tab"),
    ],
)
def test_a_control_character_in_a_form_is_refused_beside_the_field(
    app, client, shop, field, value, message
):
    before = written(app)
    response = client.post("/orders/new", data=order_form(shop, **{field: value}), headers=HTMX)
    assert response.status_code == 422
    assert message in text(response)
    assert written(app) == before


def test_a_note_keeps_its_tabs_and_line_breaks(app, client, shop):
    note = "van 7\r\n\tsecond line"
    response = client.post("/orders/new", data=order_form(shop, note=note), headers=HTMX)
    assert response.status_code == 204 and "HX-Redirect" in response.headers
    with app.app_context():
        from stockapp.extensions import db
        from stockapp.models import Order

        assert db.session.query(Order.note).scalar() == note.strip()


@pytest.mark.parametrize(
    "path, data",
    [
        ("/login", {"username": "boss\x00", "password": "x"}),
        ("/login", {"username": "boss", "password": "x\x00"}),
        ("/suppliers", {"name": "Mill\x00", "note": ""}),
        ("/locations", {"code": "A-01-01", "zone": "\x00", "note": ""}),
        ("/products/A1024/stock", {"mode": "inbound", "key": "k", "note": "\x00"}),
        ("/products/A1024/stock", {"mode": "inbound\x00", "key": "k", "note": ""}),
        ("/purchase-orders/new", {"number": "PO-1", "supplier": "1\x00", "key": "k"}),
    ],
)
def test_a_nul_is_refused_on_every_kind_of_form(app, client, shop, path, data):
    if path == "/login":
        client.post("/logout")
    before = written(app)
    response = client.post(path, data=data, headers=HTMX)
    assert response.status_code in (400, 422), text(response)[:300]
    assert written(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/?q=A\x001024",
        "/orders?q=\x00",
        "/purchase-orders?q=\x00",
        "/receive?q=\x00",
        "/logs?q=\x00",
        "/logs?operator=\x00",
        "/orders/new?add=A1024\x00",
        "/returns/new?add=\x00",
        "/purchase-orders/1/receive?add=\x00",
        "/?category=\x1b",
    ],
)
def test_a_control_character_in_the_query_string_is_a_400_that_says_so(client, shop, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "The address contains a control character" in text(response)


def test_a_control_character_in_a_path_is_a_404(client, shop):
    assert client.get("/products/A1024%00").status_code == 404
    assert client.post("/products/A%00/stock", data={}).status_code == 404
    assert client.get("/products/" + "A" * 201).status_code == 404


def test_a_scan_with_a_control_character_is_refused_beside_the_scan_box(app, client, shop):
    before = written(app)
    form = order_form(shop, add="A1024\x00")
    response = client.post("/orders/new", data=form, headers=HTMX)
    assert response.status_code == 200
    assert "Remove the control characters" in text(response)
    assert written(app) == before


# --- integers from the URL, the query string and the forms ------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/?page=9223372036854775807",
        "/orders?page=9223372036854775807",
        "/purchase-orders?page=9223372036854775807",
        "/logs?before=9223372036854775808",
        "/logs?before=99999999999999999999999999",
        "/orders?page=-3",
        # Keyset cursors that name no row, or are not keys at all: read as none or past the end.
        "/?after=" + "Z" * 40,
        "/?before=&after=",
        "/?after=%E4%B8%AD&page=abc",
        "/orders?state=all&before=abc",
        "/orders?state=all&after=-5",
        "/orders?state=all&after=999999999999999999",
        "/purchase-orders?state=all&after=1e9",
        "/receipts?state=all&before=0",
        "/logs?after=banana",
        "/logs?after=999999999999999999",
    ],
)
def test_pages_and_cursors_past_any_range_show_an_empty_page(client, shop, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/orders/2147483648",
        f"/orders/{BIG}",
        f"/purchase-orders/{BIG}",
        f"/receipts/{BIG}",
        f"/variants/{BIG}/why",
        f"/suppliers/{BIG}/edit",
        f"/documents/{BIG}/reverse",
        "/orders/１２",  # full-width digits name no order
    ],
)
def test_an_id_past_the_range_is_a_404(client, shop, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"/orders/{BIG}/complete", f"/receipts/{BIG}/approve"])
def test_a_post_to_an_id_past_the_range_is_a_404(client, shop, path):
    assert client.post(path, data={"key": "k"}).status_code == 404


@pytest.mark.parametrize("supplier", ["1" + "0" * 30, "-1", "2147483648", "x", "１"])
def test_a_supplier_id_out_of_range_is_refused_beside_the_supplier(app, client, shop, supplier):
    form = {
        "number": "PO-1",
        "supplier": supplier,
        "key": "k",
        "style": "A1024",
        f"q-{shop['A1024-Black-S']}": "3",
    }
    before = written(app)
    response = client.post("/purchase-orders/new", data=form, headers=HTMX)
    assert response.status_code == 422
    assert written(app) == before


def test_manage_stock_without_a_note_is_a_note_left_blank(app, client, shop):
    form = inbound(shop, **{"A1024-Black-M": 3})
    del form["note"]
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    assert response.status_code == 204
    with app.app_context():
        assert on_hand(shop["A1024-Black-M"]) == 3


@pytest.mark.parametrize("missing", ["mode", "key"])
def test_manage_stock_without_its_hidden_fields_is_refused(app, client, shop, missing):
    form = inbound(shop, **{"A1024-Black-M": 3})
    del form[missing]
    before = written(app)
    assert client.post("/products/A1024/stock", data=form, headers=HTMX).status_code == 422
    assert written(app) == before


# --- the line cap, the balance limit, supplier names ------------------------------------


@pytest.fixture
def wide(app, shop):
    """A style W1 of MAX_LINES + 1 sizes."""
    with app.app_context():
        return insert_wide_style("W1", MAX_LINES + 1)


def test_the_dialog_refuses_more_lines_than_the_cap(app, client, wide):
    form = {"mode": "inbound", "key": "k", "note": ""} | {f"q-{v}": "1" for v in wide}
    before = written(app)
    response = client.post("/products/W1/stock", data=form, headers=HTMX)
    assert response.status_code == 422
    assert f"At most {MAX_LINES} lines per request." in text(response)
    assert written(app) == before
    counted = {"mode": "stocktake", "key": "k2", "note": ""}
    counted |= {f"c-{v}": "1" for v in wide} | {f"s-{v}": "0" for v in wide}
    response = client.post("/products/W1/stock", data=counted, headers=HTMX)
    assert response.status_code == 422 and f"At most {MAX_LINES} lines" in text(response)
    assert written(app) == before


@pytest.mark.parametrize("path", ["/orders/new", "/purchase-orders/new", "/returns/new"])
def test_a_form_of_grids_refuses_more_lines_than_the_cap(app, client, wide, path):
    form = {"number": "X-1", "customer": "Zhang", "supplier": "1", "key": "k", "style": "W1"}
    form |= {f"q-{v}": "1" for v in wide} | {f"r-{v}": "1" for v in wide}
    before = written(app)
    response = client.post(path, data=form, headers=HTMX)
    assert response.status_code == 422
    assert f"At most {MAX_LINES} lines per request." in text(response)
    assert written(app) == before


def test_a_balance_past_2_to_the_31_shows_and_takes_more(app, client, shop):
    variant = shop["A1024-Black-M"]
    with app.app_context(), write_transaction():
        ledger.post(
            [ledger.Line(variant, default_location_id(), 2**31 + 7)],
            kind=MovementKind.INBOUND,
            operator_id=1,
            document_id=None,
        )
    assert "2,147,483,655" in text(client.get("/products/A1024"))
    response = client.post("/products/A1024/stock", data=inbound(shop, **{"A1024-Black-M": 3}))
    assert response.status_code in (204, 302)
    with app.app_context():
        assert on_hand(variant) == 2**31 + 10


def test_a_balance_past_the_limit_is_refused_in_the_dialog(app, client, shop):
    variant = shop["A1024-Black-M"]
    with app.app_context(), write_transaction():
        ledger.post(
            [ledger.Line(variant, default_location_id(), MAX_BALANCE)],
            kind=MovementKind.INBOUND,
            operator_id=1,
            document_id=None,
        )
    before = written(app)
    response = client.post(
        "/products/A1024/stock", data=inbound(shop, **{"A1024-Black-M": 1}), headers=HTMX
    )
    assert response.status_code == 422
    assert "would hold 1,000,000,000,001 pcs" in text(response) or "1000000000001" in text(response)
    assert written(app) == before


@pytest.mark.parametrize("name", ["hangzhou mill", "HANGZHOU MILL", "Ｈangzhou Mill"])
def test_a_supplier_name_taken_in_another_case_is_refused_beside_the_name(app, client, shop, name):
    before = written(app)
    response = client.post("/suppliers", data={"name": name}, headers=HTMX)
    assert response.status_code == 422
    assert "A supplier of this name exists already." in text(response)
    assert written(app) == before


def test_a_second_aenderung_is_refused_on_both_databases(app, client, shop):
    assert client.post("/suppliers", data={"name": "änderung gmbh"}).status_code in (200, 302)
    for name in ("Änderung GmbH", "änderung gmbh", "ÄNDERUNG GMBH"):
        response = client.post("/suppliers", data={"name": name}, headers=HTMX)
        assert response.status_code == 422, name
        assert "A supplier of this name exists already." in text(response)
    with app.app_context():
        assert row_count("suppliers") == 2


def test_every_form_of_the_pages_takes_the_shared_checks():
    """A form that skipped ``inputs.Form`` would let control characters through."""
    from stockapp.web import (  # noqa: F401
        accounts,
        imports,
        movements,
        orders,
        purchasing,
        returns,
        settings,
        stock,
    )
    from stockapp.web.inputs import Form

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    forms = {cls for cls in every(FlaskForm) if cls.__module__.startswith("stockapp.")}
    assert len(forms) >= 14
    assert [cls.__qualname__ for cls in forms if not issubclass(cls, Form)] == []
