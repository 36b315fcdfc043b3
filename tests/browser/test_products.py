"""A manager on an empty install creates K2025-01 女式羊毛大衣 in sizes 36–46 and five
colours, then sets its low-stock thresholds with a shortcut: Chinese on the upright
tablet, English on the sideways one."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import Style
from tests.support.apps import PASSWORD
from tests.support.browser import small_targets

pytestmark = pytest.mark.browser

COLOURS = "黑色 驼色 灰色 藏青 酒红"


def test_a_manager_creates_a_coat_in_eleven_sizes_and_five_colours(app, page, viewport, screenshot):
    english = viewport["width"] > viewport["height"]
    page.goto("/setup")
    if english:
        page.click("form.lang button:text-is('English')")
    page.fill("#username", "老板")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button.primary")
    expect(page.locator("header .who")).to_be_visible()

    page.click("a[href='/products/new']")
    page.fill("#code", "K2025-01")
    page.fill("#name", "女式羊毛大衣")
    page.fill("#category", "大衣")
    page.fill("#unit", "件")
    page.fill("#sale_price", "1299")
    page.select_option("#size_group", label="36–46 (36 37 38 39 40 41 42 43 44 45 46)")
    page.fill("#other_colours", COLOURS)
    cells = page.locator("#new-grid input")
    expect(cells).to_have_count(55)
    expect(page.locator("#new-grid h2")).to_contain_text("55")
    # The grid scrolls inside its frame; the page itself does not scroll sideways.
    assert (
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        <= 0
    )
    assert small_targets(page) == []
    page.locator("#new-grid").scroll_into_view_if_needed()
    screenshot("product-new" + ("-en" if english else ""))

    page.click("#new-product-submit")
    page.wait_for_url("**/products/K2025-01")
    with app.app_context():
        style = db.session.scalar(select(Style).where(Style.code == "K2025-01"))
        assert style.sizes == [str(n) for n in range(36, 47)]
        assert style.colours == COLOURS.split()

    # Thresholds: the first cell of each colour, then "same for every size".
    grid = page.locator("#thresholds")
    for row in range(5):
        grid.locator(f"input[data-row='{row}'][data-column='0']").fill(str(row + 1))
    grid.locator("button[data-fill='row']").click()
    grid.scroll_into_view_if_needed()
    expect(grid.locator("input[data-row='4'][data-column='10']")).to_have_value("5")
    screenshot("product-thresholds" + ("-en" if english else ""))
    with page.expect_navigation():
        grid.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    with app.app_context():
        db.session.expire_all()
        style = db.session.scalar(select(Style).where(Style.code == "K2025-01"))
        thresholds = {(v.colour, v.size): v.low_stock_threshold for v in style.variants}
        assert set(thresholds.values()) == {1, 2, 3, 4, 5}
        assert thresholds[("酒红", "46")] == 5 and thresholds[("黑色", "36")] == 1
    # Every cell is at or below its threshold (no stock yet): the list shows it as low.
    page.goto("/?show=low")
    expect(page.locator("table.products tbody tr")).to_have_count(1)
