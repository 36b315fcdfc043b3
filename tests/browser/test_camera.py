"""Scanning with the tablet's camera, in Chromium with a fake camera that films a label."""

import re
from itertools import pairwise

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from tests.support.browser import sign_in, small_targets, translated
from tests.support.camera import label_video
from tests.support.db import on_hand

pytestmark = pytest.mark.browser

READY = "Hold a barcode or QR code inside the frame. Each code is read once; hold the next one up."
NO_CAMERA = "No camera is available on this device (none found, or another app is using it)."
NEEDS_HTTPS = (
    "The camera works only over HTTPS (or on the computer StockApp runs on). "
    "Ask your manager to set up HTTPS: see “HTTPS on the shop’s network” in the README."
)

# Every Enter a scan field got, with when: what the camera fed it.
COUNT_FEEDS = """() => {
  window.feeds = [];
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input[data-scan]")) {
      window.feeds.push({ code: event.target.value, at: performance.now() });
    }
  }, true);
}"""

# The camera's picture shows the label: something white on the middle line.
LABEL_IN_VIEW = """() => {
  const video = document.querySelector("#camera video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const line = context.getImageData(0, canvas.height / 2, canvas.width, 1).data;
  return line.some((value, i) => i % 4 === 0 && value > 200);
}"""


@pytest.fixture
def shop(app, make_user, make_style):
    """A clerk and A1024 (黑色, 白色 × S M L); returns its variant ids and barcodes by SKU."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("黑色", "白色"), name="圆领T恤")
    make_user(Role.CLERK, username="li")
    with app.app_context():
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    return skus, barcodes


@pytest.fixture
def symbology():
    """How the label is printed: EAN-13 unless a test is parametrized otherwise."""
    return "EAN13"


@pytest.fixture
def camera_video(shop, symbology, tmp_path):
    """The camera films the label of 白色 M, held up for 1 s, then away for 2 s, in a loop."""
    _, barcodes = shop
    return label_video(tmp_path / "label.y4m", barcodes["A1024-白色-M"], symbology)


def open_camera(page, field: str = "#modal[open] #scan") -> None:
    """Tap the camera button beside ``field``: the overlay opens over the page."""
    page.locator(field).locator("xpath=..").locator(".camera-button").click()
    expect(page.locator("#camera[open]")).to_be_visible()


@pytest.mark.camera
def test_the_camera_reads_a_label_into_the_manage_stock_dialog(app, page, shop, screenshot):
    skus, barcodes = shop
    code = barcodes["A1024-白色-M"]
    sign_in(page, "li")
    page.locator("#product-rows button.small").first.click()
    dialog = page.locator("#modal[open]")
    expect(dialog.locator("#scan")).to_be_focused()
    assert page.evaluate("() => typeof window.ZXingBrowser") == "undefined", (
        "the reader loads on the first tap only"
    )
    page.evaluate(COUNT_FEEDS)

    open_camera(page)
    cell = dialog.locator(f"input[name=q-{skus['A1024-白色-M']}]")
    expect(cell).to_have_value("1", timeout=15_000)
    overlay = page.locator("#camera")
    expect(overlay.locator(".camera-code")).to_have_text(
        translated(app, "Last read: %(code)s", code=code)
    )
    # The overlay also says what the dialog made of the scan, since it covers it.
    expect(overlay.locator(".camera-result")).to_have_text(re.compile(r"^白色 M → \d+$"))
    expect(overlay.locator(".camera-status")).to_have_text(translated(app, READY))
    assert page.evaluate("() => document.querySelector('#camera video').videoWidth") == 640
    page.wait_for_function(
        LABEL_IN_VIEW, timeout=10_000
    )  # the picture shows the label, not the empty table
    screenshot("camera")
    assert small_targets(page) == [], "camera overlay: targets under 44px"

    # Taken away and shown again, the label counts again.
    page.wait_for_function("() => window.feeds.length >= 2", timeout=15_000)

    # Done: the camera is off and the scan field has the focus again, for the scanner or a tap.
    overlay.locator(".actions [data-close-camera]").click()
    expect(page.locator("#camera")).not_to_have_attribute("open", "")
    # The dialog's close event, which lets the stream go, comes a moment after it closed.
    page.wait_for_function("() => document.querySelector('#camera video').srcObject === null")
    expect(dialog.locator("#scan")).to_be_focused()
    feeds = page.evaluate("() => window.feeds")
    pieces = len(feeds)
    assert {feed["code"] for feed in feeds} == {code}
    # Held up for a whole second (some eight looks), it counted once each time.
    gaps = [later["at"] - earlier["at"] for earlier, later in pairwise(feeds)]
    assert min(gaps) >= 1500, gaps
    assert cell.input_value() == str(pieces)
    for sku in skus:
        if sku != "A1024-白色-M":
            assert dialog.locator(f"input[name=q-{skus[sku]}]").input_value() == ""
    dialog.locator("#stock-submit").click()
    expect(page.locator("#toast")).to_have_text(translated(app, "Received %(n)s pcs", n=pieces))
    with app.app_context():
        assert on_hand(skus["A1024-白色-M"]) == pieces


@pytest.mark.camera
@pytest.mark.parametrize("symbology", ["Code128", "QRCode"])
def test_the_camera_reads_code_128_and_qr_too(app, page, shop, symbology):
    skus, barcodes = shop
    sign_in(page, "li")
    page.locator("#product-rows button.small").first.click()
    open_camera(page)
    expect(page.locator(f"#modal input[name=q-{skus['A1024-白色-M']}]")).to_have_value(
        "1", timeout=15_000
    )
    expect(page.locator("#camera .camera-code")).to_contain_text(barcodes["A1024-白色-M"])


# A browser's own BarcodeDetector (Chrome on Android, say), standing in for the real one:
# it sees the label's code in every frame of the camera.
NATIVE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["ean_13", "code_128", "qr_code", "upc_a"]; }
  constructor(options) { window.detectorFormats = options.formats; }
  async detect(video) { return video.videoWidth ? [{ rawValue: "%s" }] : []; }
};
"""


@pytest.mark.camera
def test_the_browsers_own_detector_is_used_where_there_is_one(app, page, shop):
    skus, barcodes = shop
    page.add_init_script(NATIVE_DETECTOR % barcodes["A1024-黑色-L"])
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    sign_in(page, "li")
    page.locator("#product-rows button.small").first.click()
    open_camera(page)
    expect(page.locator(f"#modal input[name=q-{skus['A1024-黑色-L']}]")).to_have_value("1")
    assert page.evaluate("() => window.detectorFormats") == ["ean_13", "code_128", "qr_code"]
    assert page.evaluate("() => typeof window.ZXingBrowser") == "undefined"
    assert not [url for url in asked if "zxing" in url], "ZXing was loaded all the same"


def test_without_a_camera_the_overlay_says_so(app, page, shop):
    sign_in(page, "li")
    page.locator("#product-rows button.small").first.click()
    open_camera(page)
    status = page.locator("#camera .camera-status.error")
    expect(status).to_have_text(translated(app, NO_CAMERA))
    expect(page.locator("#camera .camera-view")).to_be_hidden()
    page.locator("#camera .close").click()
    expect(page.locator("#camera")).not_to_have_attribute("open", "")
    expect(page.locator("#modal[open] #scan")).to_be_focused()


@pytest.mark.camera(secure=False)
def test_over_plain_http_the_overlay_points_to_https(app, page, shop):
    sign_in(page, "li")
    page.click("form.lang button:text-is('English')")
    expect(page.locator("form.lang [aria-current]")).to_have_text("English")
    assert page.evaluate("() => window.isSecureContext") is False
    page.locator("#product-rows button.small").first.click()
    camera = page.locator("#modal[open] .camera-button")
    expect(camera).to_have_text("Camera")
    open_camera(page)
    expect(page.locator("#camera .camera-status.error")).to_have_text(
        translated(app, NEEDS_HTTPS, locale="en")
    )


@pytest.mark.camera
def test_the_camera_adds_a_style_to_a_new_order_and_then_counts_on_it(app, page, shop):
    skus, _barcodes = shop
    sign_in(page, "li")
    page.click("form.lang button:text-is('English')")
    expect(page.locator("form.lang [aria-current]")).to_have_text("English")
    page.goto("/orders/new")
    page.fill("#customer", "Ms Li")
    page.evaluate(COUNT_FEEDS)
    # The first read brings A1024's grid from the server, with that piece in it; the form,
    # its add field included, is new then, and the next read goes into the new field.
    open_camera(page, "#add")
    cell = page.locator(f"input[name=q-{skus['A1024-白色-M']}]")
    expect(cell).to_have_value("1", timeout=15_000)
    expect(page.locator("#add").locator("xpath=..").locator(".camera-button")).to_have_text(
        "Camera"
    )
    page.wait_for_function("() => window.feeds.length >= 2", timeout=15_000)
    expect(page.locator("#camera .camera-result")).to_have_text(re.compile(r"^A1024 白色 M → \d+$"))
    page.keyboard.press("Escape")  # closes the overlay, like ✕ and Done
    expect(page.locator("#camera")).not_to_have_attribute("open", "")
    expect(page.locator("#add")).to_be_focused()
    # Every read after the first counted on the form: the new add field got them.
    pieces = len(page.evaluate("() => window.feeds"))
    expect(cell).to_have_value(str(pieces))
    page.locator("#order-submit").click()
    expect(page.locator(".totals")).to_be_visible()
    with app.app_context():
        lines = db.session.execute(sa.text("SELECT variant_id, ordered FROM order_lines")).all()
    assert [tuple(line) for line in lines] == [(skus["A1024-白色-M"], pieces)]
