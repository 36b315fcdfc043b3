"""Safety on the shop's network, as a browser meets it: a copied session cookie stops
working at sign-out, repeated wrong passwords are slowed down from that tablet only, a
common password is refused at setup, a viewer's figures do not open the movements, and a
manager revokes an API token. Every page runs under the strict Content-Security-Policy
(the ``page`` fixture fails on anything it blocks)."""

import re

import pytest
from playwright.sync_api import expect

from stockapp.models import Role
from stockapp.services import accounts
from tests.support.api import STYLE
from tests.support.apps import PASSWORD
from tests.support.browser import sign_in, sign_out, translated

pytestmark = pytest.mark.browser


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def test_a_copied_cookie_is_refused_once_its_owner_signs_out(
    app, page, browser, live_server, make_user
):
    make_user(Role.CLERK, username="li")
    sign_in(page, "li")
    thief = browser.new_context(base_url=live_server, locale="zh-CN")
    thief.add_cookies(page.context.cookies())
    stolen = thief.new_page()
    stolen.goto("/")
    expect(stolen.locator("header .who")).to_contain_text("li")

    sign_out(page)
    assert path_of(page) == "/login"
    stolen.goto("/")
    assert path_of(stolen).startswith("/login")
    expect(stolen.locator("header .who")).to_have_count(0)
    ended = translated(app, "Your session has ended; sign in again.")
    expect(stolen.locator("main")).to_contain_text(ended)
    thief.close()
    # The owner's own next sign-in is a new session and works.
    sign_in(page, "li")
    page.goto("/")
    expect(page.locator("header .who")).to_contain_text("li")


def test_wrong_passwords_slow_down_that_tablet_not_the_user(app, page, make_user, screenshot):
    make_user(Role.MANAGER, username="boss")
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    statuses = []
    for _ in range(free + 1):
        page.goto("/login")
        page.fill("#username", "boss")
        page.fill("#password", "not the password")
        with page.expect_navigation() as answer:
            page.click("main button.primary")
        statuses.append(answer.value.status)
    assert statuses == [401] * free + [429]
    alert = page.locator("main .form-error[role=alert]")
    expect(alert).to_be_visible()
    screenshot("login-throttled")
    with app.app_context():
        # Another address (another tablet) still signs the manager in with the password.
        assert accounts.authenticate("boss", PASSWORD, address="10.0.0.9") is not None


def test_setup_refuses_a_common_password_beside_the_field(app, page):
    page.goto("/setup")
    page.fill("#username", "boss")
    page.fill("#password", "password123")
    page.fill("#confirm", "password123")
    with page.expect_navigation() as answer:
        page.click("main button.primary")
    assert answer.value.status == 422
    error = page.locator("#password-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"\S"))


def test_a_viewers_figures_are_not_buttons_and_a_clerks_open_why(
    app, page, make_user, make_style, screenshot
):
    make_style(STYLE, sizes=("S", "M", "L"), colours=("Black",))
    make_user(Role.VIEWER, username="sales")
    make_user(Role.CLERK, username="li")
    sign_in(page, "sales")
    page.goto(f"/products/{STYLE}")
    expect(page.locator("#matrix span.figure")).to_have_count(3)
    expect(page.locator("#matrix button.figure")).to_have_count(0)
    screenshot("product-viewer")
    sign_out(page)
    sign_in(page, "li")
    page.goto(f"/products/{STYLE}")
    page.locator("#matrix button.figure").first.click()
    expect(page.locator("#modal .why")).to_be_visible()


def test_a_manager_revokes_an_api_token(app, page, make_user, screenshot):
    make_user(Role.MANAGER, username="boss")
    make_user(Role.CLERK, username="li")
    with app.app_context():
        token_id, token = accounts.create_token("li")
    sign_in(page, "boss")
    page.goto("/tokens")
    row = page.locator(f"#token-{token_id}")
    expect(row).to_contain_text("li")
    screenshot("tokens")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button").click()
    revoked = translated(app, "Revoked")
    expect(page.locator(f"#token-{token_id}")).to_contain_text(revoked)
    expect(page.locator(f"#token-{token_id} button")).to_have_count(0)
    with app.app_context():
        assert accounts.user_for_token(token) is None
