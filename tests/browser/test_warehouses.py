"""Warehouses in a real browser, on both tablets in Chinese and English: a manager opens
Warehouses from "More", adds a warehouse (a refusal shows beside the field first), adds
a bin to it and prints the bin's label; touch targets are 44 px, nothing scrolls
sideways."""

import re

import pytest
from playwright.sync_api import expect

from stockapp.models import Role
from tests.support.browser import MIN_TARGET_PX, open_more, sign_in, small_targets, translated

pytestmark = pytest.mark.browser


@pytest.fixture(params=["zh", "en"])
def language(request):
    return request.param


def in_main(page, targets: list[dict]) -> list[dict]:
    """The targets of the page's own content (the header is tested in test_shell.py)."""
    header = page.eval_on_selector_all(
        "header a[href], header button, header input, header select",
        "els => els.map((el) => el.outerHTML.slice(0, 120))",
    )
    return [t for t in targets if t["what"] not in header]


def test_a_manager_adds_a_warehouse_and_a_bin_and_prints_its_label(
    app, page, make_user, language, screenshot
):
    make_user(Role.MANAGER, username="boss")
    locale = "zh_CN" if language == "zh" else "en"

    def words(text: str, **variables) -> str:
        return translated(app, text, locale, **variables)

    sign_in(page, "boss")
    if language == "en":
        page.click("form.lang button:text-is('English')")
        expect(page.locator("form.lang button[aria-current]")).to_have_text("English")
    open_more(page)
    page.click(f"header a:text-is('{words('Warehouses')}')")
    expect(page.locator("h1")).to_have_text(words("Warehouses"))
    expect(page.locator("#warehouse-MAIN")).to_be_visible()
    assert in_main(page, small_targets(page)) == [], f"targets under {MIN_TARGET_PX}px"

    page.fill("#code", "SH 01")
    page.fill("#name", "上海仓")
    page.click("#warehouse-submit")
    expect(page.locator("#code-error")).to_contain_text(
        words("Use letters, digits and - _ (up to %(max)d), such as SH-01.", max=20)
    )
    page.fill("#code", "sh-01")
    page.click("#warehouse-submit")
    expect(page.locator("h1")).to_contain_text("上海仓")
    assert re.search(r"/warehouses/SH-01$", page.url)
    expect(page.locator("main")).to_contain_text(words("Warehouse %(code)s added.", code="SH-01"))

    page.fill("#code", "a-01-03")
    page.fill("#zone", "针织")
    page.click("#location-submit")
    row = page.locator("#location-rows tr", has_text="A-01-03")
    expect(row).to_contain_text("针织")
    assert in_main(page, small_targets(page)) == [], f"targets under {MIN_TARGET_PX}px"
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    if language == "zh":
        screenshot("warehouse")

    row.locator(f"a:text-is('{words('Print label')}')").click()
    label = page.locator(".label")
    expect(label).to_have_count(1)
    expect(label.locator(".code")).to_have_attribute("data-barcode", "A-01-03")
    expect(label).to_contain_text("上海仓")
