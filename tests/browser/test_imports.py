"""Import from Excel in Chromium at tablet sizes (upright in Chinese, sideways in
English): the manager downloads the template, uploads 300 styles with three bad rows,
sees each error at its row, uploads the fixed file, confirms, and finds the stock and
the opening-stock document (期初库存) in the stock log."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import imports
from tests.support.browser import sign_in, small_targets, translated
from tests.support.db import on_hand

pytestmark = pytest.mark.browser

STYLES = 300
SIZES = ["S", "M", "L", "XL"]
# Sheet row (1 is the headings) → what is wrong with it, and the column it is in.
BAD = {11: ("negative", "D"), 51: ("no code", "A"), 201: ("formula", "B")}
# A large sheet on a loaded machine: checking and importing may take a while.
SLOW_MS = 60_000


def workbook(language: str, broken: bool) -> bytes:
    heading = imports.headings(language)
    book = Workbook()
    sheet = book.active
    sheet.append([heading[k] for k in ("code", "name", "colour")] + SIZES)
    for n in range(STYLES):
        row = [f"B{n:03d}", f"大衣 {n}", "黑色", 1, 2, 3, n % 5]
        what = BAD.get(n + 2, (None,))[0] if broken else None
        if what == "negative":
            row[3] = -4
        elif what == "no code":
            row[0] = None
        elif what == "formula":
            row[1] = "=1+1"
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_manager_imports_300_styles_after_fixing_three_bad_rows(
    app, page, viewport, live_server, make_user, screenshot, tmp_path
):
    language = "zh" if viewport["width"] == 768 else "en"
    locale = "zh_CN" if language == "zh" else "en"
    make_user(Role.MANAGER, username="wang")
    if language == "en":
        page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    sign_in(page, "wang")
    page.goto("/imports")

    # The template, in the page's language, in the layout the import reads.
    with page.expect_download() as download:
        page.get_by_role(
            "link",
            name=translated(
                app, f"Template ({'Chinese' if language == 'zh' else 'English'})", locale
            ),
        ).click()
    rows = list(load_workbook(io.BytesIO(download.value.path().read_bytes())).active.values)
    assert rows[0][0] == imports.headings(language)["code"] and len(rows) == 3

    bad, fixed = tmp_path / "styles.xlsx", tmp_path / "styles-fixed.xlsx"
    bad.write_bytes(workbook(language, broken=True))
    fixed.write_bytes(workbook(language, broken=False))
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name=translated(app, "Check the file", locale)).click()
    errors = page.locator("table.import-errors tbody tr")
    expect(errors).to_have_count(len(BAD), timeout=SLOW_MS)
    for i, (row, (_, column)) in enumerate(sorted(BAD.items())):
        cells = errors.nth(i).locator("td")
        expect(cells.nth(0)).to_have_text(str(row))
        expect(cells.nth(1)).to_contain_text(column)
        expect(cells.nth(2)).not_to_be_empty()
    expect(
        page.get_by_role("button", name=translated(app, "Confirm the import", locale))
    ).to_have_count(0)
    assert small_targets(page) == []
    screenshot(f"import-errors-{language}")
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM styles")) == 0

    page.get_by_role("link", name=translated(app, "Upload the fixed file", locale)).click()
    page.set_input_files("input[type=file]", str(fixed))
    page.get_by_role("button", name=translated(app, "Check the file", locale)).click()
    confirm = page.get_by_role("button", name=translated(app, "Confirm the import", locale))
    expect(confirm).to_be_visible(timeout=SLOW_MS)
    expect(page.locator(".import-counts")).to_contain_text(str(STYLES))
    confirm.click()
    done = page.locator(".flash-success")
    expect(done).to_be_visible(timeout=SLOW_MS)
    expect(confirm).to_have_count(0)
    assert small_targets(page) == []
    screenshot(f"import-done-{language}")
    with app.app_context():
        skus = dict(db.session.execute(sa.text("SELECT sku, id FROM variants")).all())
        assert len(skus) == STYLES * len(SIZES)
        assert on_hand(skus["B007-黑色-L"]) == 3 and on_hand(skus["B007-黑色-XL"]) == 2

    # The opening-stock document, in the stock log.
    done.get_by_role("link").click()
    opening = translated(app, "Opening stock", locale)
    expect(page.locator("main table")).to_contain_text(opening)
    expect(page.locator("main table")).to_contain_text("B299")  # newest first
