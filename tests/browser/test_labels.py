"""Barcode labels in Chromium: a receipt's labels render under the strict CSP at tablet
sizes, in Chinese and English; a label's picture decodes (zxing-cpp) to the variant's
EAN-13, a bin's to its Code 128; printed, the A4 sheet holds rows × columns a page
and a roll label is a page of its own."""

import io
import re

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import receiving, warehouses
from tests.support.browser import sign_in, small_targets, translated

pytestmark = pytest.mark.browser

# A screen that shows a label as a 203 dpi thermal printer prints it.
PRINTER_DPI = 203 / 96


@pytest.fixture
def received(app, make_user, make_style):
    """K2025-01 女式羊毛大衣 (黑色; 36, 38) at 1,280.00; a receipt of 3 × 36 and 2 × 38;
    a clerk (li); the bin A-01-03. Returns the receipt id and {sku: barcode}."""
    skus = make_style(
        "K2025-01", sizes=("36", "38"), colours=("黑色",), name="女式羊毛大衣", sale_price=1280
    )
    clerk = make_user(Role.CLERK, username="li")
    with app.test_request_context():
        warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(), code="A-01-03", zone="A"
        )
        lines = [(skus["K2025-01-黑色-36"], 3), (skus["K2025-01-黑色-38"], 2)]
        receipt = receiving.receive(lines=lines, operator_id=clerk)["document"]["id"]
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    return receipt, barcodes


EAN13, CODE128 = zxingcpp.BarcodeFormat.EAN13, zxingcpp.BarcodeFormat.Code128


def decoded(png: bytes) -> list[tuple[object, str]]:
    """What zxing-cpp reads in a screenshot (it takes a PIL image; grey is enough)."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    return [(code.format, code.text) for code in found]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_receipts_labels_render_and_print(app, page, received, screenshot, locale):
    receipt, _ = received
    if locale == "en":
        page.goto("/login")
        page.click("form.lang button:text-is('English')")
    sign_in(page, "li")
    page.goto(f"/receipts/{receipt}")
    page.click(f"a[href='/labels/receipts/{receipt}']")
    labels = page.locator(".label")
    expect(labels).to_have_count(5)
    assert page.locator("header nav, .app-nav").count() == 0  # no app navigation
    expect(labels.first).to_contain_text("女式羊毛大衣")
    expect(labels.first).to_contain_text("1,280")
    print_button = translated(app, "Print", locale)
    expect(page.get_by_role("button", name=print_button)).to_be_visible()
    assert small_targets(page) == []
    if locale == "zh_CN":
        screenshot("labels-receipt")


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_printed_the_sheet_holds_rows_by_columns_and_a_roll_label_is_a_page(
    page, received, screenshot
):
    receipt, _ = received
    sign_in(page, "li")
    page.goto("/labels/products/K2025-01")
    expect(page.locator("input[name^='n-']")).to_have_count(2)
    assert small_targets(page) == []
    screenshot("labels-product")
    # 26 labels on sheets of 3 × 8 (the default settings): 24 on the first sheet, 2 on the next.
    page.goto("/labels/products/K2025-01/print?each=13&layout=sheet")
    page.emulate_media(media="print")
    expect(page.locator(".no-print").first).to_be_hidden()
    sheets = page.locator(".layout-sheet .page")
    expect(sheets).to_have_count(2)
    first = sheets.first.locator(".label").evaluate_all(BOXES)
    assert len(first) == 24 and sheets.last.locator(".label").count() == 2
    assert len({b["x"] for b in first}) == 3 and len({b["y"] for b in first}) == 8
    sheet = sheets.first.bounding_box()
    assert abs(sheet["width"] - mm(210)) < 2 and abs(sheet["height"] - mm(296)) < 2
    assert pdf_pages(page.pdf(prefer_css_page_size=True)) == 2

    # A roll: each label is a page of its own, 40 × 30 mm.
    page.goto(f"/labels/receipts/{receipt}?layout=40x30&price=y")
    label = page.locator(".label").first.bounding_box()
    assert abs(label["width"] - mm(40)) < 1 and abs(label["height"] - mm(30)) < 1
    assert pdf_pages(page.pdf(prefer_css_page_size=True)) == 5


# The labels' places on the page, rounded to whole pixels.
BOXES = """(labels) => labels.map((l) => {
  const box = l.getBoundingClientRect();
  return {x: Math.round(box.x), y: Math.round(box.y)};
})"""


def mm(millimetres: float) -> float:
    return millimetres * 96 / 25.4


def test_a_label_decodes_to_the_variants_barcode_and_a_bin_to_its_code(
    browser, live_server, received
):
    receipt, barcodes = received
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        device_scale_factor=PRINTER_DPI,
        locale="zh-CN",
        base_url=live_server,
    )
    page = context.new_page()
    blocked = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    try:
        sign_in(page, "li")
        page.goto(f"/labels/receipts/{receipt}?layout=40x30&price=y")
        first, last = page.locator(".label").first, page.locator(".label").last
        assert decoded(first.screenshot()) == [(EAN13, barcodes["K2025-01-黑色-36"])]
        assert decoded(last.screenshot()) == [(EAN13, barcodes["K2025-01-黑色-38"])]
        page.goto("/labels/locations?layout=50x30")
        bin_label = page.locator(".label", has_text="A-01-03")
        assert decoded(bin_label.screenshot()) == [(CODE128, "A-01-03")]
        assert blocked == []
    finally:
        context.close()
