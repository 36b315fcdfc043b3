"""Returns to the supplier in Chromium, on both tablets (768×1024 and 1024×768), each in
Chinese and in English: damaged pieces received on a PO wait in the quarantine bin; a
clerk opens the return from the PO, scans them, and submits; a manager approves it and
prints the return slip; the PO shows what went back."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.queries.moves import held_in
from stockapp.services import ledger, receiving, suppliers, warehouses
from tests.browser.test_scanning import wedge
from tests.support.browser import MIN_TARGET_PX, sign_in, sign_out, small_targets, translated
from tests.support.db import placed_po

pytestmark = pytest.mark.browser


@pytest.fixture(params=["zh_CN", "en"], ids=["zh", "en"])
def language(request, page, live_server):
    if request.param == "en":
        page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    return request.param


@pytest.fixture
def shop(app, make_user, make_style):
    """A clerk (li), a manager (wang); A1024 (Black × S M L, 圆领T恤) on PO-1 from 广州服装厂,
    received by the manager: 3 good S into the default bin, 2 damaged into MAIN's
    quarantine bin Q-1. The PO's id, the quarantine bin's, and the S barcode."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",), name="圆领T恤")
    manager = make_user(Role.MANAGER, username="wang")
    make_user(Role.CLERK, username="li")
    s = skus["A1024-Black-S"]
    with app.app_context():
        quarantine = warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(), code="Q-1", is_quarantine=True
        )
        po = placed_po(skus, manager)
        receiving.create(
            po_id=po,
            lines=[receiving.ArrivedLine(s, 3, damaged=2)],
            operator_id=manager,
            submit=True,
        )
        suppliers.save(name="杭州面料")  # another supplier, not chosen
        barcode = db.session.scalar(sa.text("SELECT barcode FROM variants WHERE id = :v"), {"v": s})
    return {"po": po, "q": quarantine, "s": s, "barcode": barcode}


def test_quarantine_pieces_are_returned_to_the_supplier_with_a_slip(
    app, page, shop, language, viewport, screenshot
):
    words = lambda text, **values: translated(app, text, language, **values)  # noqa: E731
    tag = "zh" if language == "zh_CN" else "en"
    sign_in(page, "li")
    page.goto(f"/purchase-orders/{shop['po']}")
    page.click("#return-to-supplier")
    expect(page).to_have_url(re.compile(r"/supplier-returns/new\?"))
    expect(page.locator("#supplier option:checked")).to_have_text("广州服装厂")
    expect(page.locator("#purchase_order option:checked")).to_have_text("PO-1")
    expect(page.locator("#location option:checked")).to_have_text(f"Q-1 · {words('Quarantine')}")
    expect(page.locator("#add")).to_be_focused()
    wedge(page, [shop["barcode"]] * 2)  # the first asks the server, the second counts here
    cell = page.locator(f"input[name='q-{shop['s']}']")
    expect(cell).to_have_value("2")
    page.fill("#note", "破洞，退回重做")
    assert small_targets(page) == [], f"return form: targets under {MIN_TARGET_PX}px"
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    screenshot(f"supplier-return-form-{tag}")
    page.click("#supplier-return-submit")
    expect(page).to_have_url(re.compile(r"/supplier-returns/\d+$"))
    state = page.locator("#supplier-return-view h1 .state")
    expect(state).to_have_text(words("Waiting for approval"))
    target = page.url
    with app.app_context():
        assert held_in(shop["q"], [shop["s"]]) == {shop["s"]: 2}, "nothing leaves before approval"
    sign_out(page)

    sign_in(page, "wang")
    page.goto(target)
    expect(page.locator("#piece-lines")).to_contain_text("Q-1")
    assert small_targets(page) == [], f"return page: targets under {MIN_TARGET_PX}px"
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    screenshot(f"supplier-return-{tag}")
    page.click("#approve")
    expect(state).to_have_text(words("Approved"))
    with app.app_context():
        assert held_in(shop["q"], [shop["s"]]) == {}
        assert ledger.discrepancies() == []

    page.click("#slip")
    expect(page).to_have_url(re.compile(r"/supplier-returns/\d+/slip$"))
    expect(page.locator("h1")).to_contain_text(words("Return slip"))
    expect(page.locator("header")).to_contain_text("广州服装厂")
    expect(page.locator("header")).to_contain_text("PO-1")
    expect(page.locator("#slip-state")).to_have_text(words("Approved"))
    expect(page.locator("tbody")).to_contain_text("A1024-Black-S")
    expect(page.locator("#slip-total")).to_have_text("2")
    screenshot(f"supplier-return-slip-{tag}")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")

    page.goto(f"/purchase-orders/{shop['po']}")
    expect(page.locator("#po-returned")).to_have_text("2")
    expect(page.locator("#po-returns")).to_be_visible()
    expect(page.locator("#po-view")).to_contain_text(f"{words('Returned')} 2")
    screenshot(f"supplier-return-po-{tag}")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
