"""Import from Excel: the sheet checked row by row, confirmed once, the stock sheet read back."""

import io
import threading

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from stockapp.extensions import db
from stockapp.models import Role, SizeGroup
from stockapp.services import imports
from stockapp.services.errors import InvalidTransition
from tests.support.db import counts, on_hand

HEAD = ["款号", "品名", "类别", "颜色", "成本价", "售价", "尺码组", "S", "M", "L"]
GOOD = [
    ["K2025-01", "女式羊毛大衣", "大衣", "黑色", 399, 1299, "S–L", 5, 10, 0],
    ["K2025-01", "女式羊毛大衣", "大衣", "驼色", 399, 1299, "S–L", 3, None, 2],
]
# What an import writes; of the audit trail, its products' rows (the manager's own
# creation is a row too).
WRITES = ("styles", "variants", "movements", "documents", "audit_entries WHERE subject = 'product'")


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def boss(app, make_user):
    user_id = make_user(Role.MANAGER, username="boss")
    with app.app_context():
        db.session.add(SizeGroup(name="S–L", sizes=["S", "M", "L"]))
        db.session.commit()
    return user_id


def test_a_good_sheet_is_previewed_then_imported_as_one_opening_document(app, ctx, boss):
    shown = imports.upload(content=xlsx([HEAD, *GOOD]), filename="a.xlsx", actor_id=boss)
    assert shown["errors"] == [] and shown["can_confirm"]
    assert shown["counts"]["new_styles"] == 1 and shown["counts"]["new_variants"] == 6
    assert shown["counts"]["pieces"] == 20
    assert counts(app, *WRITES) == (0, 0, 0, 0, 0)
    done = imports.confirm(shown["id"], actor_id=boss)
    assert done["state"] == "imported" and done["document"].startswith("OS")
    assert counts(app, *WRITES) == (1, 6, 4, 1, 1)
    skus = dict(db.session.execute(sa.text("SELECT sku, id FROM variants")).all())
    assert on_hand(skus["K2025-01-黑色-M"]) == 10 and on_hand(skus["K2025-01-驼色-L"]) == 2
    kinds = set(db.session.scalars(sa.text("SELECT DISTINCT kind FROM movements")))
    assert kinds == {"opening"}


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            ["K1", "Tee", "", "黑", "", "", "S–L", 1, 2, 3, "9"],
            "K",
            "Size XL is not in size group S–L.",
        ),
        (
            ["K1", "Tee", "", "黑", "", "", "S–L", -1, 2, 3],
            "H",
            "Opening stock cannot be negative.",
        ),
        (
            ["K1", "Tee", "", "黑", "", "", "S–L", 1.5, 2, 3],
            "H",
            "Enter a whole number of pieces, not a fraction.",
        ),
        (
            ["K1", "Tee", "", "黑", "", "", "S–L", "many", 2, 3],
            "H",
            "Enter a whole number of pieces.",
        ),
        (["", "Tee", "", "黑", "", "", "S–L", 1, 2, 3], "A", "Give the style code."),
        (
            ["K1", "=HYPERLINK(1)", "", "黑", "", "", "S–L", 1, 2, 3],
            "B",
            "This looks like a formula (it starts with = + - or @): type the value itself.",
        ),
        (["K1", "Tee", "", "黑", "", "", "XS", 1, 2, 3], "G", "There is no size group XS."),
    ],
)
def test_each_bad_cell_is_refused_at_its_row_and_column(app, ctx, boss, row, column, message):
    head = [*HEAD, "XL"] if len(row) > len(HEAD) else HEAD  # XL is not in the group S–L
    shown = imports.upload(content=xlsx([head, row]), filename="bad.xlsx", actor_id=boss)
    assert not shown["can_confirm"] and shown["state"] == "invalid"
    (error,) = shown["errors"]
    assert (error["row"], error["column"], error["heading"]) == (2, column, head[ord(column) - 65])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(error["message"]) == message
    with pytest.raises(InvalidTransition):
        imports.confirm(shown["id"], actor_id=boss)
    assert counts(app, *WRITES) == (0, 0, 0, 0, 0)


def test_duplicate_skus_and_barcodes_are_refused(app, ctx, boss, make_style):
    make_style("K9", sizes=("S",), colours=("红",))
    head = [*HEAD, "条码 S"]
    rows = [
        ["K1", "Tee", "", "黑", "", "", "S–L", 1, 2, 3, "2000000000001"],
        ["K1", "Tee", "", "黑", "", "", "S–L", 1, 2, 3, ""],
        ["K2", "Tee", "", "白", "", "", "S–L", 1, 2, 3, "2000000000001"],
    ]
    shown = imports.upload(content=xlsx([head, *rows]), filename="d.xlsx", actor_id=boss)
    found = {(e["row"], e["column"]) for e in shown["errors"]}
    assert found == {(3, "D"), (4, "K")}
    barcode = db.session.scalar(sa.text("SELECT barcode FROM variants"))
    taken = [["K3", "Tee", "", "黑", "", "", "S–L", 1, 2, 3, barcode]]
    shown = imports.upload(content=xlsx([head, *taken]), filename="e.xlsx", actor_id=boss)
    assert [(e["row"], e["column"]) for e in shown["errors"]] == [(2, "K")]


def test_not_a_spreadsheet_is_refused_and_nothing_kept(app, ctx, boss):
    for content in (b"\x00\x01binary", b"PK\x03\x04broken zip"):
        with pytest.raises(imports.NotASpreadsheet):
            imports.upload(content=content, filename="x.xlsx", actor_id=boss)
    assert counts(app, "imports") == (0,)


def test_csv_in_gb18030_and_utf8_with_bom(app, ctx, boss):
    text = "\n".join(",".join("" if v is None else str(v) for v in r) for r in [HEAD, *GOOD])
    for content in (text.encode("gb18030"), "\ufeff".encode() + text.encode()):
        shown = imports.upload(content=content, filename="a.csv", actor_id=boss)
        assert shown["errors"] == [] and shown["counts"]["pieces"] == 20


def test_the_same_file_again_says_when_and_by_whom(app, ctx, boss):
    content = xlsx([HEAD, *GOOD])
    imports.confirm(
        imports.upload(content=content, filename="a", actor_id=boss)["id"], actor_id=boss
    )
    again = imports.upload(content=content, filename="a", actor_id=boss)
    assert again["already_imported"]["by"] == "boss" and not again["can_confirm"]


def test_confirming_twice_at_once_imports_once(app, boss):
    with app.test_request_context():
        shown = imports.upload(content=xlsx([HEAD, *GOOD]), filename="a", actor_id=boss)
    results = []
    start = threading.Barrier(2)

    def confirm():
        with app.test_request_context():
            start.wait()
            try:
                imports.confirm(shown["id"], actor_id=boss)
                results.append("ok")
            except InvalidTransition:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
    assert counts(app, *WRITES) == (1, 6, 4, 1, 1)


def test_an_existing_variant_with_stock_is_left_or_refused(app, ctx, boss):
    content = xlsx([HEAD, *GOOD])
    imports.confirm(
        imports.upload(content=content, filename="a", actor_id=boss)["id"], actor_id=boss
    )
    same = [HEAD, [*GOOD[0][:7], 5, 10, 0, ""], GOOD[1]]
    shown = imports.upload(content=xlsx(same), filename="b", actor_id=boss)
    assert shown["errors"] == [] and shown["counts"]["left_styles"] == 1
    changed = [HEAD, [*GOOD[0][:7], 6, 10, 0]]
    shown = imports.upload(content=xlsx(changed), filename="c", actor_id=boss)
    assert [(e["row"], e["column"]) for e in shown["errors"]] == [(2, "H")]
    assert "盘点" in str(shown["errors"][0]["message"])  # a stocktake corrects it
