"""Users in a real browser: a manager adds a clerk on a tablet in Chinese, the clerk
signs in with the first password and must choose their own; the users page and the
audit trail in English. Touch targets of every new page are 44 px."""

import re

import pytest
from playwright.sync_api import expect

from stockapp.models import Role
from tests.support.browser import MIN_TARGET_PX, open_more, sign_in, small_targets, translated

pytestmark = pytest.mark.browser

FIRST = "hand over 2026"
OWN = "my own secret 42"


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def test_a_manager_adds_a_clerk_who_must_change_the_password(
    app, page, browser, live_server, viewport, make_user, screenshot
):
    make_user(Role.MANAGER, username="boss")
    sign_in(page, "boss")
    open_more(page)
    page.click(f"header a:text-is('{translated(app, 'Settings')}')")
    page.click(f".log-tabs a:text-is('{translated(app, 'Users')}')")
    assert path_of(page) == "/users"
    page.fill("#username", "li")
    page.fill("#display_name", "李娜")
    page.select_option("#role", "clerk")
    page.fill("#password", FIRST)
    page.fill("#confirm", "not the same")
    page.click("#user-submit")
    expect(page.locator("#confirm-error")).to_have_text(translated(app, "The passwords differ."))
    page.fill("#password", FIRST)
    page.fill("#confirm", FIRST)
    page.click("#user-submit")
    row = page.locator("table.users tr", has_text="李娜")
    expect(row).to_contain_text(translated(app, "Clerk"))
    expect(row).to_contain_text(translated(app, "First password not yet changed"))
    assert small_targets(page) == [], f"users page: targets under {MIN_TARGET_PX}px"
    screenshot("users")

    clerk = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server)
    try:
        tablet = clerk.new_page()
        sign_in(tablet, "li", FIRST)
        assert path_of(tablet) == "/password"
        tablet.goto("/orders")  # every page sends them back
        assert path_of(tablet) == "/password"
        notice = "You signed in with a first password a manager gave you: choose your own to go on."
        expect(tablet.locator("main")).to_contain_text(translated(app, notice))
        assert small_targets(tablet) == [], f"password page: targets under {MIN_TARGET_PX}px"
        if viewport["width"] == 768:
            tablet.screenshot(path="/tmp/accounts/password-first.png")
        tablet.fill("#current", FIRST)
        tablet.fill("#password", OWN)
        tablet.fill("#confirm", OWN)
        tablet.click("#password-submit")
        expect(tablet.locator(".flash-success")).to_contain_text(
            translated(app, "Password changed: you are signed out everywhere else.")
        )
        assert path_of(tablet) == "/"
        tablet.goto("/orders")
        assert path_of(tablet) == "/orders"
    finally:
        clerk.close()

    page.reload()
    expect(row).not_to_contain_text(translated(app, "First password not yet changed"))


def test_the_users_page_and_audit_trail_in_english(
    app, page, live_server, viewport, make_user, screenshot
):
    make_user(Role.MANAGER, username="boss")
    li = make_user(Role.CLERK, username="li")
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    sign_in(page, "boss")
    page.goto(f"/users/{li}")
    page.select_option("#role", "viewer")
    page.fill("#display_name", "Li <b>Na</b>")
    page.click("#user-edit-submit")
    expect(page.locator(".flash-success")).to_contain_text("User li saved.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button.danger")
    expect(page.locator(".flash-success")).to_contain_text("li is deactivated")
    assert small_targets(page) == [], f"user page: targets under {MIN_TARGET_PX}px"
    page.goto("/users")
    expect(page.locator("table.users")).to_contain_text("Li <b>Na</b>")  # escaped, as typed
    expect(page.locator("table.users tr", has_text="Li <b>Na</b>")).to_contain_text("Deactivated")
    page.goto("/audit")
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_contain_text("User · Deactivated")
    expect(rows.nth(1)).to_contain_text("Clerk → Viewer")
    page.select_option("#subject", "user")  # a choice shows the trail at once
    expect(page).to_have_url(re.compile(r"subject=user"))
    expect(rows).to_have_count(4)  # and boss, made in the terminal
    page.fill("#key", "li")
    page.click(".log-filter button.primary")
    expect(page).to_have_url(re.compile(r"subject=user.*key=li"))
    expect(rows).to_have_count(3)  # created (in the terminal), changed, deactivated
    assert small_targets(page) == [], f"audit trail: targets under {MIN_TARGET_PX}px"
    if viewport["width"] == 1024:
        page.screenshot(path="/tmp/accounts/audit-en.png")
        page.goto("/users")
        page.screenshot(path="/tmp/accounts/users-en.png")
