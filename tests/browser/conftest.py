"""The browser tier: the real pages in the system Chromium, driven by Playwright.

Skipped unless ``STOCKAPP_TEST_BROWSER=1``. Playwright's own browsers are never
downloaded: the tier launches the Chromium that apt installed. Each test gets
the ``app`` fixture of the shared conftest (so it runs on SQLite, and on
PostgreSQL), here with CSRF protection switched ON, served by a werkzeug server
on a free localhost port in a background thread. Every test runs twice, on two
tablets: one held upright on SQLite, one held sideways on PostgreSQL (on SQLite
too while the PostgreSQL tier is off). So each viewport and each database is seen
once per test; how each database behaves underneath is the unit and web tiers'
to cover, on both, where it is cheaper to see.
"""

import functools
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.apps import serving
from tests.support.browser import (
    BROWSER_ENV,
    CHROMIUM,
    CHROMIUM_ARGS,
    FAKE_CAMERA_ARGS,
    PLAIN_HTTP_HOST,
    TIMEOUT_MS,
    VIEWPORTS,
)
from tests.support.db import PG_ENV

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if os.environ.get(BROWSER_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"browser tier off: set {BROWSER_ENV}=1 to drive Chromium")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture
def app_config():
    """The browser sees the app as a user would: with CSRF protection on."""
    return {"WTF_CSRF_ENABLED": True}


# What a finger does on a page. htmx and app.js are deferred: a tap that lands while a
# new page is still loading does nothing (a button) or posts without htmx (a form), as it
# would for a person; seen in CI on a loaded machine, after an expect() had found an
# element of the new page while it was still being parsed.
ACTIONS = (
    "check",
    "click",
    "dblclick",
    "fill",
    "press",
    "press_sequentially",
    "select_option",
    "set_checked",
    "tap",
    "type",
    "uncheck",
)


@pytest.fixture(scope="session", autouse=True)
def taps_wait_for_the_page():
    """Every action on a page or locator first waits for the page's ``load`` (a local
    check of the state Playwright tracks: no round trip once the page has loaded)."""
    from playwright.sync_api import Locator, Page

    def waiting(action, page_of):
        @functools.wraps(action)
        def act(self, *args, **kwargs):
            page_of(self).wait_for_load_state("load")
            return action(self, *args, **kwargs)

        return act

    with pytest.MonkeyPatch.context() as patch:
        for cls, page_of in ((Page, lambda page: page), (Locator, lambda locator: locator.page)):
            for name in ACTIONS:
                if hasattr(cls, name):
                    patch.setattr(cls, name, waiting(getattr(cls, name), page_of))
        yield


@pytest.fixture(scope="session")
def playwright():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def camera_browser(playwright):
    """``camera_browser(video)``: a Chromium of its own whose camera films ``video`` (a
    .y4m file, see tests/support/camera.py), allowed without asking. It also reaches
    this app as http://PLAIN_HTTP_HOST:<port>, which, unlike 127.0.0.1, is not a
    secure context: there the browser offers no camera."""
    launched = []

    def launch(video):
        args = [*CHROMIUM_ARGS, *FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}"]
        launched.append(playwright.chromium.launch(executable_path=CHROMIUM, args=args))
        return launched[-1]

    yield launch
    for browser in launched:
        browser.close()


@pytest.fixture
def live_server(app):
    """The app on http://127.0.0.1:<free port>, served from a background thread."""
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


UPRIGHT, SIDEWAYS = VIEWPORTS
TABLETS = [("sqlite", UPRIGHT), ("postgresql" if os.environ.get(PG_ENV) else "sqlite", SIDEWAYS)]


@pytest.fixture(params=TABLETS, ids=[f"{kind}-{w}x{h}" for kind, (w, h) in TABLETS])
def tablet(request):
    """The test's tablet: ``(database kind, (width, height))``."""
    return request.param


@pytest.fixture
def database_url(tablet, app_database_url):
    return app_database_url(tablet[0])


@pytest.fixture
def viewport(tablet):
    width, height = tablet[1]
    return {"width": width, "height": height}


@pytest.fixture
def page(request, browser, camera_browser, live_server, viewport):
    """A fresh page (own cookies) in Chinese, the app's first language.

    Requests leaving 127.0.0.1 are blocked and fail the test, and so do an
    uncaught JavaScript error, a 5xx answer from the server and anything the
    Content-Security-Policy blocked.

    A test marked ``camera`` gets a browser whose camera films the test's
    ``camera_video`` fixture; ``@pytest.mark.camera(secure=False)`` opens the app
    over plain HTTP by a host name, where browsers refuse the camera.
    """
    camera = request.node.get_closest_marker("camera")
    if camera:
        browser = camera_browser(request.getfixturevalue("camera_video"))
        if not camera.kwargs.get("secure", True):
            live_server = live_server.replace("127.0.0.1", PLAIN_HTTP_HOST)
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    foreign, js_errors, server_errors = [], [], []

    def only_localhost(route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", PLAIN_HTTP_HOST):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)
    page = context.new_page()
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    blocked = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and blocked.append(message.text),
    )

    def watch(response):
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", watch)
    page.server_errors = server_errors
    yield page
    context.close()
    assert not server_errors, f"the server failed: {server_errors}"
    assert not foreign, f"the page tried to reach other hosts: {foreign}"
    assert not js_errors, f"JavaScript errors on the page: {js_errors}"
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def second_tablet(browser, live_server, viewport):
    """Another tablet: a browser context of its own (own cookies), the same size."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    errors = []
    tablet = context.new_page()
    tablet.on("pageerror", lambda error: errors.append(str(error)))
    yield tablet
    context.close()
    assert not errors, f"JavaScript errors on the second tablet: {errors}"


@pytest.fixture
def screenshot(page, viewport):
    """``screenshot(name)`` saves docs/screenshots/<name>-<w>x<h>.png."""

    def take(name: str) -> None:
        # Never replace a good picture with one of an error page.
        assert not page.server_errors, f"not saving {name}: {page.server_errors}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{viewport['width']}x{viewport['height']}.png"
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(path), animations="disabled", caret="hide")

    return take
