"""When the Wi-Fi drops, in Chromium at tablet sizes: floor forms kept on the tablet
(IndexedDB) across a reload and posted once when the connection returns, refusals on
arrival shown with the server's reason, the connection bar never over a control; and
a session that ends while a dialog is open."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.database import utcnow
from stockapp.extensions import db
from stockapp.models import Role, UserSession
from stockapp.services import ledger, orders, purchasing, receiving, suppliers
from tests.support.browser import sign_in, translated
from tests.support.db import counts, on_hand

pytestmark = pytest.mark.browser

# The outbox tries again every 5 s: a test waiting for a retry allows for two, as a
# retry may just miss the moment the test lets it through.
RETRY_MS = 15_000


@pytest.fixture
def floor(app, make_user, make_style):
    """A clerk (li) and A1024 (Black × S M L) with 4 of Black S."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",), name="圆领T恤")
    clerk = make_user(Role.CLERK, username="li")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 4)], operator_id=clerk)
    return skus, clerk


def open_dialog(page, mode: str = "inbound") -> None:
    page.locator("button.manage").click()
    expect(page.locator("#modal[open] #scan")).to_be_focused()
    if mode == "stocktake":
        page.locator("#modal .modes button:nth-child(2)").click()
        expect(page.locator("#modal input[name^=c-]").first).to_be_visible()


def waiting(app, n: int, locale: str = "zh_CN") -> str:
    return translated(app, "Waiting to send (%(n)s)", locale, n=n)


def in_language(page, viewport) -> str:
    """Held sideways the tablet is switched to English; upright it stays in Chinese."""
    if viewport["width"] < viewport["height"]:
        return "zh_CN"
    page.click("form.lang button:text-is('English')")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    return "en"


class Posts:
    """The manage-stock dialog's POSTs as the browser sends them: ``block`` fails them
    before they leave; ``lose`` lets one reach the server and loses its answer."""

    def __init__(self, page, code: str):
        self.sent, self.mode = 0, "block"
        page.route(f"**/products/{code}/stock", self.handle)

    def handle(self, route):
        if route.request.method != "POST":
            return route.continue_()
        self.sent += 1
        if self.mode == "pass":
            return route.continue_()
        if self.mode == "lose":
            route.fetch()  # the server posts it …
            self.mode = "block"
        route.abort()  # … and the tablet never hears back


def test_offline_inbound_is_kept_across_a_reload_and_posted_once(
    app, page, viewport, floor, screenshot
):
    skus, _ = floor
    black_m = skus["A1024-Black-M"]
    sign_in(page, "li")
    page.goto("/products/A1024")
    locale = in_language(page, viewport)
    before = counts(app, "movements")
    open_dialog(page)
    page.locator(f"#modal input[name=q-{black_m}]").fill("4")
    page.context.set_offline(True)
    page.locator("#modal #stock-submit").click()

    # Kept on the tablet: the dialog closes, the header lists it, the bar says why.
    outbox = page.locator("#outbox")
    expect(outbox.locator("summary")).to_have_text(waiting(app, 1, locale))
    expect(page.locator("#modal")).not_to_have_attribute("open", "")
    expect(page.locator("#offline")).to_be_visible()
    outbox.locator("summary").click()
    expect(outbox.locator("li.waiting")).to_contain_text(
        f"{translated(app, 'Inbound', locale)} · A1024"
    )
    screenshot("outbox-waiting" + ("-en" if locale == "en" else ""))

    # Back online, but the server still out of reach: a reload keeps it waiting.
    posts = Posts(page, "A1024")
    page.context.set_offline(False)
    page.reload()
    expect(outbox.locator("summary")).to_have_text(waiting(app, 1, locale))
    assert posts.sent >= 1
    with app.app_context():
        assert on_hand(black_m) == 0

    # The server is reachable again: the retry tap sends it, once. (Let through only as
    # the tap comes, or the outbox's own retry every 5 s could send it first.)
    outbox.locator("summary").click()
    send_now = outbox.locator("[data-send-now]")
    expect(send_now).to_be_visible()
    posts.mode = "pass"
    send_now.click()
    expect(outbox).to_be_hidden()
    expect(page.locator("#toast")).to_have_text(translated(app, "Received %(n)s pcs", locale, n=4))
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("8")
    expect(page.locator("#offline")).to_be_hidden()
    with app.app_context():
        assert on_hand(black_m) == 4
        assert ledger.discrepancies() == []
    assert counts(app, "movements")[0] == before[0] + 1


def test_offline_stocktake_whose_answer_was_lost_posts_once(app, page, floor):
    skus, _ = floor
    black_s = skus["A1024-Black-S"]
    sign_in(page, "li")
    page.goto("/products/A1024")
    before = counts(app, "movements")
    open_dialog(page, "stocktake")
    page.locator(f"#modal input[name=c-{black_s}]").fill("1")
    page.context.set_offline(True)
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))

    # The tablet leaves the page; opened again online, the count reaches the server, but
    # its answer is lost on the way. (Left while offline, so that the count goes out
    # from the page opened again only, not also from the old one as the Wi-Fi returns.)
    page.goto("about:blank")
    posts = Posts(page, "A1024")
    posts.mode = "lose"
    page.context.set_offline(False)
    page.goto("/products/A1024")
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))
    for _ in range(RETRY_MS // 100):  # the page sends it at once; the server answers
        if posts.mode != "lose":
            break
        page.wait_for_timeout(100)
    with app.app_context():
        assert on_hand(black_s) == 1  # posted …
    # … and sent again by the periodic retry, with the same key: not posted twice.
    posts.mode = "pass"
    expect(page.locator("#outbox")).to_be_hidden(timeout=RETRY_MS)
    assert posts.sent >= 2
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("1")
    with app.app_context():
        assert on_hand(black_s) == 1
        assert ledger.discrepancies() == []
    assert counts(app, "movements")[0] == before[0] + 1


def test_a_count_refused_on_arrival_stays_listed_with_the_reason(app, page, viewport, floor):
    skus, clerk = floor
    black_s = skus["A1024-Black-S"]
    sign_in(page, "li")
    page.goto("/products/A1024")
    locale = in_language(page, viewport)
    open_dialog(page, "stocktake")
    page.locator(f"#modal input[name=c-{black_s}]").fill("1")
    page.context.set_offline(True)
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1, locale))
    with app.app_context():  # meanwhile another tablet receives 5: the count is stale
        receiving.receive(lines=[(black_s, 5)], operator_id=clerk)

    page.context.set_offline(False)  # the online event sends it at once
    refused = page.locator("#outbox li.refused")
    expect(page.locator("#outbox summary")).to_have_text(
        translated(app, "Refused (%(n)s)", locale, n=1)
    )
    reason = translated(
        app,
        "%(sku)s: you saw %(expected)d, it is now %(on_hand)d",
        locale,
        sku="A1024-Black-S",
        expected=4,
        on_hand=9,
    )
    expect(refused).to_contain_text(reason)  # the server's own words, opened for the user
    page.reload()  # kept until dismissed
    expect(refused).to_contain_text(reason)
    refused.locator("button").click()
    expect(page.locator("#outbox")).to_be_hidden()
    page.reload()
    expect(page.locator("#outbox")).to_be_hidden()
    with app.app_context():
        assert on_hand(black_s) == 9


TAKES_THE_TAP = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return hit !== null && hit.closest(selector) !== null;
}"""


def boxes_meet(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_connection_bar_never_covers_a_control_and_clears_itself(app, page, floor):
    sign_in(page, "li")
    page.goto("/orders/new")
    submit = page.locator("#order-submit")
    submit.scroll_into_view_if_needed()
    page.context.set_offline(True)
    submit.click()
    bar = page.locator("#offline")
    expect(bar).to_be_visible()
    submit.scroll_into_view_if_needed()
    assert not boxes_meet(bar.bounding_box(), submit.bounding_box())
    # The button itself takes the tap (nothing lies over it).
    assert page.evaluate(TAKES_THE_TAP, "#order-submit")
    page.context.set_offline(False)
    expect(bar).to_be_hidden()

    # Inside the dialog the bar shows in the dialog, above its content, not behind the backdrop.
    page.goto("/products/A1024")
    open_dialog(page)
    page.context.set_offline(True)
    page.locator("#modal .modes button:nth-child(2)").click()
    inside = page.locator("#modal #offline")
    expect(inside).to_be_visible()
    for control in page.locator("#modal button").all():
        if control.is_visible():
            assert not boxes_meet(inside.bounding_box(), control.bounding_box())
    page.context.set_offline(False)
    expect(inside).to_be_hidden()
    page.locator("#modal [data-close-modal]").first.click()
    expect(page.locator(".status-strip > #offline")).to_be_attached()


def end_sessions(app) -> None:
    """Every sign-in session ends, as when the user signs out on another device."""
    with app.app_context():
        for row in db.session.scalars(sa.select(UserSession)):
            row.ended_at = utcnow()
        db.session.commit()


def test_an_ended_session_sends_the_whole_page_to_sign_in_and_back(app, page, floor):
    sign_in(page, "li")
    page.goto("/products/A1024")
    open_dialog(page)
    polls = []
    page.on("request", lambda request: "/live" in request.url and polls.append(request.url))
    end_sessions(app)  # signed out on another device
    page.wait_for_timeout(2500)  # a poll meets the 401 …
    stopped = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == stopped  # … and the polling stops

    page.locator("#modal .modes button:nth-child(2)").click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fproducts%2FA1024$"))
    expect(page.locator("header.bar")).to_have_count(1)  # the login is the page, not nested
    expect(page.locator("#modal #username")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(
        translated(app, "Your session has ended; sign in again.")
    )
    page.fill("#username", "li")
    page.fill("#password", "correct horse")
    page.click("main button.primary")
    expect(page).to_have_url(re.compile(r"/products/A1024$"))
    expect(page.locator("header .who")).to_be_visible()


def test_offline_picks_are_kept_across_a_reload_and_posted_once(app, page, floor):
    skus, clerk = floor
    black_s = skus["A1024-Black-S"]
    with app.test_request_context():
        order = orders.create(
            number="PH-1", customer="王老板", lines=[(black_s, 3)], operator_id=clerk
        )
    sign_in(page, "li")
    page.goto(f"/orders/{order['id']}")
    before = counts(app, "movements")
    page.context.set_offline(True)
    page.locator(f"#cell-{black_s} [data-step='1']").click()
    page.locator(f"#cell-{black_s} [data-step='1']").click()
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))
    expect(page.locator(".pick-status")).to_have_text(
        translated(app, "Not saved yet: no connection. Retrying…")
    )

    # Back online the picks still fail at first. Let through by the handler rather
    # than by unroute(): a pick in flight while the route goes would meet no handler.
    blocked = [True]
    page.route("**/picks", lambda route: route.abort() if blocked[0] else route.fallback())
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))
    expect(page.locator(f"#p-{black_s}")).to_have_value("0")
    blocked[0] = False
    expect(page.locator("#outbox")).to_be_hidden(timeout=RETRY_MS)
    expect(page.locator(f"#p-{black_s}")).to_have_value("2")  # the order refreshed itself
    with app.app_context():
        assert orders.picked_by_variant(order["id"]) == {black_s: 2}
    assert counts(app, "movements") == before  # picks move no stock until 配货完成


def test_an_offline_receipt_is_kept_and_submitted_once_back_online(app, page, floor):
    skus, clerk = floor
    black_s = skus["A1024-Black-S"]
    with app.test_request_context():
        supplier = suppliers.save(name="广州服装厂", contact="陈生", phone="020-1234")
        po = purchasing.create(
            number="PO-1",
            supplier_id=supplier,
            lines=[purchasing.OrderedLine(black_s, 6)],
            operator_id=clerk,
            place=True,
        )
    sign_in(page, "li")
    page.goto(f"/purchase-orders/{po['id']}/receive")
    before = counts(app, "documents")
    page.locator(f"input[name=r-{black_s}]").fill("6")
    page.context.set_offline(True)
    page.locator("#receipt-submit").click()
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))
    page.locator("#receipt-submit").click()  # tapped again: still one submission
    expect(page.locator("#outbox li")).to_have_count(1)
    page.context.set_offline(False)
    expect(page.locator("#outbox")).to_be_hidden()
    assert counts(app, "documents")[0] == before[0] + 1


def test_work_waiting_when_the_session_ends_is_sent_after_signing_in(app, page, floor):
    skus, _ = floor
    black_m = skus["A1024-Black-M"]
    sign_in(page, "li")
    page.goto("/products/A1024")
    open_dialog(page)
    page.locator(f"#modal input[name=q-{black_m}]").fill("3")
    page.context.set_offline(True)
    page.locator("#modal #stock-submit").click()
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))
    end_sessions(app)
    page.context.set_offline(False)  # the send meets the ended session: it stays waiting
    page.wait_for_timeout(500)
    expect(page.locator("#outbox summary")).to_have_text(waiting(app, 1))
    page.locator("button.manage").click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fproducts%2FA1024$"))
    page.fill("#username", "li")
    page.fill("#password", "correct horse")
    page.click("main button.primary")
    expect(page).to_have_url(re.compile(r"/products/A1024$"))
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#matrix .grand .on-hand")).to_have_text("7")
    with app.app_context():
        assert on_hand(black_m) == 3
