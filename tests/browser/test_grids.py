"""Grids that fit the tablet (issue 13), in Chinese and English at both viewports.

An 11-size × 6-colour style (36–46) is whole on the product page, in the manage-stock
dialog (both modes, its save button on screen) and in new-order entry, and the page
never scrolls sideways; a 14-size run scrolls inside its grid with the colour column in
sight. The header is one row for a manager, and table headers and status badges never
break one character per line.
"""

import pytest
from playwright.sync_api import expect

from stockapp.models import Role
from stockapp.services import orders, receiving
from tests.support.browser import sign_in, small_targets, translated

pytestmark = pytest.mark.browser

SIZES = tuple(str(n) for n in range(36, 47))  # 36 … 46
COLOURS = ("黑色", "白色", "藏青", "卡其", "酒红", "浅灰")
WIDE = tuple(str(n) for n in range(34, 48))  # 14 sizes


@pytest.fixture(params=["zh", "en"])
def language(request):
    return request.param


@pytest.fixture
def wide(app, make_user, make_style):
    """A manager (boss), C1046 in 11 sizes × 6 colours with some stock, and W1447 in 14 sizes."""
    skus = make_style("C1046", sizes=SIZES, colours=COLOURS, name="羊毛大衣")
    make_style("W1447", sizes=WIDE, colours=COLOURS[:2], name="牛仔裤")
    manager = make_user(Role.MANAGER, username="boss")
    with app.test_request_context():
        receiving.receive(
            lines=[(skus["C1046-黑色-36"], 120), (skus["C1046-浅灰-46"], 8)], operator_id=manager
        )
        orders.create(
            number="PH-7",
            customer="王老板",
            lines=[(skus["C1046-黑色-36"], 12)],
            operator_id=manager,
        )
    return skus


def open_as(page, language: str, path: str) -> None:
    sign_in(page, "boss")
    if language == "en":
        page.click("form.lang button:text-is('English')")
        expect(page.locator("form.lang button[aria-current]")).to_have_text("English")
    page.goto(path)


def words(app, text: str, language: str) -> str:
    return translated(app, text, "zh_CN" if language == "zh" else "en")


def page_scrolls_sideways(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")


def whole(grid) -> None:
    """Every size of the grid in sight: its wrapper does not need to scroll."""
    wrap = grid.locator("xpath=ancestor::div[contains(@class, 'grid-wrap')][1]")
    over = wrap.evaluate("(w) => w.scrollWidth - w.clientWidth")
    assert over <= 0, f"the grid overflows its wrapper by {over}px"
    last = grid.locator("thead th").last.bounding_box()
    assert last["x"] + last["width"] <= grid.page.viewport_size["width"]


def on_screen(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    height = page.evaluate("() => window.innerHeight")
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{selector} is off screen: {box}"


def test_an_eleven_by_six_style_fits_the_product_page_the_dialog_and_new_order(
    app, page, wide, language, screenshot
):
    skus = wide
    open_as(page, language, "/products/C1046")
    matrix = page.locator("#matrix table.grid")
    expect(matrix.locator("thead th")).to_have_count(1 + len(SIZES) + 1)  # colour, sizes, total
    assert not page_scrolls_sideways(page)
    whole(matrix)
    # The total column keeps its "reserved / available" on one line.
    total = matrix.locator("tbody tr").first.locator("td.total .sub")
    expect(total).to_have_text("12 / 108")
    line = total.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)")
    assert total.bounding_box()["height"] <= line * 1.2
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("128")
    if language == "zh":
        screenshot("grid-product")
    assert small_targets(page) == []

    for mode in ("inbound", "stocktake"):
        if mode == "inbound":
            page.locator("button.manage").click()
        else:
            page.locator("#modal .modes button:nth-child(2)").click()
            expect(page.locator("#modal input[name^=c-]").first).to_be_visible()
        dialog = page.locator("#modal[open]")
        expect(dialog.locator("#scan")).to_be_focused()
        grid = dialog.locator("table.grid")
        expect(grid.locator("tbody tr")).to_have_count(len(COLOURS))
        assert not page_scrolls_sideways(page)
        whole(grid)
        on_screen(page, "#modal #stock-submit")
        assert small_targets(page) == [], f"{mode}: targets under 44px"
        if language == "zh":
            screenshot(f"grid-dialog-{mode}")
    # The narrow cell's + still counts, and the save goes through from where it is.
    cell = page.locator(f"#modal input[name=c-{skus['C1046-浅灰-46']}]")
    cell.locator("xpath=..").locator("[data-step='1']").click()
    expect(cell).to_have_value("9")
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#modal")).not_to_have_attribute("open", "")
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("129")

    page.goto("/orders/new")
    page.fill("#add", "C1046")
    page.locator("[data-scan-button]").click()
    grid = page.locator(".entry-style table.grid")
    expect(grid.locator("tbody tr")).to_have_count(len(COLOURS))
    assert not page_scrolls_sideways(page)
    whole(grid)
    assert small_targets(page) == []
    if language == "zh":
        screenshot("grid-new-order")


def sizes_in_sight(grid) -> None:
    """Every size can be seen without the page scrolling sideways: the grid is whole, or it
    scrolls inside its wrapper, and scrolled to its end the last size comes into view while
    the colour column (and a total column) stays where it was. At 768 px a 14-size run
    has to scroll."""
    page = grid.page
    assert not page_scrolls_sideways(page)
    wrap = grid.locator("xpath=..")
    if not wrap.evaluate("(w) => w.scrollWidth > w.clientWidth"):
        assert page.viewport_size["width"] > 800, "14 sizes cannot fit across at 768 px"
        whole(grid)
        return
    stuck = grid.locator("tbody th, tbody td.total").all()
    before = [cell.bounding_box()["x"] for cell in stuck]
    wrap.evaluate("(w) => { w.scrollLeft = w.scrollWidth; }")
    assert wrap.evaluate("(w) => w.scrollLeft") > 0
    box = wrap.bounding_box()
    last = grid.locator("thead th").last.bounding_box()
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 1
    # Sticky at the wrapper's edge: at most the table's 1px border from where it was.
    moved = [abs(cell.bounding_box()["x"] - x) for cell, x in zip(stuck, before, strict=True)]
    assert max(moved) <= 1.5, moved
    expect(stuck[0]).to_be_in_viewport()


def test_a_fourteen_size_run_scrolls_inside_its_grid_with_the_colours_in_sight(
    app, page, wide, language, screenshot
):
    open_as(page, language, "/products/W1447")
    sizes_in_sight(page.locator("#matrix table.grid"))
    page.locator("button.manage").click()
    grid = page.locator("#modal[open] table.grid")
    expect(grid.locator("tbody tr")).to_have_count(2)
    on_screen(page, "#modal #stock-submit")
    sizes_in_sight(grid)
    if language == "zh":
        screenshot("grid-dialog-14")

    page.goto("/orders/new")
    page.fill("#add", "W1447")
    page.locator("[data-scan-button]").click()
    grid = page.locator(".entry-style table.grid")
    expect(grid.locator("thead th")).to_have_count(1 + len(WIDE))
    sizes_in_sight(grid)


HEADER_ITEMS_JS = """
() => [...document.querySelectorAll(
  'header.bar > .brand, header nav > a, header nav > details > summary,'
  + ' header #todo > summary, header .lang button, header .user-menu > summary')]
  .filter((el) => el.getClientRects().length)
  .map((el) => ({ text: el.textContent.trim(), top: Math.round(el.getBoundingClientRect().top),
                  bottom: Math.round(el.getBoundingClientRect().bottom) }))
"""


def test_the_header_is_one_row_and_every_link_is_reachable(app, page, wide, language):
    open_as(page, language, "/")
    items = page.evaluate(HEADER_ITEMS_JS)
    # brand, 3 links, More, the to-do, the language to switch to, the user
    assert len(items) == 8, items
    # One row: every item overlaps every other vertically.
    assert max(i["top"] for i in items) < min(i["bottom"] for i in items), f"two rows: {items}"
    header = page.locator("header.bar").bounding_box()
    assert header["height"] <= 50, f"the header is {header['height']}px high"
    assert not page_scrolls_sideways(page)

    # A manager's back office is one tap away under More, and a tap elsewhere closes it.
    more = page.locator("header nav details.menu")
    more.locator("summary").click()
    for name in ("Stock logs", "Import", "Settings"):
        expect(more.locator(f"a:text-is('{words(app, name, language)}')")).to_be_visible()
    page.locator("main").click(position={"x": 5, "y": 5})
    expect(more.locator(".menu-items")).to_be_hidden()
    # The name menu holds the user's own links and the sign-out; only one menu is open.
    more.locator("summary").click()
    user = page.locator("header .user-menu")
    user.locator("summary").click()
    expect(more.locator(".menu-items")).to_be_hidden()
    expect(user.locator(f"a:text-is('{words(app, 'My actions', language)}')")).to_be_visible()
    expect(user.locator(f"a:text-is('{words(app, 'Change password', language)}')")).to_be_visible()
    expect(user.locator("form[action='/logout'] button")).to_be_visible()
    page.keyboard.press("Escape")
    expect(user.locator(".menu-items")).to_be_hidden()
    more.locator("summary").click()
    more.locator("a[href='/logs']").click()
    expect(page).to_have_url(f"{page.url.split('/logs')[0]}/logs")


def test_table_headers_and_badges_keep_their_words_whole(app, page, wide, language):
    open_as(page, language, "/orders")
    badge = page.locator("table.orders .state").first
    expect(badge).to_be_visible()
    for cell in [badge, *page.locator("table.orders thead th").all()]:
        lines = cell.evaluate(
            """(el) => {
              const s = getComputedStyle(el);
              const inner = el.getBoundingClientRect().height
                - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)
                - parseFloat(s.borderTopWidth) - parseFloat(s.borderBottomWidth);
              return inner / parseFloat(s.lineHeight);
            }"""
        )
        assert lines <= 1.2, f"{cell.text_content()!r} wraps ({lines:.1f} lines)"


def test_twelve_sizes_by_eight_colours_show_whole(app, page, make_user, make_style):
    """The issue's widest run that must fit: 12 sizes × 8 colours, whole on the three screens."""
    sizes = tuple(str(n) for n in range(35, 47))
    colours = (*COLOURS, "米白", "军绿")
    make_style("D1247", sizes=sizes, colours=colours, name="短靴")
    make_user(Role.MANAGER, username="boss")
    open_as(page, "zh", "/products/D1247")
    whole(page.locator("#matrix table.grid"))
    page.locator("button.manage").click()
    grid = page.locator("#modal[open] table.grid")
    expect(grid.locator("tbody tr")).to_have_count(len(colours))
    whole(grid)
    on_screen(page, "#modal #stock-submit")
    assert small_targets(page) == []
    page.goto("/orders/new")
    page.fill("#add", "D1247")
    page.locator("[data-scan-button]").click()
    grid = page.locator(".entry-style table.grid")
    expect(grid.locator("thead th")).to_have_count(1 + len(sizes))
    whole(grid)
    assert not page_scrolls_sideways(page)
