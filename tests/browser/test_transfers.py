"""Transfers in a real browser, on both tablets in Chinese and English: MAIN's clerk
ships a transfer, SH's clerk receives it short (typed per size), and the manager writes
the shortfall off; the transfer closes and nothing is left in transit. The list pages
forward and back and filters by state."""

import pytest
from playwright.sync_api import expect

from stockapp.database import write_transaction
from stockapp.models import MovementKind, Role
from stockapp.queries.stock import in_transit
from stockapp.services import ledger, transfers, warehouses
from tests.support.browser import MIN_TARGET_PX, sign_in, sign_out, small_targets, translated

pytestmark = pytest.mark.browser


@pytest.fixture(params=["zh", "en"])
def language(request):
    return request.param


def test_a_transfer_received_short_and_the_shortfall_written_off(
    app, page, make_user, make_style, language
):
    boss = make_user(Role.MANAGER, username="boss")
    make_user(Role.CLERK, username="ann")  # MAIN's
    bea = make_user(Role.CLERK, username="bea")
    variants = make_style("T1", sizes=("S", "M"), colours=())
    with app.app_context():
        sh = warehouses.create_warehouse(code="SH", name="上海仓", actor_id=boss)
        warehouses.set_user_warehouses(user_id=bea, warehouse_ids=[sh])
        with write_transaction():
            ledger.post(
                [ledger.Line(v, warehouses.default_location_id(), 10) for v in variants.values()],
                kind=MovementKind.INBOUND,
                operator_id=boss,
                document_id=None,
            )
        transfer_id = transfers.create(
            from_warehouse_id=warehouses.main_warehouse_id(),
            to_warehouse_id=sh,
            lines=[(v, 4) for v in variants.values()],
            operator_id=boss,
        )["id"]
    locale = "zh_CN" if language == "zh" else "en"

    def words(text: str, **variables) -> str:
        return translated(app, text, locale, **variables)

    def as_user(name: str) -> None:
        sign_in(page, name)
        current = page.locator("form.lang button[aria-current]")
        if language == "en" and current.inner_text() != "English":
            page.click("form.lang button:text-is('English')")
            expect(page.locator("form.lang button[aria-current]")).to_have_text("English")
        page.goto(f"/transfers/{transfer_id}")

    as_user("ann")
    page.click("#ship")
    expect(page.locator("#transfer-state")).to_have_text(words("In transit"))
    sign_out(page)

    as_user("bea")
    s, m = variants["T1-S"], variants["T1-M"]
    page.fill(f"#received-{s}", "3")
    page.fill(f"#reason-{s}", "缺一件")
    page.fill(f"#received-{m}", "4")
    page.click("#receive")
    expect(page.locator("#transfer-state")).to_have_text(words("Waiting for a decision"))
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    sign_out(page)

    as_user("boss")
    page.select_option(f"select[name='action-{s}']", "write_off")
    page.click("#decide")
    expect(page.locator("#transfer-state")).to_have_text(words("Closed"))
    expect(page.locator(f"#line-{s}")).to_contain_text("缺一件")
    with app.app_context():
        assert in_transit(s) == in_transit(m) == 0


def test_the_transfer_list_pages_and_filters_by_state(
    app, page, make_user, make_style, viewport, live_server, screenshot
):
    """Chinese upright, English sideways: seven transfers, three a page; Next, Previous,
    and the In transit tab."""
    locale = "zh_CN" if viewport["width"] == 768 else "en"
    if locale == "en":
        page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    boss = make_user(Role.MANAGER, username="boss")
    variant = make_style("T1", sizes=("S",), colours=())["T1-S"]
    with app.app_context():
        sh = warehouses.create_warehouse(code="SH", name="上海仓", actor_id=boss)
        with write_transaction():
            ledger.post(
                [ledger.Line(variant, warehouses.default_location_id(), 10)],
                kind=MovementKind.INBOUND,
                operator_id=boss,
                document_id=None,
            )
        numbers = []
        for n in range(7):
            made = transfers.create(
                from_warehouse_id=warehouses.main_warehouse_id(),
                to_warehouse_id=sh,
                lines=[(variant, 1)],
                operator_id=boss,
            )
            if n in (1, 4):
                transfers.ship(made["id"], operator_id=boss)
            numbers.insert(0, made["number"])
    app.config["PAGE_SIZE"] = 3
    rows = page.locator("#transfer-rows tbody tr strong")
    sign_in(page, "boss")
    page.goto("/transfers")
    expect(rows).to_have_text(numbers[:3])
    assert small_targets(page) == [], f"transfer list: targets under {MIN_TARGET_PX}px"
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    screenshot("transfers")
    page.click("nav.pages a[rel=next]")
    expect(rows).to_have_text(numbers[3:6])
    page.click("nav.pages a[rel=prev]")
    expect(rows).to_have_text(numbers[:3])
    page.click(f"nav.log-tabs a:text-is('{translated(app, 'In transit', locale)}')")
    expect(rows).to_have_text([numbers[2], numbers[5]])
    expect(page.locator("nav.pages a")).to_have_count(0)
