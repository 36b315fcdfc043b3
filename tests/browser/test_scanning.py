"""The scan field in Chromium at tablet sizes, on every screen that takes one: a
keyboard-wedge scanner fires 100 scans 30 ms apart and each counts once, a bad scan is
named in the user's language and the next good one is found, and a stocktake counts by
scanning from 0 (with "every unscanned size to 0")."""

import contextlib
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import ledger, orders, receiving
from tests.support.browser import sign_in, translated, wait_until_held
from tests.support.db import on_hand, placed_po

pytestmark = pytest.mark.browser

# A code no variant has.
NOPE = "6900000000000"
# The 36–46 run of a coat, in five colours.
COAT_SIZES = tuple(str(n) for n in range(36, 47))
COAT_COLOURS = ("Black", "Navy", "Grey", "Camel", "Red")


def wedge(page, codes, gap_ms: int = 30) -> None:
    """A keyboard-wedge scanner: each code's keys as fast as they come, then Enter, into
    whatever has the focus; ``gap_ms`` between scans."""
    for code in [codes] if isinstance(codes, str) else codes:
        page.keyboard.type(code, delay=0)
        page.keyboard.press("Enter")
        page.wait_for_timeout(gap_ms)


@pytest.fixture
def language(page, viewport, live_server):
    """Chinese on the upright tablet, English on the one held sideways."""
    if viewport["width"] == 768:
        return "zh_CN"
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    return "en"


@pytest.fixture
def shop(app, make_user, make_style):
    """A clerk (li), a manager (wang), A1024 (Black, White × S M L) with stock, B2048
    (Navy × 40 42), and their barcodes by SKU."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black", "White"), name="圆领T恤")
    skus |= make_style("B2048", sizes=("40", "42"), colours=("Navy",), name="牛仔裤")
    manager = make_user(Role.MANAGER, username="wang")
    make_user(Role.CLERK, username="li")
    with app.app_context():
        receiving.receive(
            lines=[(skus["A1024-Black-S"], 4), (skus["A1024-White-L"], 5)], operator_id=manager
        )
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    return skus, barcodes, manager


def unknown(app, language, text="No style, SKU or barcode %(code)s.", **names):
    return translated(app, text, language, **({"code": NOPE} | names))


def test_the_product_list_names_a_bad_scan_then_opens_a_good_one(app, page, shop, language):
    _, barcodes, _ = shop
    sign_in(page, "li")
    page.goto("/")
    field = page.locator("#q")
    expect(field).to_be_focused()  # on load: the scanner types into it untouched
    wedge(page, NOPE)
    expect(page.locator("#q-message.error")).to_have_text(unknown(app, language))
    expect(field).to_have_value("")  # cleared: the next scan is not glued to it
    expect(field).to_be_focused()
    wedge(page, barcodes["B2048-Navy-42"])
    expect(page).to_have_url(re.compile(r"/products/B2048$"))


def test_the_product_page_shows_a_scanned_size_and_opens_another_style(
    app, page, shop, language, screenshot
):
    _, barcodes, _ = shop
    sign_in(page, "li")
    page.goto("/products/A1024")
    expect(page.locator("#lookup")).to_be_focused()
    wedge(page, NOPE)
    message = page.locator("#lookup-message")
    expect(message).to_have_text(unknown(app, language))
    expect(message).to_have_class("scan-message error")
    # 99 scans of White L: each finds it (a scan glued to another would be unknown).
    wedge(page, [barcodes["A1024-White-L"]] * 99)
    said = "%(label)s: %(on_hand)d on hand, %(reserved)d reserved, %(available)d available"
    expect(message).to_have_text(
        translated(app, said, language, label="White L", on_hand=5, reserved=0, available=5)
    )
    expect(message).to_have_class("scan-message")
    cell = page.locator(f"#matrix td:has([data-barcode='{barcodes['A1024-White-L']}'])")
    expect(cell).to_have_class(re.compile(r"\bscanned\b"))
    screenshot("product-scan")
    # The 100th, of another style, opens that style.
    wedge(page, barcodes["B2048-Navy-40"])
    expect(page.locator("h1")).to_contain_text("B2048")


def open_manage(page, mode: str = "inbound") -> None:
    page.locator("button.manage").click()
    expect(page.locator("#modal[open] #scan")).to_be_focused()
    if mode == "stocktake":
        page.locator("#modal .modes button:nth-child(2)").click()
        expect(page.locator("#modal input[name^=c-]").first).to_be_visible()
        expect(page.locator("#modal #scan")).to_be_focused()


def test_inbound_counts_every_wedge_scan(app, page, shop, language):
    skus, barcodes, _ = shop
    sign_in(page, "li")
    page.goto("/products/A1024")
    open_manage(page)
    dialog = page.locator("#modal[open]")
    cell = lambda sku: dialog.locator(f"input[name=q-{skus[sku]}]")  # noqa: E731
    # Typing in a cell, then a scan arrives: it goes to the scan field, not the cell.
    cell("A1024-Black-M").fill("2")
    expect(cell("A1024-Black-M")).to_be_focused()
    wedge(page, barcodes["A1024-White-L"])
    expect(cell("A1024-Black-M")).to_have_value("2")
    expect(cell("A1024-White-L")).to_have_value("1")
    expect(dialog.locator("#scan")).to_be_focused()
    # 99 more: two of White L for each Black S.
    codes = [barcodes["A1024-Black-S" if i % 3 == 0 else "A1024-White-L"] for i in range(99)]
    wedge(page, codes)
    expect(cell("A1024-White-L")).to_have_value("67")
    expect(cell("A1024-Black-S")).to_have_value("33")
    # A bad scan is named and changes nothing; the good one after it is found.
    wedge(page, NOPE)
    bad = "Unknown barcode %(code)s: it is not a size of this product. Nothing was changed."
    expect(dialog.locator("#scan-message.error")).to_have_text(unknown(app, language, bad))
    wedge(page, barcodes["A1024-Black-S"])
    expect(cell("A1024-Black-S")).to_have_value("34")
    expect(dialog.locator("#scan-message")).not_to_have_class("scan-message error")
    dialog.locator("#stock-submit").click()
    expect(page.locator("#toast")).to_have_text(
        translated(app, "Received %(n)s pcs", language, n=2 + 67 + 34)
    )
    with app.app_context():
        assert on_hand(skus["A1024-White-L"]) == 5 + 67
        assert on_hand(skus["A1024-Black-S"]) == 4 + 34
        assert on_hand(skus["A1024-Black-M"]) == 2


IN_VIEW_JS = """
(cell) => {
  const box = cell.getBoundingClientRect();
  const inside = (outer) => box.left >= outer.left - 1 && box.right <= outer.right + 1
    && box.top >= outer.top - 1 && box.bottom <= outer.bottom + 1;
  if (!inside({ left: 0, top: 0, right: innerWidth, bottom: innerHeight })) return false;
  for (let up = cell.parentElement; up; up = up.parentElement) {
    const style = getComputedStyle(up);
    const clips = [style.overflowX, style.overflowY].some((o) => o !== "visible");
    if (clips && !inside(up.getBoundingClientRect())) return false;
  }
  return true;
}
"""


def test_a_stocktake_counts_by_scanning_from_zero(
    app, page, make_style, shop, language, screenshot
):
    _, _, manager = shop
    coat = make_style("C3036", sizes=COAT_SIZES, colours=COAT_COLOURS, name="羊毛大衣")
    books = {"C3036-Black-36": 5, "C3036-Navy-40": 7, "C3036-Red-46": 2}
    with app.app_context():
        receiving.receive(lines=[(coat[s], n) for s, n in books.items()], operator_id=manager)
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    sign_in(page, "li")
    page.goto("/products/C3036")
    open_manage(page, "stocktake")
    dialog = page.locator("#modal[open]")
    cell = lambda sku: dialog.locator(f"input[name=c-{coat[sku]}]")  # noqa: E731
    box = lambda sku: cell(sku).locator("xpath=ancestor::div[contains(@class, 'cell')]")  # noqa: E731

    # The last size of the last colour, 100 times: it counts 100, not books + 100.
    wedge(page, [barcodes["C3036-Red-46"]] * 100)
    expect(cell("C3036-Red-46")).to_have_value("100")
    expect(box("C3036-Red-46")).to_have_class(re.compile(r"\bcounted\b"))
    assert box("C3036-Red-46").evaluate(IN_VIEW_JS), "the scanned cell is out of view"
    # Books 5, three scanned: 3 (the issue saw 8).
    wedge(page, [barcodes["C3036-Black-36"]] * 3)
    expect(cell("C3036-Black-36")).to_have_value("3")
    expect(box("C3036-Black-36").locator(".diff")).to_have_text("-2")
    assert box("C3036-Black-36").evaluate(IN_VIEW_JS), "the scanned cell is out of view"
    # Not scanned: as on the books, until the counter says every unscanned size is 0.
    expect(cell("C3036-Navy-40")).to_have_value("7")
    rule = dialog.get_by_label(
        translated(app, "Set every unscanned size of this style to 0", language)
    )
    rule.check()
    expect(cell("C3036-Navy-40")).to_have_value("0")
    expect(box("C3036-Navy-40")).to_have_class(re.compile(r"\bzeroed\b"))
    expect(box("C3036-Navy-40").locator(".diff")).to_have_text("-7")
    expect(dialog.locator(".cell.zeroed")).to_have_count(len(coat) - 2)
    expect(cell("C3036-Red-46")).to_have_value("100")  # counted sizes keep their count
    expect(dialog.locator("#scan")).to_be_focused()
    rule.uncheck()
    expect(cell("C3036-Navy-40")).to_have_value("7")
    expect(dialog.locator(".cell.zeroed")).to_have_count(0)
    rule.check()
    expect(dialog.locator("#scan")).to_be_focused()  # the tap gives the focus back
    # A scan of a zeroed size counts it from 0.
    wedge(page, barcodes["C3036-Grey-38"])
    expect(cell("C3036-Grey-38")).to_have_value("1")
    expect(box("C3036-Grey-38")).to_have_class(re.compile(r"\bcounted\b"))
    screenshot("modal-stocktake-scan")

    dialog.locator("#stock-submit").click()
    said = "Count saved: %(n)d sizes changed, difference %(diff)+d pcs"
    expect(page.locator("#toast")).to_have_text(
        translated(app, said, language, n=4, diff=(100 - 2) + (3 - 5) + (0 - 7) + 1)
    )
    counted = {sku: 0 for sku in coat} | {
        "C3036-Red-46": 100,
        "C3036-Black-36": 3,
        "C3036-Grey-38": 1,
    }
    with app.app_context():
        assert {sku: on_hand(v) for sku, v in coat.items()} == counted
        assert ledger.discrepancies() == []


@pytest.fixture
def order(app, shop):
    """Order PH-1: A1024 Black S 60 and Black M 41."""
    skus, barcodes, manager = shop
    with app.test_request_context():
        created = orders.create(
            number="PH-1",
            customer="王老板",
            lines=[(skus["A1024-Black-S"], 60), (skus["A1024-Black-M"], 41)],
            operator_id=manager,
        )
    return skus, barcodes, created["id"]


def test_picking_counts_every_wedge_scan(app, page, order, language):
    skus, barcodes, order_id = order
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    sign_in(page, "li")
    page.goto(f"/orders/{order_id}")
    expect(page.locator("#scan")).to_be_focused()  # on load, untouched
    wedge(page, [barcodes["A1024-Black-S" if i % 5 < 3 else "A1024-Black-M"] for i in range(100)])
    expect(page.locator(f"#p-{s}")).to_have_value("60")
    expect(page.locator(f"#p-{m}")).to_have_value("40")
    wedge(page, barcodes["A1024-Black-S"])  # the 61st of 60
    full = translated(app, "%(label)s is fully picked already.", language, label="A1024 Black S")
    expect(page.locator("#scan-message.error")).to_have_text(full)
    wedge(page, NOPE)
    expect(page.locator("#scan-message.error")).to_have_text(
        unknown(app, language, "%(code)s is not on this order. Nothing was picked.")
    )
    wedge(page, barcodes["A1024-Black-M"])
    expect(page.locator(f"#p-{m}")).to_have_value("41")
    expect(page.locator(".pick-status")).to_have_text(translated(app, "All picks saved.", language))
    page.reload()
    expect(page.locator(f"#p-{s}")).to_have_value("60")
    expect(page.locator(f"#p-{m}")).to_have_value("41")


def test_a_refresh_drawn_before_the_last_save_is_not_shown(app, page, order, language):
    """The order's refresh asked for after one save, answered only after the next: the
    view drawn before the second save must not replace the figures the second one saved,
    and the refresh that save asked for must still come."""
    skus, barcodes, order_id = order
    m = skus["A1024-Black-M"]
    sign_in(page, "li")
    page.goto(f"/orders/{order_id}")
    held = []  # the order's refreshes (htmx's), not the page itself

    def hold(route):
        if route.request.headers.get("hx-request"):
            held.append(route)
        else:
            route.continue_()

    page.route(f"**/orders/{order_id}", hold)
    saved = translated(app, "All picks saved.", language)
    wedge(page, barcodes["A1024-Black-M"])
    expect(page.locator(".pick-status")).to_have_text(saved)
    wait_until_held(page, held, "the refresh after its save")
    first = held.pop(0)
    drawn = first.fetch()  # drawn now, with Black M at 1
    wedge(page, barcodes["A1024-Black-M"])
    expect(page.locator(f"#p-{m}")).to_have_value("2")
    expect(page.locator(".pick-status")).to_have_text(translated(app, "Saving…", language))
    expect(page.locator(".pick-status")).to_have_text(saved)
    with contextlib.suppress(PlaywrightError):  # the page gave up on it: so much the better
        first.fulfill(response=drawn)
    page.unroute(f"**/orders/{order_id}")
    for route in held:
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    # The refresh drawn after the second save is shown: the cell as the server has it.
    expect(page.locator(f"#p-{m}")).to_have_attribute("value", "2")
    expect(page.locator(f"#p-{m}")).to_have_value("2")


@pytest.mark.parametrize(
    ("url", "user", "prefix"),
    [
        ("/orders/new", "li", "q"),
        ("/returns/new", "li", "r"),
        ("/purchase-orders/new", "wang", "q"),
    ],
    ids=["new-order", "return", "purchase-order"],
)
def test_entry_forms_count_every_wedge_scan(app, page, shop, language, url, user, prefix):
    skus, barcodes, _ = shop
    sign_in(page, user)
    page.goto(url)
    field = page.locator("#add")
    expect(field).to_be_focused()
    # A style code typed and 添加 tapped: its grid comes, and the focus is back.
    field.fill("A1024")
    page.locator("[data-scan-button]").click()
    cell = lambda sku: page.locator(f"input[name={prefix}-{skus[sku]}]")  # noqa: E731
    expect(cell("A1024-White-M")).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    # 100 scans, half of a style not on the form yet: its grid is asked for while the
    # scans keep coming, and they wait their turn.
    wedge(page, [barcodes["A1024-Black-S" if i % 2 else "B2048-Navy-40"] for i in range(100)])
    expect(cell("A1024-Black-S")).to_have_value("50")
    expect(cell("B2048-Navy-40")).to_have_value("50")
    wedge(page, NOPE)
    expect(page.locator("#add-message.error")).to_have_text(unknown(app, language))
    wedge(page, barcodes["B2048-Navy-42"])
    expect(cell("B2048-Navy-42")).to_have_value("1")
    expect(cell("B2048-Navy-40")).to_have_value("50")
    expect(page.locator("#add-message")).not_to_have_class("scan-message error")
    expect(field).to_be_focused()


@pytest.fixture
def po(app, shop):
    """PO-1 for A1024 Black S 6, M 4, placed."""
    skus, barcodes, manager = shop
    with app.test_request_context():
        po_id = placed_po(skus, manager)
    return skus, barcodes, po_id


def test_receiving_counts_every_wedge_scan(app, page, po, language):
    skus, barcodes, po_id = po
    sign_in(page, "li")
    page.goto(f"/purchase-orders/{po_id}/receive")
    expect(page.locator("#add")).to_be_focused()  # on load, untouched
    # 70 on the PO, 30 of a size that is not (it comes in as a wrong item mid-burst).
    wedge(page, [barcodes["A1024-Black-L" if i % 10 < 3 else "A1024-Black-S"] for i in range(100)])
    expect(page.locator(f"input[name=r-{skus['A1024-Black-S']}]")).to_have_value("70")
    expect(page.locator(f"input[name=r-{skus['A1024-Black-L']}]")).to_have_value("30")
    wedge(page, NOPE)
    expect(page.locator("#add-message.error")).to_have_text(
        unknown(app, language, "No SKU or barcode %(code)s.")
    )
    wedge(page, barcodes["A1024-Black-M"])
    expect(page.locator(f"input[name=r-{skus['A1024-Black-M']}]")).to_have_value("1")
    expect(page.locator(f"input[name=r-{skus['A1024-Black-S']}]")).to_have_value("70")
