"""The import pages, the template and the stock sheet, through the test client."""

import io

import pytest
from openpyxl import load_workbook

from stockapp.extensions import db
from stockapp.models import Role, SizeGroup
from stockapp.services import imports
from tests.support.apps import PASSWORD
from tests.support.db import counts
from tests.support.pages import as_user, text
from tests.web.test_stock import token_of

CSV = "code,name,colour,S,M\nK1,Tee,Black,2,3\n"


def upload(client, content: bytes, name="sheet.csv"):
    return client.post("/imports", data={"sheet": (io.BytesIO(content), name)})


@pytest.mark.parametrize(
    ("role", "status"), [(None, 302), (Role.VIEWER, 403), (Role.CLERK, 403), (Role.MANAGER, 200)]
)
def test_only_managers_import(app, client, make_user, role, status):
    if role is not None:
        make_user(role, username="who")
        as_user(client, "who")
    for url in ("/imports", "/imports/template.xlsx?lang=zh"):
        assert client.get(url).status_code == status
    answer = upload(client, CSV.encode())
    assert answer.status_code == (302 if status == 200 else status)
    assert counts(app, "imports") == ((1,) if status == 200 else (0,))


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (Role.CLERK, 200)])
def test_the_stock_sheet_needs_the_cost_reading_role(app, client, make_user, role, status):
    make_user(role, username="who")
    as_user(client, "who")
    assert client.get("/stock-sheet.xlsx").status_code == status


def test_upload_preview_confirm_and_the_stock_log(app, client, manager):
    answer = upload(client, CSV.encode())
    preview = answer.headers["Location"]
    page = text(client.get(preview))
    assert "Confirm the import" in page
    assert counts(app, "styles") == (0,)
    done = client.post(preview + "/confirm")
    assert done.status_code == 302
    page = text(client.get(preview))
    assert "Imported by boss" in page and "OS0000001" in page
    log = text(client.get("/logs?document=OS0000001"))
    assert "Opening stock" in log and "K1" in log, log[log.find("<main") :][:3000]
    again = client.post(preview + "/confirm")
    assert again.status_code == 409 and "imported already" in text(again)
    assert counts(app, "styles", "movements") == (1, 2)


def test_a_bad_file_gets_its_message_beside_the_field(app, client, manager):
    answer = upload(client, b"\x00\x00 not a sheet", "x.xlsx")
    assert answer.status_code == 422 and "not a spreadsheet" in text(answer)
    answer = client.post("/imports", data={})
    assert answer.status_code == 422 and "Choose the file" in text(answer)
    assert counts(app, "imports") == (0,)


def test_bad_rows_are_shown_beside_their_row(app, client, manager):
    answer = upload(client, b"code,name,colour,S\nK1,Tee,Black,-1\n,Tee,Red,2\n")
    page = text(client.get(answer.headers["Location"]))
    assert "cannot be negative" in page and "Give the style code" in page
    assert "Confirm the import" not in page


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_upload_and_the_confirm_need_their_tokens(self, app, client, make_user):
        make_user(Role.MANAGER, username="boss")
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": "boss", "password": PASSWORD} | token_of(login))
        assert upload(client, CSV.encode()).status_code == 400
        assert counts(app, "imports") == (0,)
        page = client.get("/imports").get_data(as_text=True)
        answer = client.post(
            "/imports", data={"sheet": (io.BytesIO(CSV.encode()), "s.csv")} | token_of(page)
        )
        assert answer.status_code == 302 and counts(app, "imports") == (1,)
        preview = answer.headers["Location"]
        assert client.post(preview + "/confirm").status_code == 400
        assert counts(app, "styles", "movements") == (0, 0)
        confirm = client.get(preview).get_data(as_text=True)
        assert client.post(preview + "/confirm", data=token_of(confirm)).status_code == 302
        assert counts(app, "styles", "movements") == (1, 2)


def test_the_template_and_a_stock_sheet_round_trip(app, client, manager):
    with app.app_context():
        db.session.add(SizeGroup(name="S–3XL", sizes=["S", "M", "L", "XL", "2XL", "3XL"]))
        db.session.commit()
    template = client.get("/imports/template.xlsx?lang=en")
    assert template.status_code == 200
    answer = upload(client, template.data, "template.xlsx")
    preview = answer.headers["Location"]
    client.post(preview + "/confirm")
    assert counts(app, "styles", "variants") == (1, 12)
    sheet = client.get("/stock-sheet.xlsx?q=K2025")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.values)
    assert rows[0][:7] == (
        "code",
        "name",
        "category",
        "colour",
        "cost price",
        "sale price",
        "size group",
    )
    assert rows[1][7:13] == (5, 10, 10, 8, 4, 2)
    back = upload(client, sheet.data, "stock.xlsx")
    assert client.get(back.headers["Location"]).status_code == 200
    with app.test_request_context():
        found = imports.preview(int(back.headers["Location"].rsplit("/", 1)[1]))
    assert found["errors"] == []  # nothing wrong, nothing new
    assert found["counts"]["new_styles"] == found["counts"]["new_variants"] == 0
    csv_sheet = client.get("/stock-sheet.csv")
    assert csv_sheet.status_code == 200 and "K2025-01" in text(csv_sheet)
