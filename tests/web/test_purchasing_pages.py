"""The purchasing pages on the floor and in the office: purchase orders (list, new,
place, close, discrepancy sheet), backorders, receiving against a PO on the tablet
(find, the receiving sheet with scans), the receipts queue (approve, reject,
submit a draft, print), and the manage-stock dialog's inbound when it needs approval."""

import html
import re
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Document, Role
from stockapp.services import purchasing, receiving, settings, suppliers, warehouses
from tests.support.db import counts, on_hand, row_count
from tests.support.pages import (
    HTMX,
    as_user,
    error_beside,
    events,
    inbound,
    scan_error,
    sign_in,
    text,
    today_where_the_app_is,
    value_of,
)

WHOLE_NUMBER = "Enter a whole number from 0 to 1000000."
PRICE = "Enter a price such as 59.90."
# What a refused request must leave exactly as it was.
WRITES = (
    "purchase_orders",
    "po_lines",
    "receipts",
    "receipt_lines",
    "documents",
    "movements",
    "idempotency_records",
)


@pytest.fixture
def mill(app, client, make_user, make_style):
    """Styles A1024 (Black × S, M, L; cost 42.50) and B2048 (Navy × 38, 40; no cost);
    suppliers Hangzhou Mill and Ningbo Knits; a second location A-01; a manager (boss),
    a clerk (li) and a viewer (sales); li is signed in. No stock yet."""
    v = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",), cost_price=Decimal("42.50"))
    v |= make_style("B2048", sizes=("38", "40"), colours=("Navy",))
    users = {
        "boss": make_user(Role.MANAGER, username="boss"),
        "li": make_user(Role.CLERK, username="li"),
        "sales": make_user(Role.VIEWER, username="sales"),
    }
    with app.app_context():
        hangzhou = suppliers.save(name="Hangzhou Mill", contact="Mr Chen", phone="0571-1234")
        ningbo = suppliers.save(name="Ningbo Knits")
        a01 = warehouses.create_location(warehouse_id=warehouses.main_warehouse_id(), code="A-01")
        default = warehouses.default_location_id()
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    assert sign_in(client, "li").status_code == 302
    return SimpleNamespace(
        v=v,
        barcode=barcodes,
        hangzhou=hangzhou,
        ningbo=ningbo,
        a01=a01,
        default=default,
        **users,
    )


# ---------------------------------------------------------------- set-up through the services


def new_po(app, mill, lines: dict, number="PO-1", *, place=True, supplier=None, **fields) -> int:
    """A PO by the manager of ``{sku: qty}`` (or ``{sku: (qty, unit cost)}``); its id."""
    ordered = []
    for sku, qty in lines.items():
        qty, cost = qty if isinstance(qty, tuple) else (qty, None)
        ordered.append(purchasing.OrderedLine(mill.v[sku], qty, cost))
    with app.test_request_context():
        created = purchasing.create(
            number=number,
            supplier_id=supplier or mill.hangzhou,
            lines=ordered,
            operator_id=mill.boss,
            place=place,
            **fields,
        )
    return created["id"]


def new_receipt(app, mill, po_id, lines: dict, *, user=None, submit=True, note="") -> int:
    """A receipt of ``{sku: received}`` or ``{sku: dict(received=…, damaged=…, …)}``
    (by li unless ``user``), submitted unless told; its document id."""
    arrived = [
        receiving.ArrivedLine(
            variant_id=mill.v[sku], **(line if isinstance(line, dict) else {"received": line})
        )
        for sku, line in lines.items()
    ]
    with app.test_request_context():
        result = receiving.create(
            po_id=po_id,
            lines=arrived,
            operator_id=user or mill.li,
            note=note,
            submit=submit,
        )
    return result["document"]["id"]


def approve(app, mill, document_id) -> None:
    with app.test_request_context():
        receiving.approve(document_id, operator_id=mill.boss)


def change_settings(app, **values) -> None:
    with app.app_context():
        settings.update(values)


# ---------------------------------------------------------------- reading the database


def po_status(app, po_id) -> str:
    with app.app_context():
        return db.session.scalar(sa.text(f"SELECT status FROM purchase_orders WHERE id = {po_id}"))


def po_lines(app, po_id) -> dict:
    """{variant id: (ordered, cancelled, unit cost)}"""
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT variant_id, ordered, cancelled, unit_cost FROM po_lines WHERE po_id = :p"
            ),
            {"p": po_id},
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def po_id_of(app, number) -> int | None:
    with app.app_context():
        return db.session.scalar(
            sa.text("SELECT id FROM purchase_orders WHERE number = :n"), {"n": number}
        )


def receipt_status(app, document_id) -> str:
    with app.app_context():
        return db.session.scalar(sa.text(f"SELECT status FROM documents WHERE id = {document_id}"))


def receipt_number(app, document_id) -> str:
    with app.app_context():
        return db.session.get(Document, document_id).number


def receipt_lines(app, document_id) -> dict:
    """{variant id: (received, damaged, reason, note, location id)}"""
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT variant_id, received, damaged, reason, note, location_id "
                "FROM receipt_lines WHERE document_id = :d"
            ),
            {"d": document_id},
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def last_receipt(app) -> int | None:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT MAX(document_id) FROM receipts"))


def stock_of(app, *variant_ids) -> tuple:
    """On hand over every location, quarantine included."""
    with app.app_context():
        return tuple(on_hand(v) for v in variant_ids)


def stock_at(app, variant_id, location_id) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.text(
                "SELECT COALESCE(SUM(qty), 0) FROM balances "
                "WHERE variant_id = :v AND location_id = :l"
            ),
            {"v": variant_id, "l": location_id},
        )


def snapshot(app) -> tuple:
    return counts(app, *WRITES)


# ---------------------------------------------------------------- reading pages


def selected(page: str, name: str) -> str | None:
    """The value of the option selected in the select called ``name`` ("" if none is)."""
    found = re.search(rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    if found is None:
        return None
    option = re.search(r"<option\b[^>]*\bselected\b[^>]*>", found[1])
    return re.search(r'\bvalue="([^"]*)"', option[0])[1] if option else ""


def due_on_sheet(page: str, label: str) -> str:
    """The "Due" figure of a receiving-sheet row (label: "Black S")."""
    found = re.search(
        rf'<th scope="row">{re.escape(label)}(?:<br>[^\n]*?)?</th>\s*'
        r'<td class="num">([^<]*)(?:<br><span class="waiting">[^<]*</span>)?</td>',
        page,
    )
    assert found, f"no row {label}"
    return found[1].strip()


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def receipt_rows(page: str) -> dict:
    """The receipt page's lines: {sku: [the text of each cell after the SKU]}."""
    rows = {}
    for row in re.findall(r"<tr class=\"[^\"]*\">\s*<td><strong>.*?</tr>", page, re.S):
        cells = [plain(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def row_of(page: str, number: str) -> str:
    """The table row that links to PO ``number``."""
    found = re.search(
        rf"<tr[^>]*>(?:(?!</tr>).)*<strong>{re.escape(number)}</strong>.*?</tr>", page, re.S
    )
    assert found, f"no row for {number}"
    return found[0]


def po_form(mill, number="PO-100", *, supplier=None, key="k1", place=True, **fields) -> dict:
    """A new-PO form with both styles on it and nothing typed in the grids."""
    form = {
        "number": number,
        "supplier": str(supplier or mill.hangzhou),
        "expected_on": "",
        "note": "",
        "key": key,
        "style": ["A1024", "B2048"],
    }
    if place:
        form["place"] = "y"
    return form | fields


def qty(mill, **cells) -> dict:
    """Grid cells by SKU with "_" for "-": q-<variant id>."""
    return {f"q-{mill.v[sku.replace('_', '-')]}": str(n) for sku, n in cells.items()}


def sheet(mill, key="r1", note="", **cells) -> dict:
    """A receiving-sheet form: cells by field and SKU, e.g. ``r_A1024_Black_S=3``."""
    form = {"key": key, "note": note}
    for name, value in cells.items():
        prefix, sku = name.split("_", 1)
        form[f"{prefix}-{mill.v[sku.replace('_', '-')]}"] = str(value)
    return form


# ---------------------------------------------------------------- sign-in and roles


@pytest.fixture
def papers(app, mill):
    """PO-1 (ordered: Black-S 10), PO-2 (a draft) and a submitted receipt of 4 on PO-1."""
    po = new_po(app, mill, {"A1024-Black-S": 10})
    draft = new_po(app, mill, {"A1024-Black-M": 5}, number="PO-2", place=False)
    document = new_receipt(app, mill, po, {"A1024-Black-S": 4})
    return SimpleNamespace(po=po, draft=draft, receipt=document)


PAGES = [
    ("GET", "/purchase-orders"),
    ("GET", "/purchase-orders/{po}"),
    ("GET", "/purchase-orders/{po}/discrepancies"),
    ("GET", "/backorders"),
    ("GET", "/receive?q=PO-1"),
    ("GET", "/purchase-orders/{po}/receive"),
    ("GET", "/receipts"),
    ("GET", "/receipts/{rc}"),
    ("GET", "/receipts/{rc}/print"),
    ("POST", "/purchase-orders/{po}/receive"),
    ("POST", "/receipts/{rc}/submit"),
]
MANAGERS_ONLY = [
    ("GET", "/purchase-orders/new"),
    ("POST", "/purchase-orders/new"),
    ("POST", "/purchase-orders/{draft}/place"),
    ("POST", "/purchase-orders/{po}/close"),
    ("POST", "/receipts/{rc}/approve"),
    ("GET", "/receipts/{rc}/reject"),
    ("POST", "/receipts/{rc}/reject"),
]


def some_form(mill, path: str) -> dict:
    """A form that would do something, were the user allowed to."""
    if path.endswith("/new"):
        return po_form(mill, **qty(mill, A1024_Black_L=3))
    if path.endswith("/receive"):
        return sheet(mill, r_A1024_Black_S=2)
    return {"key": "k1", "reason": "wrong supplier"}


def assert_untouched(app, papers, before):
    assert snapshot(app) == before
    assert (po_status(app, papers.po), po_status(app, papers.draft)) == ("ordered", "draft")
    assert receipt_status(app, papers.receipt) == "submitted"


@pytest.mark.parametrize(("method", "path"), PAGES + MANAGERS_ONLY)
def test_every_purchasing_page_needs_sign_in(app, client, mill, papers, method, path):
    client.post("/logout")
    before = snapshot(app)
    url = path.format(po=papers.po, draft=papers.draft, rc=papers.receipt)
    response = client.open(url, method=method, data=some_form(mill, path))
    assert response.status_code == 302 and "/login?next=" in response.location
    assert_untouched(app, papers, before)


def test_a_viewer_is_refused_every_purchasing_page_and_action(app, client, mill, papers):
    as_user(client, "sales")
    before = snapshot(app)
    for method, path in PAGES + MANAGERS_ONLY:
        url = path.format(po=papers.po, draft=papers.draft, rc=papers.receipt)
        for headers in ({}, HTMX):
            response = client.open(url, method=method, data=some_form(mill, path), headers=headers)
            assert response.status_code == 403, (method, url, headers)
    assert_untouched(app, papers, before)


def test_a_clerk_sees_and_receives_but_may_not_order_or_decide(app, client, mill, papers):
    for path in (
        "/purchase-orders",
        "/purchase-orders?state=all",
        f"/purchase-orders/{papers.po}",
        f"/purchase-orders/{papers.draft}",
        f"/purchase-orders/{papers.po}/discrepancies",
        "/backorders",
        "/receive",
        "/receive?q=PO-1",
        f"/purchase-orders/{papers.po}/receive",
        "/receipts",
        f"/receipts/{papers.receipt}",
        f"/receipts/{papers.receipt}/print",
    ):
        assert client.get(path).status_code == 200, path
    # No button that would only answer 403.
    assert "New purchase order" not in text(client.get("/purchase-orders"))
    assert "Mark as ordered" not in text(client.get(f"/purchase-orders/{papers.draft}"))
    po_page = text(client.get(f"/purchase-orders/{papers.po}"))
    assert f"/purchase-orders/{papers.po}/close" not in po_page and "Receive goods" in po_page
    receipt_page = text(client.get(f"/receipts/{papers.receipt}"))
    assert 'id="approve"' not in receipt_page and "/reject" not in receipt_page
    before = snapshot(app)
    for method, path in MANAGERS_ONLY:
        url = path.format(po=papers.po, draft=papers.draft, rc=papers.receipt)
        for headers in ({}, HTMX):
            response = client.open(url, method=method, data=some_form(mill, path), headers=headers)
            assert response.status_code == 403, (method, url, headers)
    assert_untouched(app, papers, before)
    assert stock_of(app, mill.v["A1024-Black-S"]) == (0,)
    assert client.get("/purchase-orders/9999").status_code == 404
    assert client.get("/receipts/9999").status_code == 404
    assert client.get("/purchase-orders/9999/receive").status_code == 404


def test_a_manager_sees_the_buttons(app, client, mill, papers):
    as_user(client, "boss")
    assert "New purchase order" in text(client.get("/purchase-orders"))
    assert "Mark as ordered" in text(client.get(f"/purchase-orders/{papers.draft}"))
    assert f"/purchase-orders/{papers.po}/close" in text(
        client.get(f"/purchase-orders/{papers.po}")
    )
    page = text(client.get(f"/receipts/{papers.receipt}"))
    assert 'id="approve"' in page and f"/receipts/{papers.receipt}/reject" in page


# ---------------------------------------------------------------- the PO list


def test_the_po_list_filters_by_state_and_search(app, client, mill):
    ordered = new_po(app, mill, {"A1024-Black-S": 10, "A1024-Black-M": 5}, number="PO-1")
    new_po(app, mill, {"B2048-Navy-38": 4}, number="PO-2", supplier=mill.ningbo)
    new_po(app, mill, {"A1024-Black-L": 2}, number="PO-3", place=False)
    approve(app, mill, new_receipt(app, mill, ordered, {"A1024-Black-S": 6}))
    waiting = text(client.get("/purchase-orders"))
    assert "PO-1" in waiting and "PO-2" in waiting and "PO-3" not in waiting
    row = row_of(waiting, "PO-1")
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["15", "6", "9"]
    assert "Partially received" in row and "Hangzhou Mill" in row
    drafts = text(client.get("/purchase-orders?state=draft"))
    assert "PO-3" in drafts and "PO-1" not in drafts
    found = text(client.get("/purchase-orders?state=all&q=ningbo", headers=HTMX))
    assert "PO-2" in found and "PO-1" not in found and "<html" not in found
    assert "PO-3" in text(client.get("/purchase-orders?state=all&q=po-3"))
    assert "No purchase orders here." in text(client.get("/purchase-orders?state=closed"))


# ---------------------------------------------------------------- a new purchase order


def test_the_new_po_form_suggests_a_number_and_a_key(app, client, mill):
    as_user(client, "boss")
    page = text(client.get("/purchase-orders/new"))
    number = value_of(page, "number")
    assert re.fullmatch(r"PO\d{8}-001", number) and number[2:10] in today_where_the_app_is(app)
    assert re.fullmatch(r"[0-9a-f]{32}", value_of(page, "key"))
    assert value_of(page, "key") != value_of(text(client.get("/purchase-orders/new")), "key")
    assert selected(page, "supplier") == ""  # "Choose a supplier" first, nothing chosen
    assert f'<option value="{mill.hangzhou}">Hangzhou Mill</option>' in page
    assert re.search(
        r'<input[^>]*checked[^>]*name="place"|<input[^>]*name="place"[^>]*checked', page
    )
    new_po(app, mill, {"A1024-Black-S": 1}, number=number)
    assert value_of(text(client.get("/purchase-orders/new")), "number") == number[:-3] + "002"
    with app.app_context():
        assert row_count("purchase_orders") == 1


def test_adding_a_style_brings_its_grid_with_its_cost_price(app, client, mill):
    as_user(client, "boss")
    args = {"key": "k1", "number": "PO-9", "supplier": str(mill.ningbo), "add": "A1024"}
    page = text(client.get("/purchase-orders/new", query_string=args, headers=HTMX))
    assert "<html" not in page
    assert value_of(page, "style") == "A1024" and value_of(page, "cost-A1024") == "42.50"
    assert value_of(page, "number") == "PO-9" and selected(page, "supplier") == str(mill.ningbo)
    for sku in ("A1024-Black-S", "A1024-Black-M", "A1024-Black-L"):
        assert value_of(page, f"q-{mill.v[sku]}") == ""
    # A scan of a B2048 piece brings its grid (no cost price: blank) and counts one;
    # what was typed for A1024 travels along.
    m = mill.v["A1024-Black-M"]
    args |= {
        "style": "A1024",
        "cost-A1024": "40.00",
        f"q-{m}": "6",
        "add": mill.barcode["B2048-Navy-40"],
    }
    page = text(client.get("/purchase-orders/new", query_string=args))
    assert page.count('name="style"') == 2 and value_of(page, "cost-B2048") == ""
    assert value_of(page, "cost-A1024") == "40.00" and value_of(page, f"q-{m}") == "6"
    assert value_of(page, f"q-{mill.v['B2048-Navy-40']}") == "1"
    unknown = text(client.get("/purchase-orders/new", query_string=args | {"add": "NOPE"}))
    assert scan_error(unknown, "add") == "No style, SKU or barcode NOPE."
    assert snapshot(app) == (0,) * len(WRITES)


@pytest.mark.parametrize(
    ("change", "element_id", "message"),
    [
        ({"number": ""}, "number-error", "Give the purchase order a number."),
        ({"number": "   "}, "number-error", "Give the purchase order a number."),
        ({"number": "P" * 41}, "number-error", "At most 40 characters."),
        ({"supplier": "0"}, "supplier-error", "Choose a supplier."),
        ({"supplier": None}, "supplier-error", "Choose a supplier."),
        ({"supplier": "9999"}, "supplier-error", "Choose a supplier."),
        ({"expected_on": "2031-13-45"}, "expected_on-error", "Not a valid date value."),
        ({"q-S": "abc"}, "e-q-S", WHOLE_NUMBER),
        ({"q-S": "-1"}, "e-q-S", WHOLE_NUMBER),
        ({"q-S": "2.5"}, "e-q-S", WHOLE_NUMBER),
        ({"cost-A1024": "abc"}, "cost-A1024-error", PRICE),
        ({"cost-A1024": "-1"}, "cost-A1024-error", PRICE),
        ({"cost-A1024": "1.234"}, "cost-A1024-error", PRICE),
        ({"cost-A1024": "NaN"}, "cost-A1024-error", PRICE),
        ({"cost-A1024": "1e20"}, "cost-A1024-error", PRICE),
        ({"cost-B2048": "abc"}, "cost-B2048-error", PRICE),
    ],
)
def test_a_bad_po_is_refused_beside_the_field(app, client, mill, change, element_id, message):
    as_user(client, "boss")
    s = mill.v["A1024-Black-S"]
    form = po_form(mill) | qty(mill, A1024_Black_S=3, B2048_Navy_38=2)
    for name, value in change.items():
        name = name.replace("q-S", f"q-{s}")
        if value is None:
            form.pop(name)
        else:
            form[name] = value
    element_id = element_id.replace("e-q-S", f"e-q-{s}")
    for headers in ({}, HTMX):
        response = client.post("/purchase-orders/new", data=form, headers=headers)
        assert response.status_code == 422
        page = text(response)
        assert error_beside(page, element_id) == message
        assert value_of(page, f"q-{mill.v['B2048-Navy-38']}") == "2"  # what was typed is kept
        assert ("<html" in page) == (headers == {})
    assert snapshot(app) == (0,) * len(WRITES)


def test_a_po_without_quantities_is_refused(app, client, mill):
    as_user(client, "boss")
    response = client.post("/purchase-orders/new", data=po_form(mill), headers=HTMX)
    assert response.status_code == 422
    assert "Add at least one size with a quantity." in text(response)
    zeros = po_form(mill) | qty(mill, A1024_Black_S=0, B2048_Navy_40="")
    assert client.post("/purchase-orders/new", data=zeros).status_code == 422
    no_style = {"number": "PO-7", "supplier": str(mill.hangzhou), "key": "k2"}
    refused = client.post("/purchase-orders/new", data=no_style)
    assert refused.status_code == 422 and "Add at least one size with a quantity." in text(refused)
    assert snapshot(app) == (0,) * len(WRITES)


def test_a_taken_number_is_refused_beside_the_number(app, client, mill):
    new_po(app, mill, {"A1024-Black-M": 1}, number="PO-7")
    as_user(client, "boss")
    before = snapshot(app)
    form = po_form(mill, number="PO-7") | qty(mill, A1024_Black_S=3)
    response = client.post("/purchase-orders/new", data=form, headers=HTMX)
    assert response.status_code == 422
    assert error_beside(text(response), "number-error") == "Purchase order PO-7 already exists."
    assert snapshot(app) == before


def test_creating_a_po_stores_its_lines_and_unit_costs(app, client, mill):
    as_user(client, "boss")
    s, m, n38 = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"], mill.v["B2048-Navy-38"]
    form = po_form(mill, note="spring drop", expected_on="2031-04-05", **{"cost-B2048": "18.5"})
    form |= qty(mill, A1024_Black_S=10, A1024_Black_M=5, A1024_Black_L="", B2048_Navy_38=4)
    response = client.post("/purchase-orders/new", data=form, headers=HTMX)
    assert response.status_code == 204
    po_id = po_id_of(app, "PO-100")
    assert response.headers["HX-Redirect"] == f"/purchase-orders/{po_id}"
    assert po_status(app, po_id) == "ordered"
    # No cost-A1024 was sent: the style's cost price is taken.
    assert po_lines(app, po_id) == {
        s: (10, 0, Decimal("42.50")),
        m: (5, 0, Decimal("42.50")),
        n38: (4, 0, Decimal("18.50")),
    }
    with app.app_context():
        supplier, note, expected = db.session.execute(
            sa.text(
                f"SELECT supplier_id, note, expected_on FROM purchase_orders WHERE id = {po_id}"
            )
        ).one()
    assert (supplier, note, str(expected)) == (mill.hangzhou, "spring drop", "2031-04-05")
    page = text(client.get(f"/purchase-orders/{po_id}"))  # where HX-Redirect leads
    assert "Purchase order PO-100 saved." in page and "¥42.50" in page and "¥18.50" in page
    assert re.search(r'id="po-remaining">19<', page)
    assert stock_of(app, s, m, n38) == (0, 0, 0)
    # The same key again (a double tap) makes no second PO.
    again = client.post("/purchase-orders/new", data=form, headers=HTMX)
    assert again.status_code == 204 and again.headers["HX-Redirect"] == f"/purchase-orders/{po_id}"
    with app.app_context():
        assert row_count("purchase_orders") == 1 and row_count("po_lines") == 3


def test_a_blank_cost_is_stored_as_no_cost(app, client, mill):
    as_user(client, "boss")
    form = po_form(mill, **{"cost-A1024": " "}) | qty(mill, A1024_Black_S=2)
    assert client.post("/purchase-orders/new", data=form).status_code == 302
    assert po_lines(app, po_id_of(app, "PO-100")) == {mill.v["A1024-Black-S"]: (2, 0, None)}


def test_an_unchecked_place_makes_a_draft_then_mark_as_ordered(app, client, mill):
    as_user(client, "boss")
    form = po_form(mill, place=False) | qty(mill, A1024_Black_S=2)
    response = client.post("/purchase-orders/new", data=form)
    po_id = po_id_of(app, "PO-100")
    assert response.status_code == 302 and response.location == f"/purchase-orders/{po_id}"
    assert po_status(app, po_id) == "draft"
    page = text(client.get(f"/purchase-orders/{po_id}"))
    assert "Mark as ordered" in page and "Receive goods</a>" not in page
    assert "PO-100" not in text(client.get("/receive"))
    placed = client.post(f"/purchase-orders/{po_id}/place", data={"key": "p1"})
    assert placed.status_code == 302 and placed.location == f"/purchase-orders/{po_id}"
    assert po_status(app, po_id) == "ordered"
    page = text(client.get(f"/purchase-orders/{po_id}"))
    assert "Purchase order PO-100 ordered." in page and "Mark as ordered" not in page
    assert "PO-100" in text(client.get("/receive"))
    again = client.post(f"/purchase-orders/{po_id}/place", data={"key": "p2"})
    assert again.status_code == 302
    assert "only a draft can be ordered" in text(client.get(f"/purchase-orders/{po_id}"))
    stale = client.post(f"/purchase-orders/{po_id}/place", data={})
    assert stale.status_code == 302
    assert "The page is out of date: reload it." in text(client.get(f"/purchase-orders/{po_id}"))
    assert po_status(app, po_id) == "ordered"


def test_closing_records_the_remainder_as_cancelled(app, client, mill):
    s, m = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"]
    po_id = new_po(app, mill, {"A1024-Black-S": 10, "A1024-Black-M": 5})
    approve(app, mill, new_receipt(app, mill, po_id, {"A1024-Black-S": 6}))
    waiting = new_receipt(app, mill, po_id, {"A1024-Black-M": 1})
    as_user(client, "boss")
    # A receipt still waiting for approval holds the close back.
    refused = client.post(f"/purchase-orders/{po_id}/close", data={"key": "c1"})
    assert refused.status_code == 302
    assert "has receipts waiting for approval" in text(client.get(f"/purchase-orders/{po_id}"))
    assert po_status(app, po_id) == "partially_received"
    assert po_lines(app, po_id)[s][1] == 0
    with app.test_request_context():
        receiving.reject(waiting, operator_id=mill.boss, reason="sent back")
    closed = client.post(f"/purchase-orders/{po_id}/close", data={"key": "c2"})
    assert closed.status_code == 302 and closed.location == f"/purchase-orders/{po_id}"
    assert po_status(app, po_id) == "closed"
    assert {v: line[1] for v, line in po_lines(app, po_id).items()} == {s: 4, m: 5}
    page = text(client.get(f"/purchase-orders/{po_id}"))
    assert "Purchase order PO-1 closed." in page
    assert re.search(r"<dt>Cancelled</dt><dd>9</dd>", page)
    assert re.search(r'id="po-remaining">0<', page)
    cell = re.search(rf'id="po-cell-{s}">(.*?)</div>', page, re.S)[1]
    assert "Cancelled 4" in plain(cell) and "Remaining" not in cell
    assert "Receive goods</a>" not in page and f"/purchase-orders/{po_id}/close" not in page
    assert "PO-1" not in text(client.get("/backorders"))
    assert stock_of(app, s, m) == (6, 0)
    again = client.post(f"/purchase-orders/{po_id}/close", data={"key": "c3"})
    assert again.status_code == 302
    assert "(Closed): it cannot be closed." in text(client.get(f"/purchase-orders/{po_id}"))


def test_the_close_button_names_what_will_be_cancelled(app, client, mill):
    po_id = new_po(app, mill, {"A1024-Black-S": 10, "A1024-Black-M": 7})
    as_user(client, "boss")
    page = text(client.get(f"/purchase-orders/{po_id}"))
    assert "Close PO-1? The 17 pcs still due are recorded as cancelled." in page
    partial = text(client.get(f"/purchase-orders/{po_id}", headers=HTMX))
    assert "<html" not in partial and partial.lstrip().startswith('<div id="po-view"')


def test_closing_asks_for_confirmation_first(app, client, mill):
    po_id = new_po(app, mill, {"A1024-Black-S": 10})
    as_user(client, "boss")
    page = text(client.get(f"/purchase-orders/{po_id}"))
    form = re.search(rf'<form[^>]*action="/purchase-orders/{po_id}/close"[^>]*>', page)[0]
    assert "hx-confirm=" in form
    # hx-confirm acts only on a request htmx makes.
    assert re.search(r"\bhx-post=", form) or "hx-boost" in page


def test_a_draft_cannot_be_closed(app, client, mill):
    po_id = new_po(app, mill, {"A1024-Black-S": 3}, place=False)
    as_user(client, "boss")
    assert client.post(f"/purchase-orders/{po_id}/close", data={"key": "c1"}).status_code == 302
    assert "(Draft): it cannot be closed." in text(client.get(f"/purchase-orders/{po_id}"))
    assert po_status(app, po_id) == "draft"


# ---------------------------------------------------------------- finding the PO


@pytest.fixture
def three_pos(app, mill):
    """PO-1 (Hangzhou: A1024 Black-S 10, M 5), PO-2 (Ningbo: B2048-Navy-38 4), PO-3 (a
    Hangzhou draft of B2048-Navy-40) and PO-4 (Hangzhou, closed)."""
    first = new_po(app, mill, {"A1024-Black-S": 10, "A1024-Black-M": 5}, number="PO-1")
    second = new_po(app, mill, {"B2048-Navy-38": 4}, number="PO-2", supplier=mill.ningbo)
    new_po(app, mill, {"B2048-Navy-40": 2}, number="PO-3", place=False)
    closed = new_po(app, mill, {"B2048-Navy-40": 2}, number="PO-4")
    with app.test_request_context():
        purchasing.close(closed, operator_id=mill.boss)
    return SimpleNamespace(first=first, second=second)


def found_numbers(page: str) -> list[str]:
    return re.findall(r"<strong>(PO-\d)</strong>", page)


def test_find_by_supplier_number_or_a_piece_on_it(app, client, mill, three_pos):
    assert found_numbers(text(client.get("/receive"))) == ["PO-1", "PO-2"]
    assert found_numbers(text(client.get("/receive?q=hangzhou"))) == ["PO-1"]
    assert found_numbers(text(client.get("/receive?q=Ningbo"))) == ["PO-2"]
    assert found_numbers(text(client.get("/receive?q=PO-2"))) == ["PO-2"]
    by_scan = client.get("/receive", query_string={"q": mill.barcode["B2048-Navy-38"]})
    assert found_numbers(text(by_scan)) == ["PO-2"]
    by_sku = client.get("/receive?q=A1024-Black-M", headers=HTMX)
    assert found_numbers(text(by_sku)) == ["PO-1"] and "<html" not in text(by_sku)
    assert f'href="/purchase-orders/{three_pos.first}/receive"' in text(by_sku)
    # Drafts and closed POs wait for nothing; a piece that is on no open PO finds nothing.
    for search in ("PO-3", "PO-4", mill.barcode["B2048-Navy-40"], "A1024-Black-L"):
        page = text(client.get("/receive", query_string={"q": search}))
        assert found_numbers(page) == [], search
        assert "No purchase order waiting for goods matches this." in page


def test_find_with_go_opens_the_only_match(app, client, mill, three_pos):
    one = client.get("/receive", query_string={"q": mill.barcode["B2048-Navy-38"], "go": "1"})
    assert one.status_code == 302
    assert one.location == f"/purchase-orders/{three_pos.second}/receive"
    by_htmx = client.get("/receive?q=po-1&go=1", headers=HTMX)
    assert by_htmx.status_code == 204
    assert by_htmx.headers["HX-Redirect"] == f"/purchase-orders/{three_pos.first}/receive"
    several = client.get("/receive?q=PO&go=1")
    assert several.status_code == 200 and found_numbers(text(several)) == ["PO-1", "PO-2"]
    assert client.get("/receive?q=&go=1").status_code == 200
    assert client.get("/receive?q=nothing&go=1").status_code == 200


def test_a_po_not_waiting_for_goods_sends_the_sheet_back(app, client, mill, three_pos):
    draft, closed = po_id_of(app, "PO-3"), po_id_of(app, "PO-4")
    response = client.get(f"/purchase-orders/{draft}/receive")
    assert response.status_code == 302 and response.location == f"/purchase-orders/{draft}"
    assert "Purchase order PO-3 (Draft): nothing is expected on it." in text(
        client.get(response.location)
    )
    before = snapshot(app)
    form = sheet(mill, r_B2048_Navy_40=2)
    posted = client.post(f"/purchase-orders/{closed}/receive", data=form, headers=HTMX)
    assert posted.status_code == 302 and posted.location == f"/purchase-orders/{closed}"
    assert "Purchase order PO-4 (Closed): nothing is expected on it." in text(
        client.get(f"/purchase-orders/{closed}")
    )
    assert snapshot(app) == before


# ---------------------------------------------------------------- the receiving sheet


@pytest.fixture
def po(app, mill):
    """PO-1 (Hangzhou, ordered): A1024 Black-S 10, Black-M 5, Black-L 2 at 42.50."""
    return new_po(
        app,
        mill,
        {
            "A1024-Black-S": (10, Decimal("42.50")),
            "A1024-Black-M": (5, Decimal("42.50")),
            "A1024-Black-L": (2, Decimal("42.50")),
        },
    )


def test_the_sheet_lists_what_is_due_per_size(app, client, mill, po):
    approve(app, mill, new_receipt(app, mill, po, {"A1024-Black-S": 4}))
    response = client.get(f"/purchase-orders/{po}/receive")
    assert response.status_code == 200
    page = text(response)
    assert "Receive PO-1" in page and "Hangzhou Mill" in page
    assert [due_on_sheet(page, size) for size in ("Black S", "Black M", "Black L")] == [
        "6",
        "5",
        "2",
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", value_of(page, "key"))
    for sku in ("A1024-Black-S", "A1024-Black-M", "A1024-Black-L"):
        vid = mill.v[sku]
        assert value_of(page, f"r-{vid}") == "" and value_of(page, f"d-{vid}") == ""
        assert selected(page, f"why-{vid}") == ""
    # Put away where the variant already is, else in the default location.
    assert selected(page, f"loc-{mill.v['A1024-Black-S']}") == str(mill.default)
    assert selected(page, f"loc-{mill.v['A1024-Black-M']}") == str(mill.default)
    assert value_of(page, f"r-{mill.v['B2048-Navy-38']}") is None  # not on the PO
    assert 'name="extra"' not in page
    partial = text(client.get(f"/purchase-orders/{po}/receive", headers=HTMX))
    assert "<html" not in partial and 'class="card entry-form receive-form"' in partial


def test_a_scan_adds_one_received_and_keeps_what_was_typed(app, client, mill, po):
    s, m = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"]
    args = sheet(
        mill, note="van 3", d_A1024_Black_M=1, n_A1024_Black_M="torn", why_A1024_Black_M="damaged"
    )
    args |= {f"loc-{m}": str(mill.a01), "add": mill.barcode["A1024-Black-S"]}
    response = client.get(f"/purchase-orders/{po}/receive", query_string=args, headers=HTMX)
    assert response.status_code == 200
    page = text(response)
    assert value_of(page, f"r-{s}") == "1" and value_of(page, f"r-{m}") == ""
    assert value_of(page, f"d-{m}") == "1" and value_of(page, f"n-{m}") == "torn"
    assert selected(page, f"why-{m}") == "damaged" and selected(page, f"loc-{m}") == str(mill.a01)
    assert value_of(page, "key") == "r1" and "van 3" in page
    assert value_of(page, "add") == ""  # the scan field is cleared for the next one
    args |= {f"r-{s}": "1", "add": "A1024-Black-S"}  # a SKU typed works like a scan
    page = text(client.get(f"/purchase-orders/{po}/receive", query_string=args, headers=HTMX))
    assert value_of(page, f"r-{s}") == "2"
    assert snapshot(app)[2:4] == (0, 0)  # no receipt, no line


def test_a_scan_of_a_piece_not_on_the_po_adds_a_wrong_item(app, client, mill, po):
    n40 = mill.v["B2048-Navy-40"]
    args = {"key": "r1", "add": mill.barcode["B2048-Navy-40"]}
    page = text(client.get(f"/purchase-orders/{po}/receive", query_string=args, headers=HTMX))
    assert "B2048-Navy-40 is not on this PO: added as a wrong item." in page
    assert value_of(page, "extra") == str(n40) and value_of(page, f"r-{n40}") == "1"
    assert selected(page, f"why-{n40}") == "wrong" and "Not on the PO" in page
    assert "Wrong items" in page
    args |= {"extra": str(n40), f"r-{n40}": "1", f"why-{n40}": "wrong"}
    page = text(client.get(f"/purchase-orders/{po}/receive", query_string=args, headers=HTMX))
    assert value_of(page, f"r-{n40}") == "2" and "is not on this PO" not in page
    assert page.count('name="extra"') == 1
    assert snapshot(app)[2:4] == (0, 0)


def test_an_unknown_code_is_named_beside_the_scan_field(app, client, mill, po):
    args = {"key": "r1", "add": "NOPE-1", f"r-{mill.v['A1024-Black-S']}": "3"}
    response = client.get(f"/purchase-orders/{po}/receive", query_string=args)
    assert response.status_code == 200
    page = text(response)
    assert scan_error(page, "add") == "No SKU or barcode NOPE-1."
    assert value_of(page, f"r-{mill.v['A1024-Black-S']}") == "3"
    assert 'name="extra"' not in page


@pytest.mark.parametrize(
    ("field", "typed"),
    [("r", "abc"), ("r", "-1"), ("r", "1.5"), ("r", "1000001"), ("r", "２"), ("d", "x")],
)
def test_bad_numbers_are_refused_beside_the_line(app, client, mill, po, field, typed):
    s, m = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"]
    before = snapshot(app)
    form = sheet(mill, r_A1024_Black_M=2) | {f"{field}-{s}": typed}
    for headers in ({}, HTMX):
        response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=headers)
        assert response.status_code == 422
        page = text(response)
        row = re.search(
            rf'<tr class="[^"]*has-error[^"]*">(?:(?!</tr>).)*name="r-{s}".*?</tr>', page, re.S
        )
        assert row and WHOLE_NUMBER in row[0]
        if field == "r":
            assert error_beside(page, f"e-r-{s}") == WHOLE_NUMBER
        assert value_of(page, f"{field}-{s}") == typed and value_of(page, f"r-{m}") == "2"
    assert snapshot(app) == before


def test_a_submitted_receipt_waits_for_approval(app, client, mill, po):
    s, m, big = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"], mill.v["A1024-Black-L"]
    form = sheet(
        mill,
        note="van 3",
        r_A1024_Black_S=6,
        d_A1024_Black_S=1,
        why_A1024_Black_S="damaged",
        n_A1024_Black_S="two torn",
        loc_A1024_Black_S=mill.a01,
        r_A1024_Black_M="",
        why_A1024_Black_M="short",
        n_A1024_Black_M="supplier out of M",
        r_A1024_Black_L="",
    )
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 204
    document_id = last_receipt(app)
    assert response.headers["HX-Redirect"] == f"/receipts/{document_id}"
    assert receipt_status(app, document_id) == "submitted"
    assert receipt_lines(app, document_id) == {
        s: (6, 1, "damaged", "two torn", mill.a01),
        m: (0, 0, "short", "supplier out of M", mill.default),
    }
    assert big not in receipt_lines(app, document_id)  # nothing typed: no line
    with app.app_context():
        note, operator = db.session.execute(
            sa.text(f"SELECT note, operator_id FROM documents WHERE id = {document_id}")
        ).one()
    assert (note, operator) == ("van 3", mill.li)
    assert stock_of(app, s, m, big) == (0, 0, 0)
    assert counts(app, "movements") == (0,)
    assert po_status(app, po) == "ordered"
    number = receipt_number(app, document_id)
    page = text(client.get(f"/receipts/{document_id}"))  # where HX-Redirect leads
    assert f"Receipt {number} submitted for approval." in page
    assert "Waiting for approval" in page
    # A double tap of the same sheet makes no second receipt.
    again = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert again.status_code == 204 and again.headers["HX-Redirect"] == f"/receipts/{document_id}"
    assert counts(app, "receipts") == (1,)


def test_a_plain_form_receipt_redirects_to_the_receipt(app, client, mill, po):
    response = client.post(f"/purchase-orders/{po}/receive", data=sheet(mill, r_A1024_Black_S=3))
    document_id = last_receipt(app)
    assert response.status_code == 302 and response.location == f"/receipts/{document_id}"
    assert receipt_lines(app, document_id) == {
        mill.v["A1024-Black-S"]: (3, 0, "", "", mill.default)
    }


def test_a_wrong_item_is_received_on_its_own_line(app, client, mill, po):
    n40 = mill.v["B2048-Navy-40"]
    form = sheet(mill, r_A1024_Black_S=2) | {
        "extra": str(n40),
        f"r-{n40}": "1",
        f"why-{n40}": "wrong",
    }
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 204
    lines = receipt_lines(app, last_receipt(app))
    assert lines[n40] == (1, 0, "wrong", "", mill.default)
    assert lines[mill.v["A1024-Black-S"]][:3] == (2, 0, "")


def test_a_clerk_over_the_tolerance_is_refused(app, client, mill, po):
    s = mill.v["A1024-Black-S"]
    before = snapshot(app)
    form = sheet(mill, r_A1024_Black_S=11, r_A1024_Black_M=5)
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 422
    page = text(response)
    assert (
        "Over the 0% tolerance: a manager must submit this receipt. The lines over it are marked."
        in page
    )
    # The line over it is marked, its message beside it; the line within it is not.
    assert error_beside(page, f"e-r-{s}") == (
        "A1024-Black-S: 11 received with the receipts waiting, 10 ordered."
    )
    assert 'aria-invalid="true" aria-describedby="e-r-' + str(s) + '"' in page
    assert f'id="e-r-{mill.v["A1024-Black-M"]}"' not in page
    assert value_of(page, f"r-{s}") == "11"  # kept, to correct
    assert snapshot(app) == before
    # Within a 10 % tolerance the same sheet is submitted.
    change_settings(app, over_receipt_tolerance_pct=10)
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 204
    assert receipt_status(app, last_receipt(app)) == "submitted"
    assert stock_of(app, s) == (0,)


ZH = {"Accept-Language": "zh-CN"}


@pytest.mark.parametrize(
    ("headers", "form_message", "line_message"),
    [
        (
            {},
            "Over the 0% tolerance: a manager must submit this receipt. "
            "The lines over it are marked.",
            "A1024-Black-L: 3 received with the receipts waiting, 2 ordered.",
        ),
        (
            ZH,
            "超出 0% 的允差，须由管理员提交此入库单。超出的行已标出。",
            "A1024-Black-L：连同待审核的入库单共收 3 件，订购 2 件。",
        ),
    ],
    ids=["en", "zh"],
)
def test_the_over_receipt_message_is_in_the_users_words_beside_its_line(
    app, client, mill, po, headers, form_message, line_message
):
    s, big = mill.v["A1024-Black-S"], mill.v["A1024-Black-L"]
    before = snapshot(app)
    form = sheet(mill, r_A1024_Black_S=2, r_A1024_Black_L=3)
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX | headers)
    assert response.status_code == 422
    page = text(response)
    assert form_message in html.unescape(page)
    assert html.unescape(error_beside(page, f"e-r-{big}")) == line_message
    # The L row is highlighted and its input marked invalid; the S row, within it, is not.
    rows = re.findall(r'<tr class="([^"]*)">\s*<th scope="row">Black (S|L)', page)
    assert dict((size, classes.strip()) for classes, size in rows) == {"S": "", "L": "has-error"}
    assert f'aria-invalid="true" aria-describedby="e-r-{big}"' in page
    assert f"e-r-{s}" not in page
    assert snapshot(app) == before


def waiting_on_sheet(page: str, label: str) -> str | None:
    """The "waiting n" beside the Due figure of a receiving-sheet row, or None."""
    found = re.search(
        rf'<th scope="row">{re.escape(label)}</th>\s*<td class="num">[^<]*'
        r'(?:<br><span class="waiting">([^<]*)</span>)?</td>',
        page,
    )
    assert found, f"no row {label}"
    return found[1]


@pytest.mark.parametrize(
    ("headers", "waiting", "note"),
    [({}, "waiting 4", "hold 4 pcs of this PO"), (ZH, "待审核 4", "已含本采购单 4 件")],
    ids=["en", "zh"],
)
def test_due_leaves_out_what_receipts_waiting_for_approval_hold(
    app, client, mill, po, headers, waiting, note
):
    """A second clerk sees the pieces a first one has received (waiting for approval)
    taken off what is due, so the same goods are not received twice."""
    new_receipt(app, mill, po, {"A1024-Black-S": 4})
    page = text(client.get(f"/purchase-orders/{po}/receive", headers=headers))
    labels = ["Black S", "Black M", "Black L"]
    assert [due_on_sheet(page, label) for label in labels] == ["6", "5", "2"]
    assert [waiting_on_sheet(page, label) for label in labels] == [waiting, None, None]
    assert note in page
    # Approved, the pieces are received: due stays 6 and nothing waits any more.
    approve(app, mill, last_receipt(app))
    page = text(client.get(f"/purchase-orders/{po}/receive", headers=headers))
    assert [due_on_sheet(page, label) for label in labels] == ["6", "5", "2"]
    assert [waiting_on_sheet(page, label) for label in labels] == [None, None, None]
    assert note not in page


def test_a_managers_receipt_posts_at_once(app, client, mill, po):
    s, m = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"]
    as_user(client, "boss")
    form = sheet(mill, r_A1024_Black_S=12, r_A1024_Black_M=2, d_A1024_Black_M=1)
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 204  # over the tolerance, but a manager's
    document_id = last_receipt(app)
    assert response.headers["HX-Redirect"] == f"/receipts/{document_id}"
    assert receipt_status(app, document_id) == "posted"
    assert stock_of(app, s, m) == (12, 2)  # the damaged M never joins stock (no quarantine)
    assert po_status(app, po) == "partially_received"
    number = receipt_number(app, document_id)
    page = text(client.get(f"/receipts/{document_id}"))
    assert f"Receipt {number} approved: 14 pcs into stock." in page
    assert 'id="approve"' not in page


def test_an_empty_receipt_says_what_is_missing(app, client, mill, po):
    before = snapshot(app)
    response = client.post(f"/purchase-orders/{po}/receive", data=sheet(mill), headers=HTMX)
    assert response.status_code == 422
    assert snapshot(app) == before
    assert "Give at least one size with a quantity." in text(response)


def test_an_empty_receipt_is_refused_and_writes_nothing(app, client, mill, po):
    before = snapshot(app)
    form = sheet(mill, r_A1024_Black_S="0", d_A1024_Black_S="", r_A1024_Black_M="")
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 422 and 'role="alert"' in text(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("name", ["extra", "loc"])
def test_a_strange_digit_is_not_a_server_error(app, client, mill, po, name):
    s = mill.v["A1024-Black-S"]
    form = sheet(mill, r_A1024_Black_S=2) | (
        {"extra": "²"} if name == "extra" else {f"loc-{s}": "²"}
    )
    before = snapshot(app)
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code in (204, 422)
    assert response.status_code == 422 or receipt_status(app, last_receipt(app)) == "submitted"
    if response.status_code == 422:
        assert snapshot(app) == before


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [("n", "x" * 501, "At most 500 characters."), ("why", "bogus", "Unknown reason.")],
)
def test_a_bad_line_note_or_reason_is_named(app, client, mill, po, field, typed, message):
    s = mill.v["A1024-Black-S"]
    before = snapshot(app)
    form = sheet(mill, r_A1024_Black_S=2) | {f"{field}-{s}": typed}
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 422 and snapshot(app) == before
    assert message in text(response)


def test_a_quarantine_location_is_refused_for_sellable_stock(app, client, mill, po):
    s = mill.v["A1024-Black-S"]
    with app.app_context():
        quarantine = warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(), code="QC", is_quarantine=True
        )
    before = snapshot(app)
    form = sheet(mill, r_A1024_Black_S=2) | {f"loc-{s}": str(quarantine)}
    response = client.post(f"/purchase-orders/{po}/receive", data=form, headers=HTMX)
    assert response.status_code == 422
    assert (
        error_beside(text(response), f"e-r-{s}")
        == "Choose a location for sellable stock in this warehouse."
    )
    assert snapshot(app) == before


def test_a_po_is_received_into_the_warehouse_chosen_on_the_sheet(app, client, mill, po):
    """The sheet starts at the clerk's own warehouse; choosing another (re-rendered by
    htmx, typed figures kept) lists that warehouse's bins, each line at its usual one
    there. A warehouse the clerk does not work in is refused beside the field."""
    s = mill.v["A1024-Black-S"]
    with app.app_context():
        main = warehouses.main_warehouse_id()
        sh = warehouses.create_warehouse(code="SH", name="Shop one", actor_id=mill.boss)
        bj = warehouses.create_warehouse(code="BJ", name="Beijing", actor_id=mill.boss)
        shelf = warehouses.create_location(warehouse_id=sh, code="S-01", actor_id=mill.boss)
        warehouses.set_user_warehouses(
            user_id=mill.li, warehouse_ids={main, sh}, actor_id=mill.boss
        )
        shop_default = warehouses.usual_locations([s], sh)[s]

    def options(page: str, name: str) -> tuple[list[str], str]:
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        values = re.findall(r'<option[^>]*value="([^"]*)"', select)
        chosen = re.search(
            r'<option[^>]*(?:selected[^>]*value="([^"]*)"|value="([^"]*)"[^>]*selected)', select
        )
        return values, next(g for g in chosen.groups() if g)

    page = text(client.get(f"/purchase-orders/{po}/receive"))
    assert options(page, "warehouse") == ([str(main), str(sh)], str(main))
    typed = sheet(mill, r_A1024_Black_S=3) | {"warehouse": str(sh)}
    page = text(client.get(f"/purchase-orders/{po}/receive", query_string=typed, headers=HTMX))
    assert options(page, f"loc-{s}") == ([str(shop_default), str(shelf)], str(shop_default))
    assert 'value="3"' in page  # what was typed is kept
    before = snapshot(app)
    refused = client.post(
        f"/purchase-orders/{po}/receive", data=typed | {"warehouse": str(bj)}, headers=HTMX
    )
    assert refused.status_code == 422 and 'id="warehouse-error"' in text(refused)
    assert snapshot(app) == before
    posted = client.post(
        f"/purchase-orders/{po}/receive", data=typed | {f"loc-{s}": str(shelf)}, headers=HTMX
    )
    assert posted.status_code == 204 and "HX-Redirect" in posted.headers
    with app.app_context():
        document = db.session.scalar(sa.select(sa.func.max(Document.id)))
        rows = db.session.execute(
            sa.text(
                "SELECT variant_id, location_id, received FROM receipt_lines WHERE document_id = :d"
            ),
            {"d": document},
        ).all()
    assert [tuple(r) for r in rows] == [(s, shelf, 3)]


# ---------------------------------------------------------------- the receipts queue


def test_the_queue_lists_receipts_waiting_for_approval(app, client, mill, po):
    waiting = new_receipt(app, mill, po, {"A1024-Black-S": 3})
    posted = new_receipt(app, mill, po, {"A1024-Black-M": 2}, user=mill.boss)
    rejected = new_receipt(app, mill, po, {"A1024-Black-L": 1})
    with app.test_request_context():
        receiving.reject(rejected, operator_id=mill.boss, reason="wrong van")
    numbers = {d: receipt_number(app, d) for d in (waiting, posted, rejected)}

    def listed(page):
        return re.findall(r"<strong>(RC\d+)</strong>", page)

    queue = text(client.get("/receipts"))
    assert listed(queue) == [numbers[waiting]]
    row = re.search(r"<tr>\s*<td><a[^>]*><strong>RC.*?</tr>", queue, re.S)[0]
    cells = [plain(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:6] == [
        numbers[waiting],
        "PO-1",
        "Hangzhou Mill",
        "Waiting for approval",
        "3",
        "li",
    ]
    assert listed(text(client.get("/receipts?state=posted"))) == [numbers[posted]]
    assert listed(text(client.get("/receipts?state=rejected"))) == [numbers[rejected]]
    everything = text(client.get("/receipts?state=all", headers=HTMX))
    assert "<html" not in everything
    assert listed(everything) == [numbers[rejected], numbers[posted], numbers[waiting]]
    assert listed(text(client.get("/receipts?state=nonsense"))) == [numbers[waiting]]
    # The PO page lists its receipts too.
    assert set(listed(text(client.get(f"/purchase-orders/{po}")))) == set(numbers.values())


def test_the_receipts_list_and_the_po_page_page_past_fifty_receipts(app, client, mill):
    po = new_po(app, mill, {"A1024-Black-S": 1000}, number="PO-BIG")
    made = [new_receipt(app, mill, po, {"A1024-Black-S": 1}) for _ in range(61)]
    newest_first = [receipt_number(app, d) for d in reversed(made)]

    def listed(page):
        return re.findall(r"<strong>(RC\d+)</strong>", page)

    for url in ("/receipts?state=all", f"/purchase-orders/{po}"):
        first = text(client.get(url))
        assert listed(first) == newest_first[:50], url
        link = re.search(r'<nav class="pages">.*?href="([^"]*page=2[^"]*)"', first, re.S)
        assert link and "before=" in link[1], f"{url}: no next page"
        second = text(client.get(html.unescape(link[1])))
        assert listed(second) == newest_first[50:], url
        assert "page=3" not in second and "page=1" in second
        # A refresh of page 2 (stock-changed) asks for the same page again.
        assert 'id="rows-page" name="page" value="2"' in second
        # An old ?page=2 link still shows page 2.
        assert (
            listed(text(client.get(f"{url}{'&' if '?' in url else '?'}page=2")))
            == (newest_first[50:])
        )


def test_the_receipt_page_shows_what_differs(app, client, mill, po):
    change_settings(app, over_receipt_tolerance_pct=50)
    approve(app, mill, new_receipt(app, mill, po, {"A1024-Black-S": 4}))
    document_id = new_receipt(
        app,
        mill,
        po,
        {
            "A1024-Black-S": {"received": 8, "unit_cost": Decimal("45.00"), "reason": "over"},
            "A1024-Black-M": {"received": 3, "reason": "short", "note": "rest next week"},
            "A1024-Black-L": {"received": 1, "damaged": 1, "reason": "damaged", "note": "wet"},
            "B2048-Navy-38": {"received": 1, "reason": "wrong"},
        },
        note="van 9",
    )
    page = text(client.get(f"/receipts/{document_id}"))
    number = receipt_number(app, document_id)
    assert f"Receipt {number}" in page and "Waiting for approval" in page
    assert "PO-1" in page and "Hangzhou Mill" in page and "van 9" in page
    rows = receipt_rows(page)
    # Due, received, damaged, difference, location, unit cost, reason and note.
    assert rows["A1024-Black-S"] == [
        "6",
        "8",
        "0",
        "Over 2",
        "Default location",
        "45.00 PO: 42.50",
        "Over",
    ]
    assert rows["A1024-Black-M"] == [
        "5",
        "3",
        "0",
        "Short 2",
        "Default location",
        "42.50",
        "Short · rest next week",
    ]
    assert rows["A1024-Black-L"] == [
        "2",
        "1",
        "1",
        "Short 1",
        "Default location",
        "42.50",
        "Damaged · wet",
    ]
    assert rows["B2048-Navy-38"] == [
        "—",
        "1",
        "0",
        "Wrong item",
        "Default location",
        "—",
        "Wrong item",
    ]
    assert re.search(r"<dt>Received</dt><dd>13</dd>", page)
    assert re.search(r"<dt>Damaged</dt><dd>1</dd>", page)
    assert re.search(r'<dt>Differences</dt><dd class="short">4</dd>', page)
    assert page.count('class="differs"') == 4


def test_an_approved_receipt_keeps_its_figures_after_later_receipts(app, client, mill, po):
    first = new_receipt(app, mill, po, {"A1024-Black-S": 6})
    approve(app, mill, first)
    at_the_time = receipt_rows(text(client.get(f"/receipts/{first}")))["A1024-Black-S"]
    assert at_the_time[:4] == ["10", "6", "0", "Short 4"]
    approve(app, mill, new_receipt(app, mill, po, {"A1024-Black-S": 4}))
    later = receipt_rows(text(client.get(f"/receipts/{first}")))["A1024-Black-S"]
    assert later == at_the_time


def test_approving_posts_what_was_received_and_the_po_follows(app, client, mill, po):
    s, m, big = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"], mill.v["A1024-Black-L"]
    first = new_receipt(
        app,
        mill,
        po,
        {
            "A1024-Black-S": {"received": 6, "location_id": mill.a01},
            "A1024-Black-M": {"received": 5, "damaged": 2, "reason": "damaged"},
        },
    )
    as_user(client, "boss")
    number = receipt_number(app, first)
    response = client.post(f"/receipts/{first}/approve", data={"key": "a1"}, headers=HTMX)
    assert response.status_code == 204
    assert events(response) == {
        "stock-changed": {"receipt": first},
        "show-message": f"Receipt {number} approved: 11 pcs into stock.",
    }
    assert receipt_status(app, first) == "posted"
    assert stock_at(app, s, mill.a01) == 6 and stock_of(app, s, m) == (6, 5)  # damaged never
    assert po_status(app, po) == "partially_received"
    page = text(client.get(f"/purchase-orders/{po}"))
    assert re.search(r'id="po-remaining">6<', page)
    assert re.search(r"<dt>Received</dt><dd>11</dd>", page)
    assert "Remaining 4" in plain(re.search(rf'id="po-cell-{s}">(.*?)</div>', page, re.S)[1])
    assert "Approved" in text(client.get(f"/receipts/{first}"))
    # The rest arrives: the PO is received.
    second = new_receipt(app, mill, po, {"A1024-Black-S": 4, "A1024-Black-L": 2})
    assert client.post(f"/receipts/{second}/approve", data={"key": "a2"}).status_code == 302
    assert f"Receipt {receipt_number(app, second)} approved: 6 pcs into stock." in text(
        client.get(f"/receipts/{second}")
    )
    assert stock_of(app, s, m, big) == (10, 5, 2)
    assert po_status(app, po) == "received"
    assert re.search(r'id="po-remaining">0<', text(client.get(f"/purchase-orders/{po}")))
    assert "PO-1" not in text(client.get("/backorders"))


def test_damaged_pieces_go_to_quarantine_not_to_sellable_stock(app, client, mill, po):
    m = mill.v["A1024-Black-M"]
    with app.app_context():
        quarantine = warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(), code="QC", is_quarantine=True
        )
    document_id = new_receipt(app, mill, po, {"A1024-Black-M": {"received": 3, "damaged": 2}})
    as_user(client, "boss")
    response = client.post(f"/receipts/{document_id}/approve", data={"key": "a1"}, headers=HTMX)
    assert response.status_code == 204
    assert "approved: 3 pcs into stock." in events(response)["show-message"]
    assert stock_at(app, m, mill.default) == 3 and stock_at(app, m, quarantine) == 2
    product = text(client.get("/products/A1024"))
    assert product  # the product page still renders with quarantine stock


def test_approving_again_is_refused(app, client, mill, po):
    s = mill.v["A1024-Black-S"]
    document_id = new_receipt(app, mill, po, {"A1024-Black-S": 3})
    as_user(client, "boss")
    assert client.post(f"/receipts/{document_id}/approve", data={"key": "a1"}).status_code == 302
    before = snapshot(app)
    again = client.post(f"/receipts/{document_id}/approve", data={"key": "a2"}, headers=HTMX)
    assert again.status_code == 422
    number = receipt_number(app, document_id)
    assert f"Receipt {number} is already approved." in text(again)
    assert "<html" not in text(again) and 'id="receipt-view"' in text(again)
    assert stock_of(app, s) == (3,) and snapshot(app) == before
    plain_again = client.post(f"/receipts/{document_id}/approve", data={"key": "a3"})
    assert plain_again.status_code == 302 and plain_again.location == f"/receipts/{document_id}"
    assert "already approved" in text(client.get(f"/receipts/{document_id}"))
    # The same key again is a replay of the first approval, not a second one.
    replay = client.post(f"/receipts/{document_id}/approve", data={"key": "a1"}, headers=HTMX)
    assert replay.status_code == 204 and stock_of(app, s) == (3,)
    no_key = client.post(f"/receipts/{document_id}/approve", data={}, headers=HTMX)
    assert no_key.status_code == 422 and "The page is out of date: reload it." in text(no_key)
    assert snapshot(app) == before


def test_rejecting_needs_a_reason_and_posts_nothing(app, client, mill, po):
    s = mill.v["A1024-Black-S"]
    document_id = new_receipt(app, mill, po, {"A1024-Black-S": 3})
    number = receipt_number(app, document_id)
    as_user(client, "boss")
    form_page = client.get(f"/receipts/{document_id}/reject", headers=HTMX)
    assert form_page.status_code == 200 and f"Reject {number}" in text(form_page)
    assert "<html" not in text(form_page) and re.fullmatch(
        r"[0-9a-f]{32}", value_of(text(form_page), "key")
    )
    assert "<html" in text(client.get(f"/receipts/{document_id}/reject"))
    before = snapshot(app)
    for reason in ("", "   "):
        for headers in ({}, HTMX):
            refused = client.post(
                f"/receipts/{document_id}/reject",
                data={"key": "x1", "reason": reason},
                headers=headers,
            )
            assert refused.status_code == 422
            assert error_beside(text(refused), "reason-error") == "Say why the receipt is rejected."
    assert snapshot(app) == before and receipt_status(app, document_id) == "submitted"
    form = {"key": "x2", "reason": "wrong van, sent back"}
    response = client.post(f"/receipts/{document_id}/reject", data=form, headers=HTMX)
    assert response.status_code == 204
    assert events(response) == {
        "stock-changed": {"receipt": document_id},
        "show-message": "Receipt rejected: nothing was posted.",
    }
    assert receipt_status(app, document_id) == "rejected"
    with app.app_context():
        assert (
            db.session.scalar(
                sa.text(f"SELECT reject_reason FROM receipts WHERE document_id = {document_id}")
            )
            == "wrong van, sent back"
        )
    assert stock_of(app, s) == (0,) and counts(app, "movements") == (0,)
    assert po_status(app, po) == "ordered"
    page = text(client.get(f"/receipts/{document_id}"))
    assert "Rejected: wrong van, sent back" in page and 'id="approve"' not in page
    late = client.post(f"/receipts/{document_id}/approve", data={"key": "a1"}, headers=HTMX)
    assert late.status_code == 422
    assert f"Receipt {number} (Rejected): you cannot approve it." in text(late)
    twice = client.post(f"/receipts/{document_id}/reject", data={"key": "x3", "reason": "again"})
    assert twice.status_code == 422 and "(Rejected): you cannot reject it." in text(twice)
    assert stock_of(app, s) == (0,)


def test_a_draft_is_submitted_from_its_page(app, client, mill, po):
    s = mill.v["A1024-Black-S"]
    draft = new_receipt(app, mill, po, {"A1024-Black-S": 3}, submit=False)
    number = receipt_number(app, draft)
    page = text(client.get(f"/receipts/{draft}"))
    assert 'id="submit"' in page and "Draft" in page
    assert number not in text(client.get("/receipts"))  # not waiting for approval yet
    response = client.post(f"/receipts/{draft}/submit", data={"key": "s1"}, headers=HTMX)
    assert response.status_code == 204
    assert events(response) == {
        "stock-changed": {"receipt": draft},
        "show-message": f"Receipt {number} submitted for approval.",
    }
    assert receipt_status(app, draft) == "submitted" and stock_of(app, s) == (0,)
    assert number in text(client.get("/receipts"))
    assert 'id="submit"' not in text(client.get(f"/receipts/{draft}"))
    again = client.post(f"/receipts/{draft}/submit", data={"key": "s2"}, headers=HTMX)
    assert again.status_code == 422
    assert f"Receipt {number} (Waiting for approval): you cannot submit it." in text(again)
    # A manager's draft posts as it is submitted.
    other = new_receipt(app, mill, po, {"A1024-Black-M": 2}, submit=False)
    as_user(client, "boss")
    posted = client.post(f"/receipts/{other}/submit", data={"key": "s3"})
    assert posted.status_code == 302 and posted.location == f"/receipts/{other}"
    assert receipt_status(app, other) == "posted"
    assert stock_of(app, mill.v["A1024-Black-M"]) == (2,)
    assert "approved: 2 pcs into stock." in text(client.get(f"/receipts/{other}"))


def test_the_print_page_renders(app, client, mill, po):
    document_id = new_receipt(
        app,
        mill,
        po,
        {
            "A1024-Black-S": 4,
            "A1024-Black-M": {"received": 1, "damaged": 1, "reason": "damaged", "note": "torn"},
        },
        note="van 3",
    )
    response = client.get(f"/receipts/{document_id}/print")
    assert response.status_code == 200
    page = text(response)
    number = receipt_number(app, document_id)
    assert f"Receipt {number}" in page and "PO-1" in page and "Hangzhou Mill" in page
    assert "A1024-Black-S" in page and "Damaged · torn" in page and "van 3" in page
    assert "Received by" in page and "Approved by" in page
    rows = receipt_rows(page)
    assert rows["A1024-Black-S"][:4] == ["10", "4", "0", "Short 6"]


# ---------------------------------------------------------------- discrepancies and backorders


def test_the_discrepancy_sheet_lists_what_differed(app, client, mill, po):
    posted = new_receipt(  # a manager's: posted at once
        app,
        mill,
        po,
        {
            "A1024-Black-S": 12,
            "A1024-Black-M": {
                "received": 2,
                "damaged": 1,
                "reason": "damaged",
                "note": "torn seam",
            },
            "A1024-Black-L": {"received": 0, "reason": "short", "note": "mill out of L"},
            "B2048-Navy-38": {"received": 1, "reason": "wrong"},
        },
        user=mill.boss,
    )
    # Receipts not approved (waiting, rejected) are not on the sheet.
    new_receipt(app, mill, po, {"A1024-Black-M": {"received": 1, "damaged": 2, "note": "wet"}})
    response = client.get(f"/purchase-orders/{po}/discrepancies")
    assert response.status_code == 200
    page = text(response)
    assert "Discrepancy sheet PO-1" in page and "Hangzhou Mill" in page and "Mr Chen" in page
    assert "Ordered 17, received 14" in page
    rows = [
        [plain(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr><td>.*?</tr>", page, re.S)
    ]
    number = receipt_number(app, posted)
    assert ["Over", "A1024-Black-S", "2", "", ""] in rows
    assert ["Short", "A1024-Black-M", "3", "", ""] in rows
    assert ["Short", "A1024-Black-L", "2", "", ""] in rows
    assert ["Short", "A1024-Black-L", "—", number, "mill out of L"] in rows
    assert ["Damaged", "A1024-Black-M", "1", number, "torn seam"] in rows
    assert ["Wrong item", "B2048-Navy-38", "1", number, ""] in rows
    assert len(rows) == 6 and "wet" not in page


def test_the_discrepancy_sheet_of_a_complete_po_is_empty(app, client, mill, po):
    approve(
        app,
        mill,
        new_receipt(app, mill, po, {"A1024-Black-S": 10, "A1024-Black-M": 5, "A1024-Black-L": 2}),
    )
    page = text(client.get(f"/purchase-orders/{po}/discrepancies"))
    assert "No discrepancies: everything arrived as ordered." in page


def test_backorders_list_what_is_still_to_come_and_mark_the_overdue(app, client, mill):
    today = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    late = new_po(
        app, mill, {"A1024-Black-S": 10}, number="PO-LATE", expected_on=today - timedelta(days=3)
    )
    new_po(
        app, mill, {"A1024-Black-M": 4}, number="PO-SOON", expected_on=today + timedelta(days=30)
    )
    new_po(app, mill, {"B2048-Navy-38": 2}, number="PO-UNDATED", supplier=mill.ningbo)
    done = new_po(
        app, mill, {"B2048-Navy-40": 1}, number="PO-DONE", expected_on=today - timedelta(days=9)
    )
    new_po(app, mill, {"B2048-Navy-40": 1}, number="PO-DRAFT", place=False)
    approve(app, mill, new_receipt(app, mill, late, {"A1024-Black-S": 4}))
    approve(app, mill, new_receipt(app, mill, done, {"B2048-Navy-40": 1}))
    page = text(client.get("/backorders"))
    assert re.findall(r"<strong>(PO-[A-Z]+)</strong>", page) == ["PO-LATE", "PO-SOON", "PO-UNDATED"]
    overdue = row_of(page, "PO-LATE")
    assert 'class="overdue"' in overdue and "Overdue" in overdue
    assert re.findall(r'<td class="num">(?:<strong>)?([^<]+)', overdue) == ["10", "4", "6"]
    for number in ("PO-SOON", "PO-UNDATED"):
        assert "Overdue" not in row_of(page, number) and 'class="overdue"' not in row_of(
            page, number
        )
    assert "—" in row_of(page, "PO-UNDATED")
    # The PO page marks the date too.
    assert 'class="overdue"' in text(client.get(f"/purchase-orders/{late}"))


def test_backorders_say_when_nothing_is_to_come(app, client, mill):
    assert "Nothing is still to come." in text(client.get("/backorders"))


# ---------------------------------------------------------------- the manage-stock dialog


def test_the_dialogs_inbound_waits_for_approval_when_the_settings_say_so(app, client, mill):
    s, m = mill.v["A1024-Black-S"], mill.v["A1024-Black-M"]
    change_settings(app, direct_receipts_need_approval=True)
    response = client.post(
        "/products/A1024/stock", data=inbound(mill.v, **{"A1024-Black-S": 3}), headers=HTMX
    )
    assert response.status_code == 204
    document_id = last_receipt(app)
    number = receipt_number(app, document_id)
    assert events(response) == {
        "stock-changed": {"style": "A1024"},
        "show-message": f"Receipt {number} of 3 pcs submitted for approval.",
    }
    assert receipt_status(app, document_id) == "submitted"
    assert stock_of(app, s) == (0,) and counts(app, "movements") == (0,)
    queue = text(client.get("/receipts"))
    assert number in queue and re.search(rf"{number}</strong></a></td>\s*<td>—</td>", queue)
    assert "Without a purchase order" in text(client.get(f"/receipts/{document_id}"))
    printed = client.get(f"/receipts/{document_id}/print")
    assert printed.status_code == 200 and "A1024-Black-S" in text(printed)
    assert "Due" not in text(printed) and "PO-" not in text(printed)
    # A manager's inbound posts at once, and the manager approves the clerk's.
    as_user(client, "boss")
    mine = client.post(
        "/products/A1024/stock", data=inbound(mill.v, **{"A1024-Black-M": 2}), headers=HTMX
    )
    assert mine.status_code == 204
    assert events(mine)["show-message"] == "Received 2 pcs"
    assert receipt_status(app, last_receipt(app)) == "posted"
    assert stock_of(app, s, m) == (0, 2)
    approved = client.post(f"/receipts/{document_id}/approve", data={"key": "a1"}, headers=HTMX)
    assert approved.status_code == 204
    assert stock_of(app, s, m) == (3, 2)
    assert number not in text(client.get("/receipts"))


def test_the_dialogs_inbound_posts_at_once_by_default(app, client, mill):
    response = client.post(
        "/products/A1024/stock", data=inbound(mill.v, **{"A1024-Black-S": 3}), headers=HTMX
    )
    assert response.status_code == 204
    assert events(response)["show-message"] == "Received 3 pcs"
    assert receipt_status(app, last_receipt(app)) == "posted"
    assert stock_of(app, mill.v["A1024-Black-S"]) == (3,)
    assert "No receipts here." in text(client.get("/receipts"))


# ---------------------------------------------------------------- Chinese


def test_the_purchasing_pages_render_in_chinese(app, client, mill, po):
    waiting = new_receipt(
        app,
        mill,
        po,
        {"A1024-Black-S": 4, "B2048-Navy-38": {"received": 1, "reason": "wrong"}},
    )
    draft_po = new_po(app, mill, {"A1024-Black-M": 1}, number="PO-2", place=False)
    as_user(client, "boss")
    zh = {"Accept-Language": "zh-CN"}
    pages = {
        "/purchase-orders": "采购单",
        "/purchase-orders?state=all": "采购单",
        "/purchase-orders/new": "新建采购单",
        "/purchase-orders/new?key=k&number=PO-9&add=A1024": "新建采购单",
        "/purchase-orders/new?key=k&number=PO-9&add=NOPE": "新建采购单",
        f"/purchase-orders/{po}": "差异单",
        f"/purchase-orders/{draft_po}": "标记为已下单",
        f"/purchase-orders/{po}/discrepancies": "差异单",
        "/backorders": "欠货",
        "/receive": "收货",
        "/receive?q=PO": "收货",
        f"/purchase-orders/{po}/receive": "收货",
        f"/purchase-orders/{po}/receive?key=k&add={mill.barcode['B2048-Navy-40']}": "错发",
        "/receipts": "入库单",
        f"/receipts/{waiting}": "审核通过",
        f"/receipts/{waiting}/print": "入库单",
        f"/receipts/{waiting}/reject": "驳回",
    }
    for path, word in pages.items():
        response = client.get(path, headers=zh)
        assert response.status_code == 200, path
        assert word in text(response), path
    receipt = text(client.get(f"/receipts/{waiting}", headers=zh))
    assert "缺 6" in receipt and "错发" in receipt
    suggested = text(client.get("/purchase-orders/new", headers=zh))
    assert re.fullmatch(r"PO\d{8}-001", value_of(suggested, "number"))
    refused = client.post("/purchase-orders/new", data=po_form(mill, number=""), headers=zh)
    assert refused.status_code == 422
    assert "Give the purchase order a number." not in text(refused)
    done = client.post(f"/receipts/{waiting}/approve", data={"key": "a1"}, headers={**zh, **HTMX})
    assert done.status_code == 204 and done.headers["HX-Trigger"].isascii()
    number = receipt_number(app, waiting)
    assert events(done)["show-message"] == f"入库单 {number} 已审核：5 件入库。"
