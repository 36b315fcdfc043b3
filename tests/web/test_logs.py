"""The stock logs, their exports, "my actions", and reversing a document from the log."""

import csv
import io
import json
import re
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import select

from stockapp.database import write_transaction
from stockapp.extensions import db
from stockapp.models import Document, DocumentStatus, Movement, Role
from stockapp.services import counting, ledger, receiving, warehouses
from stockapp.web.movements import exports as logs
from tests.support.apps import PASSWORD
from tests.support.db import on_hand, row_count
from tests.support.pages import HTMX, sign_in


@pytest.fixture
def stock(app):
    """Post through the services: ``stock.receive(user, {variant: qty}, note)`` and so on."""

    class Stock:
        @staticmethod
        def receive(user_id, lines, note=""):
            with app.test_request_context():
                return receiving.receive(lines=list(lines.items()), operator_id=user_id, note=note)[
                    "document"
                ]["id"]

        @staticmethod
        def count(user_id, counted, note=""):
            with app.test_request_context():
                shown = {v: on_hand(v) for v in counted}
                return counting.count(
                    lines=[counting.CountLine(v, n, shown[v]) for v, n in counted.items()],
                    operator_id=user_id,
                    note=note,
                )["document"]["id"]

        @staticmethod
        def reverse(user_id, document_id, reason="wrong"):
            with app.test_request_context(), write_transaction():
                return ledger.reverse(document_id, operator_id=user_id, reason=reason)["document"][
                    "id"
                ]

    return Stock()


def movement_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="movement-(\d+)"', page)]


def all_movement_ids(app, **where) -> list[int]:
    with app.app_context():
        query = select(Movement.id).order_by(Movement.id.desc())
        for name, value in where.items():
            query = query.where(getattr(Movement, name) == value)
        return list(db.session.scalars(query))


def number(kind: str, document_id: int) -> str:
    return f"{kind}{document_id:07d}"


# The log page -------------------------------------------------------------------


def test_the_log_page_and_its_htmx_partial(app, client, manager, make_style, stock):
    skus = make_style("A1024", sizes=("S", "M"), name="Oxford shirt")
    stock.receive(manager, {skus["A1024-Black-S"]: 5, skus["A1024-Black-M"]: 3}, "first batch")

    page = client.get("/logs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in text
    assert 'id="log-view"' in text
    for expected in ("A1024", "Oxford shirt", "Black", "first batch", "boss", "RC0000001"):
        assert expected in text
    assert len(movement_ids(text)) == 2

    partial = client.get("/logs", headers=HTMX)
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body
    assert "HX-Request" in partial.headers["Vary"]
    assert movement_ids(body) == movement_ids(text)
    # The partial is what the page shows inside #log-view: the form, the rows, the pager.
    assert 'class="log-filter"' in body and 'id="log-rows"' in body

    restore = client.get("/logs", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_each_row_shows_signed_quantity_balance_operator_and_document(
    app, client, manager, make_style, stock
):
    skus = make_style("A1024", sizes=("S",))
    variant = skus["A1024-Black-S"]
    receipt = stock.receive(manager, {variant: 1200}, "arrived")
    stocktake = stock.count(manager, {variant: 1195}, "monthly count")

    page = client.get("/logs").get_data(as_text=True)
    rows = re.findall(r'<tr id="movement-\d+".*?</tr>', page, re.S)
    newest, oldest = rows
    # Green plus, red minus, localised numbers.
    assert re.search(r'class="num qty down">-5<', newest)
    assert '<td class="num">1,195</td>' in newest
    assert "monthly count" in newest and number("ST", stocktake) in newest
    assert re.search(r'class="num qty up">\+1,200<', oldest)
    assert ">1,200<" in oldest and number("RC", receipt) in oldest
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headings == [
        "Time",
        "Style",
        "Colour",
        "Size",
        "Quantity",
        "Balance after",
        "Operator",
        "Note",
        "Document",
    ]


def test_the_nav_shows_stock_logs_to_managers_and_my_actions_to_everyone(
    client, make_user, manager
):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/logs"' in page and 'href="/logs/mine"' in page
    client.post("/logout")
    make_user(Role.CLERK, username="li")
    sign_in(client, "li")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/logs"' not in page and 'href="/logs/mine"' in page


# Filters ------------------------------------------------------------------------


@pytest.fixture
def history(app, manager, make_user, make_style, stock):
    """Two styles, two operators, a receipt, a stocktake and a reversal."""
    a = make_style("A1024", sizes=("S", "M"))
    b = make_style("B2048", sizes=("L",))
    li = make_user(Role.CLERK, username="li")
    ids = {
        "receipt_a": stock.receive(manager, {a["A1024-Black-S"]: 4, a["A1024-Black-M"]: 6}),
        "receipt_b": stock.receive(li, {b["B2048-Black-L"]: 9}, "li's receipt"),
    }
    ids["stocktake"] = stock.count(li, {a["A1024-Black-S"]: 3})
    ids["wrong"] = stock.receive(manager, {b["B2048-Black-L"]: 2}, "typed twice")
    ids["reversal"] = stock.reverse(manager, ids["wrong"])
    return {"skus": {**a, **b}, "li": li, "documents": ids}


def test_inbound_and_adjustment_logs_and_single_kinds(app, client, history):
    def kinds_shown(query):
        page = client.get("/logs" + query).get_data(as_text=True)
        with app.app_context():
            return {db.session.get(Movement, mid).kind for mid in movement_ids(page)}, page

    assert kinds_shown("")[0] == {"inbound", "stocktake", "reversal"}
    inbound, page = kinds_shown("?kind=inbound")
    assert inbound == {"inbound"}
    assert len(movement_ids(page)) == len(all_movement_ids(app, kind="inbound")) == 4
    assert re.search(r'aria-current="page"[^>]*>Inbound log<', page)
    adjustment, page = kinds_shown("?kind=adjustment")
    assert adjustment == {"stocktake", "reversal"}
    assert re.search(r'aria-current="page"[^>]*>Adjustment log<', page)
    assert kinds_shown("?kind=reversal")[0] == {"reversal"}
    assert kinds_shown("?kind=write_off")[0] == set()
    response = client.get("/logs?kind=nonsense")
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)


def test_filter_by_sku_or_style_code(app, client, history):
    skus = history["skus"]
    page = client.get("/logs?q=A1024-Black-S").get_data(as_text=True)
    assert movement_ids(page) == all_movement_ids(app, variant_id=skus["A1024-Black-S"])
    assert len(movement_ids(page)) == 2  # received, then counted
    whole_style = all_movement_ids(app, variant_id=skus["A1024-Black-S"]) + all_movement_ids(
        app, variant_id=skus["A1024-Black-M"]
    )
    for code in ("A1024", "a1024", " A1024 "):
        page = client.get("/logs", query_string={"q": code}).get_data(as_text=True)
        assert movement_ids(page) == sorted(whole_style, reverse=True)
    page = client.get("/logs?q=NOPE").get_data(as_text=True)
    assert movement_ids(page) == [] and "No movements match these filters" in page


def test_filter_by_operator_and_combined_filters(app, client, history):
    page = client.get("/logs?operator=li").get_data(as_text=True)
    assert movement_ids(page) == all_movement_ids(app, operator_id=history["li"])
    assert '<option selected value="li">li</option>' in page or 'value="li" selected' in page
    page = client.get("/logs?operator=li&kind=inbound&q=B2048").get_data(as_text=True)
    assert len(movement_ids(page)) == 1 and "li&#39;s receipt" in page
    assert movement_ids(client.get("/logs?operator=nobody").get_data(as_text=True)) == []


def test_filter_by_document_shows_it_with_its_reversal(app, client, history):
    wrong, reversal = history["documents"]["wrong"], history["documents"]["reversal"]
    for query in (number("RC", wrong), str(wrong), number("RV", reversal)):
        page = client.get("/logs", query_string={"document": query}).get_data(as_text=True)
        assert len(movement_ids(page)) == 2, query
        assert "Reversed by <a" in page and "Reverses <a" in page
    # The number must name the right kind of document.
    page = client.get("/logs", query_string={"document": number("ST", wrong)})
    assert movement_ids(page.get_data(as_text=True)) == []


def test_filter_by_dates_uses_the_app_timezone(app, client, manager, make_style, monkeypatch):
    variant = make_style("A1024", sizes=("S",))["A1024-Black-S"]
    # Asia/Shanghai is UTC+8: 15:59 UTC is still 1 March there, 16:00 UTC is 2 March.
    for hour, minute in ((15, 59), (16, 0)):
        when = datetime(2026, 3, 1, hour, minute, tzinfo=UTC)
        monkeypatch.setattr(ledger, "utcnow", lambda when=when: when)
        with app.test_request_context():
            receiving.receive(lines=[(variant, 1)], operator_id=manager)
    late_on_the_first, early_on_the_second = all_movement_ids(app)[::-1]

    def shown(**dates):
        return movement_ids(client.get("/logs", query_string=dates).get_data(as_text=True))

    assert shown(**{"from": "2026-03-01", "to": "2026-03-01"}) == [late_on_the_first]
    assert shown(**{"from": "2026-03-02"}) == [early_on_the_second]
    assert shown(to="2026-03-02") == [early_on_the_second, late_on_the_first]
    assert shown(**{"from": "2026-03-03"}) == []
    page = client.get("/logs").get_data(as_text=True)
    # Shown in Shanghai time, in the user's language.
    assert "3/1/26<br>" in page and "11:59:00\u202fPM" in page
    assert "3/2/26<br>" in page and "12:00:00\u202fAM" in page

    backwards = client.get("/logs?from=2026-03-02&to=2026-03-01")
    assert backwards.status_code == 422
    assert "The end date is before the start date" in backwards.get_data(as_text=True)
    assert client.get("/logs?from=yesterday").status_code == 422


# Keyset pagination --------------------------------------------------------------


def walk(client, url) -> tuple[list[int], int]:
    """Follow the Older links from ``url`` to the end: every id seen, and how many pages."""
    seen, pages = [], 0
    while url:
        page = client.get(url, headers=HTMX).get_data(as_text=True)
        pages += 1
        seen += movement_ids(page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen, pages


@pytest.mark.parametrize("query", ["", "?kind=adjustment", "?q=A1024", "?kind=inbound&q=A1024"])
def test_keyset_pages_cover_the_log_without_gaps_or_repeats(
    app, client, manager, make_style, stock, query
):
    app.config["PAGE_SIZE"] = 3
    a = make_style("A1024", sizes=("S", "M", "L"))
    b = make_style("B2048", sizes=("S",))
    receipts = []
    for n in range(1, 5):
        receipts.append(stock.receive(manager, {v: n for v in a.values()}))
        stock.receive(manager, {b["B2048-Black-S"]: n})
        stock.count(manager, {a["A1024-Black-S"]: 100, b["B2048-Black-S"]: n + 1})
    stock.reverse(manager, receipts[-1])

    expected = movement_ids(client.get("/logs" + query, headers=HTMX).get_data(as_text=True))
    app.config["PAGE_SIZE"] = 3
    seen, pages = walk(client, "/logs" + query)
    app.config["PAGE_SIZE"] = 1000
    everything = movement_ids(client.get("/logs" + query).get_data(as_text=True))
    assert len(everything) > 6 and pages == -(-len(everything) // 3)
    assert seen == everything == sorted(set(everything), reverse=True)
    assert expected == everything[:3]


def test_an_older_page_keeps_the_filters_and_offers_the_newest(app, client, manager, make_style):
    app.config["PAGE_SIZE"] = 1
    variant = make_style("A1024", sizes=("S",))["A1024-Black-S"]
    with app.test_request_context():
        for _ in range(3):
            receiving.receive(lines=[(variant, 1)], operator_id=manager)
    first = client.get("/logs?kind=inbound&operator=boss").get_data(as_text=True)
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    assert "kind=inbound" in older and "operator=boss" in older and "before=" in older
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert ">Newest<" in second and ">Newest<" not in first
    assert client.get("/logs?before=banana").status_code == 200


# Exports ------------------------------------------------------------------------

HEADINGS = [
    "Time",
    "Style",
    "Name",
    "Colour",
    "Size",
    "SKU",
    "Kind",
    "Quantity",
    "Balance after",
    "Operator",
    "Note",
    "Document",
    "Reversal link",
]


@pytest.fixture
def exportable(app, manager, make_style, stock, monkeypatch):
    skus = make_style("A1024", sizes=("S", "M"), name="牛津纺衬衫")
    when = datetime(2026, 3, 1, 2, 30, 15, tzinfo=UTC)
    monkeypatch.setattr(ledger, "utcnow", lambda: when)
    receipt = stock.receive(manager, {skus["A1024-Black-S"]: 12, skus["A1024-Black-M"]: 4}, "到货")
    stock.count(manager, {skus["A1024-Black-S"]: 13}, "=1+2")
    reversal = stock.reverse(manager, receipt, "录入错误")
    return {"receipt": receipt, "reversal": reversal}


def read_csv(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_of_the_filtered_view(app, client, exportable):
    response = client.get("/logs/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=stock-log-" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == HEADINGS
    body = rows[1:]
    assert len(body) == 5  # 2 received, 1 counted, 2 reversed
    reversal_rows = [r for r in body if r[6] == "Reversal"]
    assert {r[7] for r in reversal_rows} == {"-12", "-4"}
    assert {r[11] for r in reversal_rows} == {number("RV", exportable["reversal"])}
    assert {r[12] for r in reversal_rows} == {"Reverses " + number("RC", exportable["receipt"])}
    received = [r for r in body if r[6] == "Inbound"]
    assert received[0][:3] == ["2026-03-01 10:30:15", "A1024", "牛津纺衬衫"]  # Shanghai time
    assert received[0][10] == "到货" and received[0][9] == "boss"
    assert "Reversed by" in received[0][12]
    counted = next(r for r in body if r[6] == "Stocktake")
    assert counted[7] == "1" and counted[8] == "13"
    assert counted[10] == "'=1+2", "a note must not become a spreadsheet formula"

    inbound = read_csv(client.get("/logs/export.csv?kind=inbound&q=A1024-Black-M"))
    assert [(r[5], r[7]) for r in inbound[1:]] == [("A1024-Black-M", "4")]


def test_xlsx_export_has_numbers_and_local_times(app, client, exportable):
    response = client.get("/logs/export.xlsx?kind=adjustment")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADINGS
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["K"].width > sheet.column_dimensions["E"].width
    body = rows[1:]
    assert len(body) == 3 and {r[6] for r in body} == {"Stocktake", "Reversal"}
    assert all(isinstance(r[7], int) and isinstance(r[8], int) for r in body)
    assert sorted(r[7] for r in body) == [-12, -4, 1]
    assert body[0][0] == datetime(2026, 3, 1, 10, 30, 15)
    note = next(c for c in sheet.iter_rows(min_row=2) if c[6].value == "Stocktake")[10]
    assert note.value == "=1+2" and note.data_type == "s"


def test_exports_are_capped_with_a_note(app, client, exportable, monkeypatch):
    monkeypatch.setattr(logs, "EXPORT_LIMIT", 2)
    rows = read_csv(client.get("/logs/export.csv"))
    assert len(rows) == 4 and rows[3][0].startswith("Only the newest 2 movements")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/logs/export.xlsx").get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 4 and values[3][0].startswith("Only the newest 2 movements")


def test_exports_refuse_bad_filters(client, manager):
    for path in ("/logs/export.csv", "/logs/export.xlsx"):
        response = client.get(path + "?from=2026-03-02&to=2026-03-01")
        assert response.status_code == 422
        assert "The end date is before the start date" in response.get_data(as_text=True)


# Who may see what ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
@pytest.mark.parametrize(
    "path", ["/logs", "/logs?kind=inbound", "/logs/export.csv", "/logs/export.xlsx"]
)
def test_only_managers_see_the_logs(client, make_user, role, path):
    make_user(role, username="someone")
    sign_in(client, "someone")
    response = client.get(path)
    text = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "managers only" in text and 'href="/logs/mine"' in text
    assert "Export" not in text


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
def test_only_managers_reverse(app, client, make_user, make_style, stock, role):
    boss = make_user(Role.MANAGER)
    variant = make_style("A1024", sizes=("S",))["A1024-Black-S"]
    receipt = stock.receive(boss, {variant: 3})
    make_user(role, username="someone")
    sign_in(client, "someone")
    assert client.get(f"/documents/{receipt}/reverse", headers=HTMX).status_code == 403
    response = client.post(f"/documents/{receipt}/reverse", data={"reason": "mine now"})
    assert response.status_code == 403 and "managers only" in response.get_data(as_text=True)
    with app.app_context():
        assert on_hand(variant) == 3 and row_count("documents") == 1


def test_the_logs_need_sign_in(client, make_user):
    make_user(Role.MANAGER)
    for path in ("/logs", "/logs/mine", "/logs/export.csv", "/documents/1/reverse"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", list(Role))
def test_my_actions_shows_only_my_own_movements(app, client, make_user, make_style, stock, role):
    variant = make_style("A1024", sizes=("S",))["A1024-Black-S"]
    other = make_user(Role.MANAGER, username="other")
    me = make_user(role, username="me")
    stock.receive(other, {variant: 5}, "not mine")
    if role != Role.VIEWER:  # viewers move no stock
        stock.receive(me, {variant: 2}, "mine")
        stock.count(me, {variant: 6}, "my count")
    sign_in(client, "me")

    page = client.get("/logs/mine")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in text and "My actions" in text
    assert movement_ids(text) == all_movement_ids(app, operator_id=me)
    assert "not mine" not in text
    if role == Role.VIEWER:
        assert "You have not moved any stock yet" in text
    else:
        assert "my count" in text and len(movement_ids(text)) == 2
    # Only a manager is offered the reversal.
    assert ('hx-get="/documents/' in text) == (role == Role.MANAGER)
    partial = client.get("/logs/mine", headers=HTMX)
    assert "<html" not in partial.get_data(as_text=True)
    assert movement_ids(partial.get_data(as_text=True)) == movement_ids(text)


def test_my_actions_shows_the_latest_hundred(app, client, manager, make_style):
    variant = make_style("A1024", sizes=("S",))["A1024-Black-S"]
    with app.test_request_context():
        receiving.receive(lines=[(variant, 1)] * 101, operator_id=manager)
    shown = movement_ids(client.get("/logs/mine").get_data(as_text=True))
    assert shown == all_movement_ids(app)[:100]


# Reversal -----------------------------------------------------------------------


@pytest.fixture
def receipt(app, manager, make_style, stock):
    skus = make_style("A1024", sizes=("S", "M"))
    lines = {skus["A1024-Black-S"]: 5, skus["A1024-Black-M"]: 2}
    return {"id": stock.receive(manager, lines, "first batch"), "lines": lines, "skus": skus}


def test_the_reason_form_as_partial_and_page(client, receipt):
    url = f"/documents/{receipt['id']}/reverse"
    partial = client.get(url, headers=HTMX)
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body
    assert 'id="modal-title"' in body and "Reverse RC0000001" in body
    assert 'name="reason"' in body and f'hx-post="{url}"' in body
    assert "A1024-Black-S" in body and "first batch" in body and "data-close-modal" in body
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and 'name="reason"' in page and 'href="/logs"' in page
    # The log offers it in the dialog.
    log = client.get("/logs").get_data(as_text=True)
    assert f'hx-get="{url}" hx-target="#modal-body"' in log
    assert log.count(f'hx-get="{url}"') == 1, "one Reverse button per document"


def test_reversal_restores_stock_and_links_both_documents(app, client, manager, receipt):
    response = client.post(
        f"/documents/{receipt['id']}/reverse",
        data={"reason": "  counted twice  "},
        headers={**HTMX, "HX-Current-URL": "http://localhost/logs?kind=adjustment"},
    )
    assert response.status_code == 200
    event = json.loads(response.headers["HX-Trigger"])
    assert event["stock-changed"] == {"document": "RC0000001", "reversal": "RV0000002"}
    assert response.headers["HX-Retarget"] == "#log-view"
    body = response.get_data(as_text=True)
    assert "<html" not in body and "RC0000001 is reversed by RV0000002" in body
    # The refreshed log keeps the page's filters: the adjustment log holds only the reversal.
    assert len(movement_ids(body)) == 2 and "Inbound log" in body
    with app.app_context():
        assert [on_hand(v) for v in receipt["lines"]] == [0, 0]
        original = db.session.get(Document, receipt["id"])
        assert original.status == DocumentStatus.REVERSED
        reversal = db.session.scalar(select(Document).where(Document.reverses_id == original.id))
        assert reversal.note == "counted twice" and reversal.operator_id == manager

    log = client.get("/logs").get_data(as_text=True)
    rows = dict(
        (int(i), row) for i, row in re.findall(r'<tr id="movement-(\d+)".*?>(.*?)</tr>', log, re.S)
    )
    assert len(rows) == 4
    for row in rows.values():
        if "counted twice" in row:
            assert "Reverses <a" in row and 'href="/logs?document=RC0000001"' in row
        else:
            assert "Reversed by <a" in row and 'href="/logs?document=RV0000002"' in row
            assert "/reverse" not in row, "a reversed document offers no second reversal"


def test_reversal_without_htmx_redirects_to_both_documents(app, client, receipt):
    response = client.post(f"/documents/{receipt['id']}/reverse", data={"reason": "wrong"})
    assert response.status_code == 302
    assert response.location.endswith("/logs?document=RV0000002")
    page = client.get(response.location).get_data(as_text=True)
    assert "RC0000001 is reversed by RV0000002" in page and len(movement_ids(page)) == 4


def test_reversal_from_my_actions_refreshes_my_actions(client, receipt):
    response = client.post(
        f"/documents/{receipt['id']}/reverse",
        data={"reason": "wrong"},
        headers={**HTMX, "HX-Current-URL": "http://localhost/logs/mine"},
    )
    assert response.headers["HX-Retarget"] == "#log-rows"
    assert len(movement_ids(response.get_data(as_text=True))) == 4


def test_reversal_from_another_page_only_announces_the_change(app, client, manager, receipt):
    response = client.post(
        f"/documents/{receipt['id']}/reverse",
        data={"reason": "wrong"},
        headers={**HTMX, "HX-Current-URL": "http://localhost/products/A1024"},
    )
    assert response.status_code == 204 and "stock-changed" in response.headers["HX-Trigger"]
    with app.app_context():
        assert row_count("documents") == 2


def test_a_stocktake_can_be_reversed(app, client, manager, make_style, stock):
    variant = make_style("A1024", sizes=("S",))["A1024-Black-S"]
    stock.receive(manager, {variant: 10})
    stocktake = stock.count(manager, {variant: 7})
    response = client.post(f"/documents/{stocktake}/reverse", data={"reason": "miscounted"})
    assert response.status_code == 302
    with app.app_context():
        assert on_hand(variant) == 10


def test_reversing_twice_is_refused_and_writes_nothing(app, client, receipt):
    url = f"/documents/{receipt['id']}/reverse"
    assert client.post(url, data={"reason": "once"}).status_code == 302
    with app.app_context():
        before = row_count("movements"), row_count("documents")
    response = client.post(url, data={"reason": "twice"}, headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "RC0000001 has already been reversed" in body
    assert "HX-Trigger" not in response.headers
    with app.app_context():
        assert (row_count("movements"), row_count("documents")) == before
    # The form, opened again, says so instead of offering the button.
    form = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "already been reversed by RV0000002" in form and 'id="reverse-submit"' not in form


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why this document is reversed"), ("   ", "Say why"), ("x" * 501, "under 500")],
)
def test_reversal_needs_a_reason(app, client, receipt, reason, message):
    response = client.post(
        f"/documents/{receipt['id']}/reverse", data={"reason": reason}, headers=HTMX
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    assert 'aria-invalid="true"' in body
    with app.app_context():
        assert row_count("documents") == 1 and [on_hand(v) for v in receipt["lines"]] == [5, 2]


def test_a_reason_of_500_characters_is_enough(app, client, receipt):
    response = client.post(f"/documents/{receipt['id']}/reverse", data={"reason": "x" * 500})
    assert response.status_code == 302


def test_reversing_a_receipt_whose_stock_has_left_names_the_sku(
    app, client, manager, receipt, stock
):
    stock.count(manager, {receipt["skus"]["A1024-Black-M"]: 0}, "damaged, gone")
    with app.app_context():
        before = row_count("movements")
    response = client.post(
        f"/documents/{receipt['id']}/reverse", data={"reason": "wrong"}, headers=HTMX
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A1024-Black-M is short by 2" in body and "A1024-Black-S" not in body.split("short")[0]
    with app.app_context():
        assert row_count("movements") == before
        assert db.session.get(Document, receipt["id"]).status == DocumentStatus.POSTED
        assert on_hand(receipt["skus"]["A1024-Black-S"]) == 5


def test_a_reversal_cannot_be_reversed(app, client, manager, receipt, stock):
    reversal = stock.reverse(manager, receipt["id"])
    response = client.post(f"/documents/{reversal}/reverse", data={"reason": "undo the undo"})
    assert response.status_code == 422 and "cannot be reversed" in response.get_data(as_text=True)


def test_an_unknown_document_is_404(client, manager):
    assert client.get("/documents/999/reverse", headers=HTMX).status_code == 404
    response = client.post("/documents/999/reverse", data={"reason": "x"}, headers=HTMX)
    assert response.status_code == 404 and "Document 999 does not exist" in response.get_data(
        as_text=True
    )


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def manager(self, make_user, client):
        user_id = make_user(Role.MANAGER, username="boss")
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        return user_id

    def test_the_reverse_post_needs_the_forms_token(self, app, client, receipt):
        url = f"/documents/{receipt['id']}/reverse"
        refused = client.post(url, data={"reason": "no token"})
        assert refused.status_code == 400
        with app.app_context():
            assert row_count("documents") == 1
        form = client.get(url, headers=HTMX).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        response = client.post(url, data={"reason": "with token", "csrf_token": token})
        assert response.status_code == 302
        with app.app_context():
            assert row_count("documents") == 2


def test_a_manager_of_some_warehouses_sees_and_exports_their_movements_only(
    app, client, make_user, make_style
):
    skus = make_style("A1024", sizes=("S",), colours=("Black",))
    v = skus["A1024-Black-S"]
    boss = make_user(Role.MANAGER, username="boss")
    with app.app_context():
        shop = warehouses.create_warehouse(code="SH", name="Shop one", actor_id=boss)
        into_shop = warehouses.locations(shop)[0].id
        for line, warehouse in (
            (receiving.ArrivedLine(v, 4), None),
            (receiving.ArrivedLine(v, 6, location_id=into_shop), shop),
        ):
            receiving.create(lines=[line], operator_id=boss, warehouse_id=warehouse, submit=True)
        warehouses.set_user_warehouses(user_id=boss, warehouse_ids={warehouses.main_warehouse_id()})
        in_main = db.session.scalars(
            select(Movement.id).where(Movement.location_id == warehouses.default_location_id())
        ).all()
    sign_in(client, "boss")
    assert movement_ids(client.get("/logs").get_data(as_text=True)) == in_main
    exported = client.get("/logs/export.csv").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(exported)))) == 1 + len(in_main)
