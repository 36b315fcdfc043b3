"""The floor in Chromium at tablet sizes: the product page and the manage-stock dialog."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import receiving, warehouses
from tests.support.browser import open_more, sign_in, sign_out, small_targets, translated
from tests.support.db import held, into_a_bin_and_quarantine, on_hand

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(app, make_user, make_style):
    """A clerk, signed in later by the test, and A1024 (Black, White × S M L) with stock."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black", "White"), name="圆领T恤")
    clerk = make_user(Role.CLERK, username="li")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 4)], operator_id=clerk)
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    return skus, barcodes


def open_dialog(page, opener: str, mode: str = "inbound") -> None:
    """Open the manage-stock dialog, in ``mode``, and wait until it is ready to type in."""
    page.locator(opener).first.click()
    expect(page.locator("#modal[open] #scan")).to_be_focused()
    if mode == "stocktake":
        page.locator("#modal .modes button:nth-child(2)").click()
        expect(page.locator("#modal input[name^=c-]").first).to_be_visible()
        expect(page.locator("#modal #scan")).to_be_focused()


def chip(page, size: str):
    """The on-hand figure of a size on the product list."""
    return page.locator(f"#product-rows li:has(.size:text-is('{size}')) .qty")


def test_receive_then_count_from_the_list_without_a_reload(app, page, floor, screenshot):
    skus, barcodes = floor
    sign_in(page, "li")
    page.evaluate("window.stayed = true")  # gone if the page reloads
    expect(chip(page, "S")).to_have_text("4")

    open_dialog(page, "#product-rows button.small")
    dialog = page.locator("#modal[open]")
    expect(dialog.locator(".stock-form")).to_be_visible()
    dialog.locator(f"input[name=q-{skus['A1024-Black-S']}]").fill("3")
    dialog.locator(f"input[name=q-{skus['A1024-White-M']}]").fill("5")
    # A keyboard-wedge scanner: fast keystrokes, then Enter. Twice on White L.
    for _ in range(2):
        dialog.locator("#scan").type(barcodes["A1024-White-L"], delay=5)
        dialog.locator("#scan").press("Enter")
    expect(dialog.locator(f"input[name=q-{skus['A1024-White-L']}]")).to_have_value("2")
    dialog.locator("#scan").type("6900000000000", delay=5)
    dialog.locator("#scan").press("Enter")
    expect(dialog.locator(".scan-message.error")).to_contain_text("6900000000000")
    screenshot("modal-inbound")
    dialog.locator("#stock-submit").click()

    expect(page.locator("#modal")).not_to_have_attribute("open", "")
    expect(page.locator("#toast")).to_have_text(translated(app, "Received %(n)s pcs", n=10))
    expect(chip(page, "S")).to_have_text("7")  # 4 + 3 (Black) + 0 (White)
    expect(chip(page, "M")).to_have_text("5")
    expect(chip(page, "L")).to_have_text("2")
    assert page.evaluate("window.stayed") is True

    # Switch to stocktake inside the dialog, count one cell differently, save.
    open_dialog(page, "#product-rows button.small", "stocktake")
    counted = dialog.locator(f"input[name=c-{skus['A1024-Black-S']}]")
    expect(counted).to_have_value("7")
    counted.fill("6")
    expect(counted.locator("xpath=../..").locator(".diff")).to_have_text("-1")
    dialog.locator("#scan").type(barcodes["A1024-White-L"], delay=5)
    dialog.locator("#scan").press("Enter")  # a scanned size counts from 0: books 2, counted 1
    expect(dialog.locator(f"input[name=c-{skus['A1024-White-L']}]")).to_have_value("1")
    screenshot("modal-stocktake")
    dialog.locator("#stock-submit").click()
    expect(page.locator("#toast")).to_have_text(
        translated(app, "Count saved: %(n)d sizes changed, difference %(diff)+d pcs", n=2, diff=-2)
    )
    expect(chip(page, "S")).to_have_text("6")
    expect(chip(page, "L")).to_have_text("1")
    assert page.evaluate("window.stayed") is True
    with app.app_context():
        assert on_hand(skus["A1024-Black-S"]) == 6 and on_hand(skus["A1024-White-L"]) == 1


def test_product_page_refreshes_and_explains_a_number(app, page, floor, screenshot):
    skus, _ = floor
    sign_in(page, "li")
    page.goto("/products/A1024")
    grand = page.locator("#matrix .grand .on-hand")
    expect(grand).to_have_text("4")
    screenshot("product")
    assert small_targets(page) == [], "product page: targets under 44px"
    open_dialog(page, "button.manage")  # ready for the scanner: the scan field has focus
    assert small_targets(page) == [], "manage-stock dialog: targets under 44px"
    page.locator(f"#modal input[name=q-{skus['A1024-Black-M']}]").fill("12")
    page.locator("#modal #stock-submit").click()
    expect(grand).to_have_text("16")
    # Black S: one piece moved to bin A-01, two damaged ones into quarantine Q-1.
    black_s = skus["A1024-Black-S"]
    with app.app_context():
        into_a_bin_and_quarantine(black_s, db.session.scalar(sa.text("SELECT id FROM users")))
    # "Why is this 4?": tap the figure of Black S. Every row names its place; the
    # quarantine row leaves the total alone.
    page.reload()
    page.locator("#matrix .figure").first.click()
    why = page.locator("#modal[open] .why")
    expect(why).to_contain_text(translated(app, "Why is this %(n)s?", n="4"))
    rows = why.locator(".why-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_have_class("not-counted")
    expect(rows.first).to_contain_text("Q-1")
    expect(why.locator(".why-places tbody tr")).to_have_count(3)
    screenshot("why")
    assert small_targets(page) == [], "why dialog: targets under 44px"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_stale_count_is_refused_with_the_new_figure(app, page, floor):
    skus, _ = floor
    sign_in(page, "li")
    page.goto("/products/A1024")
    open_dialog(page, "button.manage", "stocktake")
    page.locator(f"#modal input[name=c-{skus['A1024-Black-S']}]").fill("1")
    with app.app_context():  # another tablet receives meanwhile
        clerk = db.session.scalar(sa.text("SELECT id FROM users"))
        receiving.receive(lines=[(skus["A1024-Black-S"], 5)], operator_id=clerk)
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#modal .form-error")).to_contain_text("A1024-Black-S")
    expect(page.locator("#modal .cell.moved")).to_have_count(1)
    expect(page.locator(f"#modal input[name=c-{skus['A1024-Black-S']}]")).to_have_value("1")
    with app.app_context():
        assert on_hand(skus["A1024-Black-S"]) == 9
    page.locator("#modal #stock-submit").click()  # confirm against the new figure
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("1")


def test_the_manager_finds_the_day_in_both_logs_and_exports_it(
    app, page, floor, make_user, screenshot
):
    skus, _ = floor
    make_user(Role.MANAGER, username="boss")
    sign_in(page, "li")
    page.goto("/products/A1024")
    open_dialog(page, "button.manage")
    page.locator(f"#modal input[name=q-{skus['A1024-White-S']}]").fill("8")
    page.locator("#modal textarea[name=note]").fill("第二批到货")
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("12")
    open_dialog(page, "button.manage", "stocktake")
    page.locator(f"#modal input[name=c-{skus['A1024-Black-S']}]").fill("3")
    page.locator("#modal textarea[name=note]").fill("抽盘")
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("11")

    # A clerk is refused the logs, but sees their own actions.
    page.goto("/logs")
    expect(page.locator("main")).to_contain_text(translated(app, "Managers only"))
    page.goto("/logs/mine")
    expect(page.locator("#log-rows tbody tr")).to_have_count(3)

    sign_out(page)
    sign_in(page, "boss")
    open_more(page)
    page.click("nav a[href='/logs']")
    page.locator(".log-tabs a[href*='inbound']").click()
    rows = page.locator("#log-rows tbody tr")
    expect(rows.first).to_contain_text("第二批到货")
    expect(rows.first).to_contain_text("li")
    expect(rows.first).to_contain_text("+8")
    screenshot("logs")
    assert small_targets(page) == [], "stock log: targets under 44px"
    page.locator(".log-tabs a[href*='adjustment']").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("抽盘")
    expect(rows.first).to_contain_text("-1")
    with page.expect_download() as download:
        page.locator("a[href*='export.csv']").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert "抽盘" in text and "A1024-Black-S" in text and "第二批到货" not in text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_inbound_is_put_away_in_the_bin_chosen_in_the_dialog(
    app, page, floor, make_user, language, screenshot
):
    """A clerk of two warehouses picks a bin of the shop in "Put away in"; the pieces go
    there, and the dialog opens at that bin the next time."""
    skus, _ = floor
    v = skus["A1024-White-M"]
    with app.app_context():
        boss = make_user(Role.MANAGER, username="boss")
        main = warehouses.main_warehouse_id()
        sh = warehouses.create_warehouse(code="SH", name="上海仓", actor_id=boss)
        shelf = warehouses.create_location(warehouse_id=sh, code="S-01", actor_id=boss)
        clerk = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'li'"))
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids={main, sh}, actor_id=boss)
    sign_in(page, "li")
    if language == "en":
        page.click("form.lang button:text-is('English')")
        expect(page.locator("form.lang button[aria-current]")).to_have_text("English")
    locale = "zh_CN" if language == "zh" else "en"
    open_dialog(page, "#product-rows button.small")
    dialog = page.locator("#modal[open]")
    place = dialog.locator("select[name=place]")
    expect(place.locator("optgroup")).to_have_count(2)
    expect(place.locator("option:checked")).to_have_text(
        "MAIN · " + translated(app, "Usual bin per size", locale)
    )
    place.select_option(str(shelf))
    dialog.locator(f"input[name=q-{v}]").fill("6")
    screenshot(f"modal-inbound-place-{language}")
    dialog.locator("#stock-submit").click()
    expect(page.locator("#toast")).to_have_text(translated(app, "Received %(n)s pcs", locale, n=6))
    with app.app_context():
        assert held(v, shelf) == 6 and on_hand(v) == 6
    open_dialog(page, "#product-rows button.small")
    expect(page.locator("#modal[open] select[name=place] option:checked")).to_have_text("SH · S-01")
    assert small_targets(page) == []
