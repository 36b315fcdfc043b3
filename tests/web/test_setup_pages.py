"""The managers' set-up pages: suppliers, the main warehouse's locations, the receiving
settings. Managers only; refusals show beside the field and write nothing."""

import re

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Location, Role, Supplier
from stockapp.services import settings, suppliers
from stockapp.services.errors import InvalidInput
from tests.support.db import row_count
from tests.support.pages import HTMX, sign_in, text

ZH = {"Accept-Language": "zh-CN"}


def ticked(page: str, name: str) -> bool:
    box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    return box is not None and " checked" in box.group(0)


def error_beside(page: str, field: str) -> str:
    """The message shown beside ``field`` (empty when there is none)."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def add_supplier(app, name="Hangzhou Textiles", **fields) -> int:
    with app.test_request_context():
        return suppliers.save(name=name, **fields)


def supplier_rows(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Supplier.name, Supplier.contact, Supplier.phone, Supplier.note).order_by(
                Supplier.id
            )
        )
        return [tuple(row) for row in rows]


def location_row(page: str, code: str) -> str:
    """The table row of location ``code`` on the page (empty when there is none)."""
    found = re.search(rf'<tr id="location-\d+">\s*<td><strong>{code}</strong>.*?</tr>', page, re.S)
    return found.group(0) if found else ""


def location_rows(app) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Location.code, Location.zone, Location.note, Location.is_quarantine).where(
                ~Location.is_transit
            )
        )
        return {code: (zone, note, quarantine) for code, zone, note, quarantine in rows}


def stored_settings(app) -> dict:
    with app.app_context():
        return settings.current()


# The label sheet's settings, as typed and as stored.
LABEL_SHEET_FORM = {
    "label_rows": "8",
    "label_columns": "3",
    "label_margin_top_mm": "13",
    "label_margin_side_mm": "7",
}
LABEL_SHEET = {key: int(value) for key, value in LABEL_SHEET_FORM.items()}
SETTINGS_FORM = {
    "over_receipt_tolerance_pct": "5",
    "po_receipts_need_approval": "y",
    "direct_receipts_need_approval": "y",
    "write_offs_need_approval": "y",
} | LABEL_SHEET_FORM


# ---------------------------------------------------------------- who may


def test_the_pages_need_sign_in(app, client, make_user):
    make_user(Role.MANAGER)
    for path in ("/suppliers", "/suppliers/1/edit", "/locations", "/settings"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location, path
    client.post("/suppliers", data={"name": "Sneaky"})
    client.post("/locations", data={"code": "A-01"})
    client.post("/settings", data=SETTINGS_FORM)
    assert supplier_rows(app) == [] and set(location_rows(app)) == {"DEFAULT"}
    assert stored_settings(app) == settings.DEFAULTS


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
def test_viewers_and_clerks_are_refused_every_page_and_post(app, client, make_user, role):
    supplier_id = add_supplier(app, contact="Mr Zhou")
    make_user(role, username="floor")
    sign_in(client, "floor")
    refused = [
        client.get("/suppliers"),
        client.get("/suppliers", headers=HTMX),
        client.post("/suppliers", data={"name": "Other"}),
        client.get(f"/suppliers/{supplier_id}/edit"),
        client.post(f"/suppliers/{supplier_id}/edit", data={"name": "Renamed"}),
        client.get("/locations"),
        client.post("/locations", data={"code": "A-01-03", "is_quarantine": "y"}),
        client.get("/settings"),
        client.post("/settings", data=SETTINGS_FORM),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert supplier_rows(app) == [("Hangzhou Textiles", "Mr Zhou", "", "")]
    assert set(location_rows(app)) == {"DEFAULT"}
    assert stored_settings(app) == settings.DEFAULTS


@pytest.mark.parametrize("headers", [{}, ZH], ids=["en", "zh-CN"])
def test_each_page_renders_for_a_manager(app, client, manager, headers):
    supplier_id = add_supplier(app, contact="Mr Zhou", phone="0571-8888", note="Knits")
    pages = {
        "/suppliers": ("Hangzhou Textiles", "0571-8888", "Knits"),
        f"/suppliers/{supplier_id}/edit": ('value="Hangzhou Textiles"', 'value="Mr Zhou"'),
        "/locations": ("DEFAULT", "主仓库", "A-01-03"),
        "/settings": ('name="over_receipt_tolerance_pct"', 'value="0"'),
    }
    for path, expected in pages.items():
        response = client.get(path, headers=headers)
        page = text(response)
        assert response.status_code == 200 and "<html" in page, path
        for snippet in expected:
            assert snippet in page, (path, snippet)
        if "edit" not in path:
            assert 'class="log-tabs"' in page and 'aria-current="page"' in page
    chinese = {
        "/suppliers": ("供应商", "联系人", "电话", "备注"),
        "/locations": ("货位", "区域", "隔离"),
        "/settings": ("设置", "允差", "审核"),
    }
    for path, words in chinese.items():
        page = text(client.get(path, headers=headers))
        for word in words:
            assert (word in page) == bool(headers), (path, word)
    settings_page = text(client.get("/settings", headers=headers))
    # The tolerance takes the numeric keypad; po approval is on by default, direct is off.
    assert 'inputmode="numeric"' in settings_page
    assert ticked(settings_page, "po_receipts_need_approval")
    assert not ticked(settings_page, "direct_receipts_need_approval")


def test_an_unknown_supplier_is_not_found(client, manager):
    assert client.get("/suppliers/999/edit").status_code == 404
    assert client.post("/suppliers/999/edit", data={"name": "X"}).status_code == 404


# ---------------------------------------------------------------- suppliers


def test_a_manager_adds_a_supplier(app, client, manager):
    assert "No suppliers yet" in text(client.get("/suppliers"))
    response = client.post(
        "/suppliers",
        data={"name": "  Hangzhou Textiles ", "contact": "Mr Zhou", "phone": "0571-8888"},
    )
    assert response.status_code == 302 and response.location == "/suppliers"
    assert supplier_rows(app) == [("Hangzhou Textiles", "Mr Zhou", "0571-8888", "")]
    page = text(client.get("/suppliers"))
    assert "Supplier Hangzhou Textiles added." in page and "Mr Zhou" in page

    # From htmx: a full-page navigation back to the list.
    added = client.post("/suppliers", data={"name": "Ningbo Buttons"}, headers=HTMX)
    assert added.status_code == 204 and added.headers["HX-Redirect"] == "/suppliers"
    rows = text(client.get("/suppliers", headers=HTMX))
    assert "<html" not in rows and "Ningbo Buttons" in rows and "Hangzhou Textiles" in rows


def test_a_manager_edits_a_supplier(app, client, manager):
    supplier_id = add_supplier(app, contact="Mr Zhou")
    response = client.post(
        f"/suppliers/{supplier_id}/edit",
        data={"name": "Hangzhou Textiles Co.", "contact": "Ms Li", "phone": "138", "note": "Knits"},
    )
    assert response.status_code == 302 and response.location == "/suppliers"
    assert supplier_rows(app) == [("Hangzhou Textiles Co.", "Ms Li", "138", "Knits")]
    assert "Supplier Hangzhou Textiles Co. saved." in text(client.get("/suppliers"))
    # Keeping its own name (in another case) is no clash.
    again = client.post(f"/suppliers/{supplier_id}/edit", data={"name": "HANGZHOU TEXTILES CO."})
    assert again.status_code == 302
    assert supplier_rows(app) == [("HANGZHOU TEXTILES CO.", "", "", "")]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_duplicate_supplier_name_is_refused_beside_the_field(app, client, manager, headers):
    add_supplier(app)
    other_id = add_supplier(app, name="Ningbo Buttons")
    before = supplier_rows(app)

    added = client.post(
        "/suppliers", data={"name": "hangzhou textiles", "contact": "Someone"}, headers=headers
    )
    assert added.status_code == 422
    assert error_beside(text(added), "name") == "A supplier of this name exists already."
    assert 'value="Someone"' in text(added)  # what was typed stays
    assert ("<html" in text(added)) == (not headers)

    renamed = client.post(
        f"/suppliers/{other_id}/edit", data={"name": "Hangzhou Textiles"}, headers=headers
    )
    assert renamed.status_code == 422
    assert error_beside(text(renamed), "name") == "A supplier of this name exists already."
    assert supplier_rows(app) == before


def test_a_duplicate_name_is_refused_in_chinese(app, client, manager):
    add_supplier(app)
    refused = client.post("/suppliers", data={"name": "Hangzhou Textiles"}, headers=ZH)
    assert refused.status_code == 422 and error_beside(text(refused), "name") == "已有同名供应商。"
    assert len(supplier_rows(app)) == 1


@pytest.mark.parametrize(
    ("field", "limit"), [("name", 120), ("contact", 80), ("phone", 40), ("note", 500)]
)
def test_too_long_supplier_fields_are_refused(app, client, manager, field, limit):
    supplier_id = add_supplier(app)
    form = {"name": "Ningbo Buttons", field: "x" * (limit + 1)}
    for path in ("/suppliers", f"/suppliers/{supplier_id}/edit"):
        refused = client.post(path, data=form)
        assert refused.status_code == 422, path
        assert error_beside(text(refused), field) == f"At most {limit} characters.", path
    assert supplier_rows(app) == [("Hangzhou Textiles", "", "", "")]
    # Exactly at the limit is fine.
    assert client.post("/suppliers", data={**form, field: "y" * limit}).status_code == 302


def test_a_supplier_needs_a_name(app, client, manager):
    refused = client.post("/suppliers", data={"name": "   ", "contact": "Mr Zhou"})
    assert refused.status_code == 422
    assert error_beside(text(refused), "name") == "Give the supplier a name."
    assert supplier_rows(app) == []


# ---------------------------------------------------------------- locations


def test_a_manager_adds_a_location(app, client, manager):
    response = client.post(
        "/locations", data={"code": "a-01-03", "zone": "Knits", "note": "Top shelf"}
    )
    assert response.status_code == 302 and response.location == "/locations"
    assert location_rows(app)["A-01-03"] == ("Knits", "Top shelf", False)
    page = text(client.get("/locations"))
    assert "Location A-01-03 added." in page
    row = location_row(page, "A-01-03")
    assert "Knits" in row and "Quarantine</span>" not in row

    added = client.post("/locations", data={"code": "B-02"}, headers=HTMX)
    assert added.status_code == 204 and added.headers["HX-Redirect"] == "/locations"
    rows = text(client.get("/locations", headers=HTMX))
    assert "<html" not in rows and "B-02" in rows and "A-01-03" in rows


def test_the_quarantine_flag_is_stored_and_shown(app, client, manager):
    response = client.post(
        "/locations", data={"code": "Q-01", "zone": "Returns", "is_quarantine": "y"}
    )
    assert response.status_code == 302
    assert location_rows(app)["Q-01"] == ("Returns", "", True)
    page = text(client.get("/locations"))
    assert "Quarantine</span>" in location_row(page, "Q-01")
    assert "Default</span>" in location_row(page, "DEFAULT")
    assert "Quarantine</span>" not in location_row(page, "DEFAULT")


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"code": ""}, "code", "Use letters, digits and - _ . (up to 32), such as A-01-03."),
        ({"code": "A 01"}, "code", "Use letters, digits and - _ . (up to 32), such as A-01-03."),
        ({"code": "A" * 33}, "code", "Use letters, digits and - _ . (up to 32), such as A-01-03."),
        ({"code": "-A01"}, "code", "Use letters, digits and - _ . (up to 32), such as A-01-03."),
        ({"code": "default"}, "code", "This warehouse has a location DEFAULT already."),
        ({"code": "A-02", "zone": "z" * 41}, "zone", "At most 40 characters."),
        ({"code": "A-02", "note": "n" * 501}, "note", "At most 500 characters."),
    ],
)
def test_a_bad_location_is_refused_beside_the_field(
    app, client, manager, headers, form, field, message
):
    refused = client.post("/locations", data={**form, "is_quarantine": "y"}, headers=headers)
    assert refused.status_code == 422
    assert error_beside(text(refused), field) == message
    assert ("<html" in text(refused)) == (not headers)
    assert set(location_rows(app)) == {"DEFAULT"}


def test_a_duplicate_location_code_is_refused(app, client, manager):
    assert client.post("/locations", data={"code": "A-01-03", "zone": "Knits"}).status_code == 302
    refused = client.post("/locations", data={"code": "a-01-03", "zone": "Other"})
    assert refused.status_code == 422
    assert error_beside(text(refused), "code") == "This warehouse has a location A-01-03 already."
    assert location_rows(app)["A-01-03"] == ("Knits", "", False)
    assert len(location_rows(app)) == 2
    zh = client.post("/locations", data={"code": "A-01-03"}, headers=ZH)
    assert zh.status_code == 422 and error_beside(text(zh), "code") == "该仓库已有货位 A-01-03。"


# ---------------------------------------------------------------- settings


def test_settings_are_saved_and_read_back(app, client, manager):
    response = client.post("/settings", data=SETTINGS_FORM)
    assert response.status_code == 302 and response.location == "/settings"
    assert stored_settings(app) == {
        "over_receipt_tolerance_pct": 5,
        "po_receipts_need_approval": True,
        "direct_receipts_need_approval": True,
        "write_offs_need_approval": True,
        **LABEL_SHEET,
    }
    page = text(client.get("/settings"))
    assert "Settings saved" in page and 'value="5"' in page
    assert ticked(page, "direct_receipts_need_approval")

    # Unticked boxes are sent as nothing at all: they mean no.
    cleared = client.post(
        "/settings", data=LABEL_SHEET_FORM | {"over_receipt_tolerance_pct": "100"}, headers=HTMX
    )
    assert cleared.status_code == 204 and cleared.headers["HX-Redirect"] == "/settings"
    assert stored_settings(app) == {
        "over_receipt_tolerance_pct": 100,
        "po_receipts_need_approval": False,
        "direct_receipts_need_approval": False,
        "write_offs_need_approval": False,
        **LABEL_SHEET,
    }
    zero = LABEL_SHEET_FORM | {"over_receipt_tolerance_pct": " 0 "}
    assert client.post("/settings", data=zero).status_code == 302
    assert stored_settings(app)["over_receipt_tolerance_pct"] == 0


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize("tolerance", ["-1", "101", "abc", "", "1.5", "٣"])
def test_a_bad_tolerance_is_refused_and_changes_nothing(app, client, manager, headers, tolerance):
    client.post("/settings", data=SETTINGS_FORM)
    before = stored_settings(app)
    refused = client.post(
        "/settings",
        data={"over_receipt_tolerance_pct": tolerance, "po_receipts_need_approval": ""},
        headers=headers,
    )
    assert refused.status_code == 422
    page = text(refused)
    assert error_beside(page, "over_receipt_tolerance_pct") == "Enter a whole number from 0 to 100."
    assert ("<html" in page) == (not headers)
    assert stored_settings(app) == before
    with app.app_context():
        assert row_count("settings") == len(settings.DEFAULTS)


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    [
        ("label_rows", "0", "Enter a whole number from 1 to 20."),
        ("label_rows", "21", "Enter a whole number from 1 to 20."),
        ("label_columns", "9", "Enter a whole number from 1 to 8."),
        ("label_columns", "x", "Enter a whole number from 1 to 8."),
        ("label_margin_top_mm", "41", "Enter a whole number from 0 to 40."),
        ("label_margin_side_mm", "", "Enter a whole number from 0 to 40."),
    ],
)
def test_a_bad_label_sheet_setting_is_refused_beside_it(app, client, manager, key, typed, message):
    before = stored_settings(app)
    refused = client.post("/settings", data=SETTINGS_FORM | {key: typed})
    assert refused.status_code == 422
    assert error_beside(text(refused), key) == message
    assert stored_settings(app) == before


def test_the_service_refuses_label_sheet_numbers_out_of_range(app):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        settings.update({"label_rows": 0, "label_columns": 3})
    assert set(refused.value.errors) == {"label_rows"}
    assert stored_settings(app) == settings.DEFAULTS


def test_a_bad_tolerance_is_refused_in_chinese(app, client, manager):
    refused = client.post("/settings", data={"over_receipt_tolerance_pct": "101"}, headers=ZH)
    assert refused.status_code == 422
    assert error_beside(text(refused), "over_receipt_tolerance_pct") == "请输入 0 到 100 的整数。"
    assert stored_settings(app) == settings.DEFAULTS
