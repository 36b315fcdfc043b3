"""Barcode labels: who may print them, the counts a product's grid takes, and what a
label shows (escaped) for a product, a receipt and the bins."""

import re

import pytest

from stockapp.models import Role
from stockapp.queries.labels import MAX_LABELS
from stockapp.services import warehouses
from tests.support.api import ROLES, STYLE, Api, L, M, S
from tests.support.pages import as_user, error_beside, sign_in, text

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def receipt(api: Api) -> int:
    """A receipt of 3 S and 2 M of A1024 Black; its id."""
    return api.receive(**{S: 3, M: 2})


def pages(receipt: int) -> list[str]:
    return [
        f"/labels/products/{STYLE}",
        f"/labels/products/{STYLE}/print",
        f"/labels/receipts/{receipt}",
        "/labels/locations",
        "/labels/sheet.css",
    ]


def labels_on(page: str) -> list[str]:
    """The barcodes of the labels on a print page, in order."""
    return re.findall(r'<div class="code" data-barcode="([^"]*)">', page)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_clerks_and_managers_print_labels_viewers_do_not(client, api, receipt, role):
    as_user(client, api.user(role)[1])
    for path in pages(receipt):
        response = client.get(path)
        assert response.status_code == (403 if role is Role.VIEWER else 200), path


def test_the_label_pages_need_sign_in(client, api, receipt):
    for path in pages(receipt):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path


def test_the_links_to_the_labels_are_shown_to_those_who_may_print(client, api, receipt):
    as_user(client, api.user(Role.VIEWER)[1])
    assert "/labels/" not in text(client.get(f"/products/{STYLE}"))
    as_user(client, api.user(Role.CLERK)[1])
    assert f"/labels/products/{STYLE}" in text(client.get(f"/products/{STYLE}"))
    assert f"/labels/receipts/{receipt}" in text(client.get(f"/receipts/{receipt}"))


def test_the_locations_page_links_to_the_bin_labels(client, manager):
    assert "/labels/locations" in text(client.get("/locations"))


def test_a_product_prints_the_chosen_count_of_each_cell(client, api):
    as_user(client, api.user(Role.CLERK)[1])
    ids = api.skus
    choose = text(client.get(f"/labels/products/{STYLE}"))
    assert choose.count('value="1"') >= 3  # one label of each cell to start with
    counts = {f"n-{ids[S]}": "2", f"n-{ids[M]}": "0", f"n-{ids[L]}": "1", "layout": "40x30"}
    page = text(client.get(f"/labels/products/{STYLE}/print", query_string=counts))
    barcodes = barcodes_of(api)
    assert labels_on(page) == [barcodes[S], barcodes[S], barcodes[L]]
    assert "layout-40x30" in page and "Tee A1024" in page and "Black L" in page
    # The options form keeps the counts while the layout or the price changes.
    assert f'name="n-{ids[S]}" value="2"' in page


def test_same_for_every_cell_replaces_the_grid(client, api):
    as_user(client, api.user(Role.CLERK)[1])
    page = text(client.get(f"/labels/products/{STYLE}/print", query_string={"each": "3"}))
    assert len(labels_on(page)) == 9


@pytest.mark.parametrize("typed", ["-1", "1000", "abc", "1.5", "٣"])
def test_a_bad_count_is_refused_beside_its_cell(client, api, typed):
    as_user(client, api.user(Role.CLERK)[1])
    cell = f"n-{api.skus[M]}"
    response = client.get(f"/labels/products/{STYLE}/print", query_string={cell: typed})
    assert response.status_code == 422
    page = text(response)
    assert error_beside(page, f"e-{cell}") == "Enter a whole number from 0 to 999."
    assert labels_on(page) == []


def test_a_bad_count_is_refused_in_chinese(client, api):
    as_user(client, api.user(Role.CLERK)[1])
    cell = f"n-{api.skus[M]}"
    response = client.get(f"/labels/products/{STYLE}/print", query_string={cell: "x"}, headers=ZH)
    assert response.status_code == 422
    assert error_beside(text(response), f"e-{cell}") == "请输入 0 到 999 之间的整数。"


def test_a_bad_same_for_every_cell_is_refused_beside_it(client, api):
    as_user(client, api.user(Role.CLERK)[1])
    response = client.get(f"/labels/products/{STYLE}/print", query_string={"each": "1000"})
    assert response.status_code == 422
    assert error_beside(text(response), "each-error") == "Enter a whole number from 0 to 999."


def test_more_labels_than_one_print_takes_are_refused(client, api):
    as_user(client, api.user(Role.CLERK)[1])
    too_many = MAX_LABELS // 3 + 1
    response = client.get(f"/labels/products/{STYLE}/print", query_string={"each": too_many})
    assert response.status_code == 422
    assert "At most 2,000 labels in one print." in text(response)


def test_an_unknown_product_or_receipt_is_a_404(client, api):
    as_user(client, api.user(Role.CLERK)[1])
    assert client.get("/labels/products/NOPE").status_code == 404
    assert client.get("/labels/products/NOPE/print").status_code == 404
    assert client.get("/labels/receipts/999999").status_code == 404


def test_a_receipt_prints_one_label_per_piece_received(client, api, receipt):
    as_user(client, api.user(Role.CLERK)[1])
    page = text(client.get(f"/labels/receipts/{receipt}", query_string={"layout": "sheet"}))
    barcodes = barcodes_of(api)
    assert labels_on(page) == [barcodes[S]] * 3 + [barcodes[M]] * 2
    assert "layout-sheet" in page
    # With the price ticked off, no price: the options form sends nothing for it.
    assert 'class="price"' not in page


def test_the_bins_print_one_label_each_with_their_code(app, client, manager):
    with app.app_context():
        warehouse = warehouses.main_warehouse_id()
        warehouses.create_location(warehouse_id=warehouse, code="A-01-03", zone="<b>Zone</b>")
        codes = [location.code for location in warehouses.locations(warehouse)]
    page = text(client.get("/labels/locations"))
    assert labels_on(page) == sorted(codes) and "A-01-03" in codes
    assert "&lt;b&gt;Zone&lt;/b&gt;" in page and "<b>Zone" not in page
    assert 'aria-label="Code 128 A-01-03"' in page


def test_names_on_labels_are_escaped(app, client, make_user, make_style):
    make_style("X1", name='<script>alert("x")</script>', colours=("<i>Red</i>",), sale_price=99)
    make_user(Role.CLERK, username="clerk")
    sign_in(client, "clerk")
    page = text(client.get("/labels/products/X1/print", query_string={"each": "1"}))
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<i>Red" not in page and "&lt;i&gt;Red&lt;/i&gt;" in page


def test_the_sheet_stylesheet_follows_the_settings(app, client, manager):
    client.post(
        "/settings",
        data={
            "over_receipt_tolerance_pct": "0",
            "label_rows": "7",
            "label_columns": "2",
            "label_margin_top_mm": "5",
            "label_margin_side_mm": "4",
        },
    )
    css = client.get("/labels/sheet.css")
    assert css.mimetype == "text/css"
    body = text(css)
    assert "repeat(2, 1fr)" in body and "repeat(7, 1fr)" in body and "5mm 4mm" in body


def barcodes_of(api: Api) -> dict[str, str]:
    product = api.get(f"/products/{STYLE}").get_json()
    return {v["sku"]: v["barcode"] for v in product["variants"]}
