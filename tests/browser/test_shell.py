"""The shell of the app in a real browser: first run, sign in and out, search,
language, touch targets, and the screenshots in docs/screenshots/.

Text on the pages is looked up through the app's own catalogue (``translated``),
so the tests hold before and after the Chinese strings are filled in.
"""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from tests.support.apps import PASSWORD
from tests.support.browser import MIN_TARGET_PX, sign_in, sign_out, small_targets, translated
from tests.support.db import row_count

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "stockapp" / "translations"


def po_translation(msgid: str) -> str | None:
    """The Chinese catalogue's translation of ``msgid``, if there is one yet."""
    from babel.messages.pofile import read_po

    for po in sorted(TRANSLATIONS.glob("zh*/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            message = read_po(f).get(msgid)
        if message and message.string:
            return message.string
    return None


def who(app, username: str, role: Role) -> str:
    """The header's "<user> · <role>" text, in Chinese."""
    with app.test_request_context(), force_locale("zh_CN"):
        return f"{username} · {role.label}"


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def username_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.scalar(
            sa.text("SELECT username FROM users WHERE id = :i"), {"i": user_id}
        )


def test_first_run_creates_manager_with_demo_data(app, page, screenshot):
    assert page.goto("/").status == 200
    assert path_of(page) == "/setup"
    expect(page.locator("#demo_data")).not_to_be_checked()
    screenshot("setup")

    page.fill("#username", "老板")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.check("#demo_data")
    # Filling the demo catalogue takes a few seconds on the server (more than the click's
    # own 5 s on a loaded machine): the click does not wait, the navigation does.
    with page.expect_navigation(timeout=30_000):
        page.click("main button.primary", no_wait_after=True)

    assert path_of(page) == "/"
    expect(page.locator(".flash-success")).to_be_visible()
    rows = page.locator("table.products tbody tr")
    with app.app_context():
        styles = row_count("styles")
    assert styles > 0
    expect(rows).to_have_count(min(styles, app.config["PAGE_SIZE"]))
    first = rows.first
    expect(first.locator("strong").first).to_have_text(re.compile(r"^(A|DJ)\d+$"))
    chips = first.locator("ul.sizes li")
    assert chips.count() >= 5, "a demo style has at least five sizes"
    expect(chips.first.locator(".size")).to_have_text(re.compile(r"\S"))
    expect(chips.first.locator(".qty")).to_have_text(re.compile(r"^\d[\d,]*$"))
    # Demo stock was received, so the list is not all zeros.
    totals = page.locator("table.products tbody td.num strong").all_inner_texts()
    assert any(int(t.replace(",", "")) > 0 for t in totals)
    expect(page.locator("header .who")).to_have_text(who(app, "老板", Role.MANAGER))

    with app.app_context():
        assert row_count("users") == 1
        assert db.session.scalar(sa.text("SELECT role FROM users")) == Role.MANAGER.value
    # Long Chinese names and six size chips still fit the tablet: no sideways scrolling.
    assert horizontal_overflow(page) <= 0, "the product list scrolls sideways"
    screenshot("products")

    # First run is over: the setup page no longer opens.
    page.goto("/setup")
    assert path_of(page) == "/"


def test_first_run_without_demo_data_shows_the_first_days_steps(app, page, screenshot):
    page.goto("/setup")
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button.primary")
    steps = page.locator(".getting-started ol > li")
    expect(steps).to_have_count(4)
    assert small_targets(page) == [], f"getting started: targets under {MIN_TARGET_PX}px"
    assert horizontal_overflow(page) <= 0, "the steps scroll sideways"
    screenshot("getting-started")
    steps.nth(1).locator("a").click()
    assert path_of(page) == "/settings/sizes"
    # The starting size groups came with the first manager.
    names = page.locator("#size-lists input[name$='name']")
    for group in ("S–3XL", "36–46", "26–36", "均码"):
        expect(names.and_(page.locator(f"[value='{group}']"))).to_have_count(1)


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [(PASSWORD, PASSWORD + "!", "confirm"), ("short", "short", "password")],
    ids=["passwords-differ", "too-short"],
)
def test_setup_refuses_bad_passwords(app, page, password, confirm, field):
    page.goto("/setup")
    page.fill("#username", "boss")
    page.fill("#password", password)
    page.fill("#confirm", confirm)
    with page.expect_navigation() as answer:
        page.click("main button.primary")

    assert answer.value.status == 422
    assert path_of(page) == "/setup"
    error = page.locator(f"#{field}-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"\S"))
    # Beside its field: in the same .field block, just under the input.
    block = page.locator(f".field:has(#{field})")
    expect(block).to_have_class(re.compile(r"\bhas-error\b"))
    expect(block.locator(f"#{field}-error")).to_have_count(1)
    expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", f"{field}-error")
    input_box = page.locator(f"#{field}").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (input_box["y"] + input_box["height"]) < 30
    if field == "confirm":
        expect(error).to_have_text(translated(app, "The passwords differ."))
    # The user name typed is kept; passwords are not sent back.
    expect(page.locator("#username")).to_have_value("boss")
    expect(page.locator("#password")).to_have_value("")
    with app.app_context():
        assert row_count("users") == 0


def test_sign_in_wrong_password_and_sign_out(app, page, make_user, screenshot):
    username = username_of(app, make_user(Role.CLERK))
    page.goto("/")
    assert path_of(page) == "/login?next=%2F"
    page.goto("/login")
    screenshot("login")

    page.fill("#username", username)
    page.fill("#password", "not the password")
    with page.expect_navigation() as answer:
        page.click("main button.primary")
    assert answer.value.status == 401
    assert path_of(page).startswith("/login")
    alert = page.locator("main .form-error[role=alert]")
    expect(alert).to_have_text(translated(app, "Wrong user name or password."))
    expect(page.locator("header .who")).to_have_count(0)

    sign_in(page, username)
    assert path_of(page) == "/"
    expect(page.locator("header .who")).to_have_text(who(app, username, Role.CLERK))
    expect(page.locator("main .form-error")).to_have_count(0)

    sign_out(page)
    assert path_of(page) == "/login"
    expect(page.locator("header .who")).to_have_count(0)
    expect(page.locator("#username")).to_be_visible()
    page.goto("/")
    assert path_of(page) == "/login?next=%2F"


def test_search_narrows_the_list_in_place(app, page, make_user, make_style):
    make_style("A1024", sizes=("S", "M", "L"))
    make_style("B2048", sizes=("M", "L", "XL"))
    make_style("C4096", sizes=("28", "30"))
    with app.app_context():
        barcode = db.session.scalar(
            sa.text(
                "SELECT v.barcode FROM variants v JOIN styles s ON s.id = v.style_id"
                " WHERE s.code = 'C4096' ORDER BY v.id LIMIT 1"
            )
        )
    assert barcode
    sign_in(page, username_of(app, make_user(Role.VIEWER)))
    codes = page.locator("table.products tbody tr td:first-child strong")
    expect(codes).to_have_text(["A1024", "B2048", "C4096"])

    # Survives only if the page is never reloaded.
    page.evaluate("window.__sameDocument = 'still here'")
    page.locator("#q").press_sequentially("B20", delay=30)
    expect(codes).to_have_text(["B2048"])
    expect(page.locator("table.products tbody ul.sizes li .size")).to_have_text(["M", "L", "XL"])
    assert page.evaluate("window.__sameDocument") == "still here"
    # The search is in the address, so going back or sharing the link works.
    expect(page).to_have_url(re.compile(r"/\?(.*&)?q=B20(&|$)"))

    page.fill("#q", "no-such-thing")
    expect(page.locator("#product-rows .empty")).to_have_text(
        translated(app, "No product matches this search.")
    )
    expect(codes).to_have_count(0)
    assert page.evaluate("window.__sameDocument") == "still here"

    # A scanner types the barcode and presses Enter: that style opens.
    page.fill("#q", "")
    page.locator("#q").press_sequentially(barcode, delay=5)
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"/products/C4096$"))
    expect(page.locator("h1")).to_contain_text("C4096")


def test_language_switch(app, page, make_user):
    make_user(Role.CLERK)
    zh_heading = translated(app, "Sign in", "zh_CN")
    in_catalogue = po_translation("Sign in")
    if in_catalogue:
        assert zh_heading == in_catalogue, (
            "messages.po translates 'Sign in' but the app renders English: compile the "
            "catalogue (make test), and check that its folder matches the locale name "
            "flask-babel looks for (Babel turns zh_CN into zh_Hans_CN)"
        )
    heading = page.locator("main h1")
    html = page.locator("html")

    page.goto("/login")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(heading).to_have_text(zh_heading)
    expect(page.locator("form.lang button[aria-current]")).to_have_text("中文")

    page.click("form.lang button:text-is('English')")
    assert path_of(page).startswith("/login")
    expect(html).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Sign in")
    expect(page.locator("main button.primary")).to_have_text("Sign in")
    expect(page.locator("form.lang button[aria-current]")).to_have_text("English")

    # The choice outlives the page: it is kept in a cookie.
    page.reload()
    expect(html).to_have_attribute("lang", "en")

    page.click("form.lang button:text-is('中文')")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(heading).to_have_text(zh_heading)
    expect(page.locator("main button.primary")).to_have_text(zh_heading)
    expect(page.locator("form.lang button[aria-current]")).to_have_text("中文")


def test_touch_targets_are_44px(app, page, make_user, make_style):
    page.goto("/setup")
    assert small_targets(page) == [], f"setup page: targets under {MIN_TARGET_PX}px"

    for n in range(5):
        make_style(f"T{n:03d}")
    # Small pages, so page 2 shows both "Previous" and "Next" links.
    app.config["PAGE_SIZE"] = 2
    username = username_of(app, make_user(Role.MANAGER))

    page.goto("/login")
    assert small_targets(page) == [], f"login page: targets under {MIN_TARGET_PX}px"

    sign_in(page, username)
    page.goto("/?page=2")
    expect(page.locator(".pages a[href*='page=1']")).to_be_visible()
    expect(page.locator(".pages a[href*='page=3']")).to_be_visible()
    assert small_targets(page) == [], f"product list: targets under {MIN_TARGET_PX}px"


def test_long_user_name_does_not_widen_the_page(app, page, make_user):
    username = "w" * 64
    make_user(Role.MANAGER, username=username)
    sign_in(page, username)
    expect(page.locator("header .who")).to_contain_text(username)
    assert horizontal_overflow(page) <= 0, "the page scrolls sideways"


def horizontal_overflow(page) -> int:
    """How far the page scrolls sideways, in px (0: it fits the screen)."""
    page.wait_for_load_state("load")  # measured with the page's styles, not before them
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
