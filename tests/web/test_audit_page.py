"""The audit trail page: each change with who, what and before → after, the filters
(errors beside them), keyset pages, the Excel export of the filtered view."""

import io
import re
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import Role, Style
from stockapp.services import catalogue, settings, suppliers
from tests.support.pages import HTMX, error_beside, text


def test_the_trail_shows_each_change_newest_first(app, client, manager):
    with app.app_context():
        suppliers.save(name="<b>Mill</b>", actor_id=manager)
        settings.update({"over_receipt_tolerance_pct": 7})
    label_sheet = {key: str(value) for key, value in settings.DEFAULTS.items() if "label" in key}
    client.post("/settings", data={"over_receipt_tolerance_pct": "9", **label_sheet})
    page = text(client.get("/audit"))
    assert page.index("over_receipt_tolerance_pct") < page.index("&lt;b&gt;Mill&lt;/b&gt;")
    assert "<b>Mill</b>" not in page
    assert "Terminal" in page and "Setting · Changed" in page and "Supplier · Added" in page
    assert "<del>7</del> → <ins>9</ins>" in page and "<del>0</del> → <ins>7</ins>" in page
    only = text(client.get("/audit", query_string={"subject": "supplier"}, headers=HTMX))
    assert "Mill" in only and "over_receipt" not in only and "<h1>" not in only
    mine = text(client.get("/audit", query_string={"actor": "boss", "key": "tolerance"}))
    assert mine.count("<del>") == 1


def test_pages_and_filter_errors(app, client, manager):
    app.config["PAGE_SIZE"] = 2
    with app.app_context():
        for n in range(4):
            suppliers.save(name=f"Mill {n}")
    first = text(client.get("/audit"))
    assert "Mill 3" in first and "Mill 2" in first and "Mill 1" not in first
    assert 'rel="next"' in first
    older = client.get("/audit", query_string={"before": _next_cursor(first)})
    assert "Mill 1" in text(older) and "Mill 3" not in text(older)
    wrong = client.get("/audit", query_string={"from": "2026-12-02", "to": "2026-12-01"})
    assert wrong.status_code == 422
    assert error_beside(text(wrong), "date_to-error") == "The end date is before the start date."
    assert client.get("/audit/export.xlsx?from=2026-12-02&to=2026-12-01").status_code == 422
    assert client.get("/audit?subject=stock").status_code == 422
    assert client.get("/audit?from=yesterday").status_code == 422


def _next_cursor(page: str) -> str:
    return re.search(r'rel="next" href="[^"]*before=(\d+)', page)[1]


def test_the_export_has_a_row_per_field(app, client, manager, make_user):
    with app.app_context():
        suppliers.save(name="=cmd()", phone="0571", actor_id=manager)
    make_user(Role.CLERK, username="li")
    response = client.get("/audit/export.xlsx", query_string={"subject": "supplier"})
    assert response.status_code == 200
    assert "audit-trail-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1:] == ("Who", "What", "Change", "Name", "Field", "Before", "After")
    assert [row[1:] for row in rows[1:]] == [
        ("boss", "Supplier", "Added", "=cmd()", field, None, value)
        for field, value in (("Name", "=cmd()"), ("Contact person", None), ("Phone", "0571"),
                             ("Note", None))
    ]  # fmt: skip
    assert sheet["E2"].data_type == "s"  # text, not a formula


def test_a_products_fields_are_named_and_its_sizes_listed(app, client, manager, make_style):
    make_style("A1024", sizes=("S", "M"), colours=())
    with app.app_context():
        style_id = db.session.scalar(select(Style.id).where(Style.code == "A1024"))
        catalogue.update_style("A1024", name="Tee", sale_price=Decimal("59.90"), actor_id=manager)
        catalogue.add_variants(style_id, sizes=["L"], actor_id=manager)
    page = text(client.get("/audit", query_string={"subject": "product"}))
    assert "Sale price" in page and "sale_price" not in page
    assert "<del>S M</del> → <ins>S M L</ins>" in page
