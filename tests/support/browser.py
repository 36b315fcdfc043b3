"""The browser tier's Chromium and what its tests do on a page with Playwright."""

from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from tests.support.apps import PASSWORD

BROWSER_ENV = "STOCKAPP_TEST_BROWSER"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A camera that films a file (--use-file-for-fake-video-capture), allowed without asking.
# The host name leads to 127.0.0.1 too, but over plain HTTP by a name, like a tablet on
# the shop's Wi-Fi without HTTPS: not a secure context, so no camera.
PLAIN_HTTP_HOST = "stockapp.test"
FAKE_CAMERA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    f"--host-resolver-rules=MAP {PLAIN_HTTP_HOST} 127.0.0.1",
]
# Portrait and landscape tablet.
VIEWPORTS = [(768, 1024), (1024, 768)]
# Fail fast: a local page that has not answered in this long is broken.
TIMEOUT_MS = 5_000

# Apple and WCAG 2.5.5 (AAA): a target a finger can hit.
MIN_TARGET_PX = 44


def translated(app, text: str, locale: str = "zh_CN", **variables) -> str:
    """``text`` as the app renders it in ``locale`` (English while untranslated)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(text, **variables)


def wait_until_held(page, held: list, what: str) -> None:
    """Wait (2 s at most) until a ``page.route`` handler has put a request in ``held``;
    fail naming ``what`` the page never asked for."""
    for _ in range(100):
        if held:
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"the page never asked for {what}")


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button.primary")
    # Signed in once the header names the user: a goto before that would race the login.
    expect(page.locator("header .who")).to_be_visible()


def sign_out(page) -> None:
    """Sign out through the header's name menu."""
    page.locator("header .user-menu summary").click()
    page.locator("header form[action='/logout'] button").click()


def open_more(page) -> None:
    """Open the header's "More" menu (a manager's stock logs, import and settings)."""
    page.locator("header nav details.menu summary").click()


def scan(page, code: str, field: str = "#scan") -> None:
    """A keyboard-wedge scanner: fast keystrokes into the scan field, then Enter."""
    page.locator(field).type(code, delay=5)
    page.locator(field).press("Enter")


TARGETS_JS = """
() => [...document.querySelectorAll('a[href], button, input, select, textarea')]
  .filter((el) => el.type !== 'hidden')
  .map((el) => {
    // A checkbox is hit through the label wrapped round it.
    const hit = ['checkbox', 'radio'].includes(el.type) && el.closest('label') || el;
    const box = hit.getBoundingClientRect();
    return {
      what: el.outerHTML.slice(0, 120),
      width: Math.round(box.width * 10) / 10,
      height: Math.round(box.height * 10) / 10,
      visible: box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden'
               && !el.closest('.visually-hidden'),
    };
  })
  .filter((t) => t.visible)
"""


def small_targets(page) -> list[dict]:
    """The visible targets less than 44px high or wide."""
    # A page still loading (after an htmx redirect, say) may not have its styles yet.
    page.wait_for_load_state("load")
    targets = page.evaluate(TARGETS_JS)
    assert targets, "no targets found: the page did not render"
    return [t for t in targets if min(t["width"], t["height"]) < MIN_TARGET_PX]
