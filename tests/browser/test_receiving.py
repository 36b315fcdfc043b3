"""Receiving against a purchase order in Chromium at tablet sizes: a clerk scans and
submits, a manager approves, stock and the PO's remaining follow."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import warehouses
from tests.support.browser import scan, sign_in, small_targets, translated
from tests.support.db import on_hand, placed_po

pytestmark = pytest.mark.browser


@pytest.fixture
def po(app, make_user, make_style):
    """PO-1 from 广州服装厂 for A1024 Black S 6, M 4; a clerk (li) and a manager (wang)."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",), name="圆领T恤")
    manager = make_user(Role.MANAGER, username="wang")
    make_user(Role.CLERK, username="li")
    with app.test_request_context():
        warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(), code="A-01-03", zone="A"
        )
        po_id = placed_po(skus, manager)
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    return skus, barcodes, po_id


def test_clerk_receives_by_scanning_and_manager_approves(app, page, po, screenshot):
    skus, barcodes, po_id = po
    s, m, large = skus["A1024-Black-S"], skus["A1024-Black-M"], skus["A1024-Black-L"]
    sign_in(page, "li")
    page.goto("/receive")
    # A scan of a piece that arrived finds the PO it is on.
    page.fill("#q", barcodes["A1024-Black-S"])
    page.locator("#q").press("Enter")
    expect(page.locator("h1")).to_contain_text("PO-1")
    screenshot("receive-empty")

    for _ in range(4):
        scan(page, barcodes["A1024-Black-S"], "#add")
    expect(page.locator(f"input[name=r-{s}]")).to_have_value("4")
    page.locator(f"input[name=r-{m}]").fill("2")
    page.locator(f"input[name=d-{m}]").fill("1")
    page.locator(f"select[name=why-{m}]").select_option("damaged")
    page.locator(f"input[name=n-{m}]").fill("箱子压坏")
    page.locator(f"select[name=loc-{s}]").select_option(label="A-01-03 · A")
    # A piece that is not on the PO: it comes in as a wrong item.
    scan(page, barcodes["A1024-Black-L"], "#add")
    expect(page.locator(f"input[name=r-{large}]")).to_have_value("1")
    expect(page.locator(f"select[name=why-{large}]")).to_have_value("wrong")
    screenshot("receive-counted")
    assert small_targets(page) == []
    page.locator("#receipt-submit").click()

    expect(page.locator(".state-rc-submitted")).to_be_visible()
    screenshot("receipt-submitted")
    with app.app_context():
        assert on_hand(s) == 0 and on_hand(m) == 0  # nothing before approval

    # The manager on this tablet: leave the page first, so that none of its requests
    # (the live check) lands after the cookies are gone and spoils the new session.
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, "wang")
    page.goto("/receipts")
    page.locator("#receipt-rows a.style-link").first.click()
    expect(page.locator(".receipt-lines tr.differs")).to_have_count(
        3
    )  # short S, damaged M, wrong L
    screenshot("receipt-review")
    page.locator("#approve").click()
    expect(page.locator("#toast")).to_contain_text(
        translated(
            app, "Receipt %(number)s approved: %(n)d pcs into stock.", number="RC", n=7
        ).split("RC")[0]
    )
    expect(page.locator(".state-rc-posted")).to_be_visible()
    with app.app_context():
        assert (on_hand(s), on_hand(m), on_hand(large)) == (4, 2, 1)

    page.goto(f"/purchase-orders/{po_id}")
    expect(page.locator("#po-remaining")).to_have_text("4")  # 6 − 4 and 4 − 2
    expect(page.locator(".state-po-partially_received")).to_be_visible()
    screenshot("po-after-receipt")
    page.goto(f"/purchase-orders/{po_id}/discrepancies")
    expect(page.locator("table")).to_contain_text("箱子压坏")
    screenshot("po-discrepancies")


def test_manager_creates_a_purchase_order_from_size_grids(app, page, po, screenshot):
    skus, _, _ = po
    sign_in(page, "wang")
    page.goto("/purchase-orders")
    expect(page.locator("#po-rows")).to_contain_text("PO-1")
    screenshot("purchase-orders")
    page.locator("a[href$='/purchase-orders/new']").click()
    page.locator("#supplier").select_option(label="广州服装厂")
    page.fill("#expected_on", "2026-12-01")
    page.fill("#add", "A1024")
    page.locator("[data-scan-button]").click()
    page.locator(f"input[name=q-{skus['A1024-Black-L']}]").fill("12")
    page.fill("#cost-A1024", "35.50")
    screenshot("po-new")
    assert small_targets(page) == []
    page.locator("#po-submit").click()
    expect(page.locator(".state-po-ordered")).to_be_visible()
    expect(page.locator("#po-remaining")).to_have_text("12")
    expect(page.locator(f"#po-cell-{skus['A1024-Black-L']}")).to_contain_text("35.50")


def test_manager_sets_up_suppliers_locations_and_settings(app, page, po, screenshot):
    sign_in(page, "wang")
    page.goto("/settings")
    page.fill("#over_receipt_tolerance_pct", "abc")
    page.locator("#settings-submit").click()
    expect(page.locator("#settings-form .error")).to_be_visible()
    page.fill("#over_receipt_tolerance_pct", "5")
    page.locator("#settings-submit").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#over_receipt_tolerance_pct")).to_have_value("5")
    screenshot("settings")
    assert small_targets(page) == []

    page.goto("/locations")
    page.fill("#code", "q-01")
    page.fill("#zone", "待处理区")
    page.locator("#is_quarantine").check()
    page.locator("#location-submit").click()
    expect(page.locator("main")).to_contain_text("Q-01")
    screenshot("locations")
    assert small_targets(page) == []

    page.goto("/suppliers")
    page.fill("#name", "广州服装厂")  # taken already
    page.locator("#supplier-submit").click()
    expect(page.locator("#supplier-form .error")).to_be_visible()
    page.fill("#name", "杭州面料行")
    page.fill("#phone", "0571-1234")
    page.locator("#supplier-submit").click()
    expect(page.locator("main")).to_contain_text("杭州面料行")
    screenshot("suppliers")
    assert small_targets(page) == []
    with app.app_context():
        assert db.session.scalar(
            sa.text("SELECT is_quarantine FROM locations WHERE code = 'Q-01'")
        ) in (True, 1)
