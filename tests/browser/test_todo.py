"""The managers' to-do follows the other tablets, and the receiving sheet shows what
receipts waiting for approval hold: in Chromium at tablet sizes."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import orders, purchasing, receiving, suppliers
from tests.support.browser import sign_in, small_targets, translated

pytestmark = pytest.mark.browser

# The live poll asks every 2 s: a change shows within this long, untouched.
LIVE_MS = 6_000


@pytest.fixture
def shop(app, make_user, make_style):
    """A1024 Black S, M in stock (10 each); PO-1 of S 6, M 4 from 广州服装厂; order PH-1
    of S 1, M 2 for 王老板; a manager (wang) and a clerk (li)."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",), name="圆领T恤")
    manager = make_user(Role.MANAGER, username="wang")
    make_user(Role.CLERK, username="li")
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    with app.test_request_context():
        receiving.receive(lines=[(s, 10), (m, 10)], operator_id=manager)
        supplier = suppliers.save(name="广州服装厂")
        po = purchasing.create(
            number="PO-1",
            supplier_id=supplier,
            lines=[purchasing.OrderedLine(s, 6), purchasing.OrderedLine(m, 4)],
            operator_id=manager,
            place=True,
        )["id"]
        order = orders.create(
            number="PH-1", customer="王老板", lines=[(s, 1), (m, 2)], operator_id=manager
        )["id"]
    return skus, po, order


def test_the_managers_todo_follows_the_clerks_tablet(app, page, second_tablet, shop, screenshot):
    skus, po, order = shop
    s, m = skus["A1024-Black-S"], skus["A1024-Black-M"]
    sign_in(page, "wang")
    sign_in(second_tablet, "li")
    page.goto("/")
    count = page.locator("#todo-count")
    expect(count).to_have_text("0")
    page.evaluate("window.stayed = true")
    # A clerk never has the to-do.
    expect(second_tablet.locator("#todo")).to_have_count(0)

    # The clerk submits a receipt: it waits for approval, the manager's count rises.
    second_tablet.goto(f"/purchase-orders/{po}/receive")
    second_tablet.locator(f"input[name=r-{s}]").fill("2")
    second_tablet.locator("#receipt-submit").click()
    expect(second_tablet.locator(".state-rc-submitted")).to_be_visible()
    expect(count).to_have_text("1", timeout=LIVE_MS)

    # The clerk picks PH-1 in full: it waits for 配货完成, the count rises again.
    second_tablet.goto(f"/orders/{order}")
    second_tablet.locator(f"#cell-{s} [data-step='1']").click()
    for _ in range(2):
        second_tablet.locator(f"#cell-{m} [data-step='1']").click()
    expect(second_tablet.locator(".pick-status")).to_have_text(translated(app, "All picks saved."))
    expect(count).to_have_text("2", timeout=LIVE_MS)
    assert page.evaluate("window.stayed") is True, "the manager's page never reloaded"

    # The to-do opens its lists, in the manager's language.
    page.locator("#todo summary").click()
    receipts = page.locator("#todo [data-todo=receipts]")
    expect(receipts).to_contain_text(translated(app, "Receipts waiting for approval"))
    expect(receipts.locator("strong")).to_have_text("1")
    expect(page.locator("#todo [data-todo=picked] strong")).to_have_text("1")
    expect(page.locator("#todo [data-todo=low] strong")).to_have_text("0")
    screenshot("manager-todo")
    assert small_targets(page) == []

    # The manager approves the receipt from the list the to-do opens: the count drops.
    receipts.click()
    expect(page).to_have_url(f"{page.url.split('/receipts')[0]}/receipts?state=submitted")
    page.locator("#receipt-rows a.style-link").first.click()
    page.locator("#approve").click()
    expect(page.locator(".state-rc-posted")).to_be_visible()
    expect(count).to_have_text("1", timeout=LIVE_MS)

    # And completes PH-1 from the orders picked in full: nothing is left to do.
    page.locator("#todo summary").click()
    page.locator("#todo [data-todo=picked]").click()
    expect(page.locator("main")).to_contain_text("PH-1")
    page.locator("main a", has_text="PH-1").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#complete").click()
    expect(page.locator(".state-completed")).to_be_visible()
    expect(count).to_have_text("0", timeout=LIVE_MS)


def test_the_receiving_sheet_shows_what_waits_for_approval(app, page, shop, screenshot):
    skus, po, _ = shop
    s = skus["A1024-Black-S"]
    with app.test_request_context():
        clerk = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'li'"))
        receiving.create(
            po_id=po,
            lines=[receiving.ArrivedLine(variant_id=s, received=4)],
            operator_id=clerk,
            submit=True,
        )
    sign_in(page, "li")
    page.goto(f"/purchase-orders/{po}/receive")
    # S: 6 ordered, 4 on a receipt waiting for approval → 2 due, "待审核 4" beside it.
    waiting = page.locator(".receive-lines .waiting")
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_text(translated(app, "waiting %(count)s", count="4"))
    expect(page.locator(".waiting-note")).to_be_visible()
    row = page.locator(".receive-lines tr", has=page.locator(f"input[name=r-{s}]"))
    expect(row.locator("td.num")).to_contain_text("2")
    page.locator(f"input[name=r-{s}]").focus()
    screenshot("receive-waiting")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
