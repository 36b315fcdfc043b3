"""The product page, its stock matrix, "why this number", and the manage-stock dialog."""

import json
import re

import pytest
import sqlalchemy as sa

from stockapp import queries
from stockapp.extensions import db
from stockapp.models import Location, Role
from stockapp.services import catalogue, ledger, receiving, warehouses
from tests.support.api import snapshot
from tests.support.apps import PASSWORD
from tests.support.db import held, into_a_bin_and_quarantine, on_hand, row_count
from tests.support.pages import HTMX, inbound, signed_in


@pytest.fixture
def shop(app, client, make_user, make_style):
    """A style A1024 (Black, White × S, M, L), some stock, and a signed-in clerk."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black", "White"))
    clerk = make_user(Role.CLERK, username="li")
    with app.app_context():
        receiving.receive(
            lines=[(skus["A1024-Black-S"], 4), (skus["A1024-White-M"], 6)], operator_id=clerk
        )
    client.post("/login", data={"username": "li", "password": PASSWORD})
    return skus


def figures(page: str) -> list[str]:
    return re.findall(r'class="on-hand">([^<]+)<', page)


def test_product_page_shows_the_matrix_with_totals(app, client, shop):
    page = client.get("/products/A1024").get_data(as_text=True)
    # Rows Black, White (S M L + row total), then the column totals and the grand total.
    assert figures(page) == ["4", "0", "0", "4", "0", "6", "0", "6", "4", "6", "0", "10"]
    assert "Manage stock" in page
    partial = client.get("/products/A1024", headers=HTMX)
    assert partial.get_data(as_text=True).lstrip().startswith('<section id="matrix"')
    assert client.get("/products/NOPE").status_code == 404


def test_low_stock_is_flagged_on_the_page_and_in_the_list(app, client, shop):
    with app.app_context():
        catalogue.set_low_stock_threshold(shop["A1024-Black-S"], 5)
    assert "badge" in client.get("/products/A1024").get_data(as_text=True)
    assert "Low stock: 1" in client.get("/").get_data(as_text=True)


def test_a_scan_in_the_search_box_opens_the_style(app, client, shop, make_style):
    make_style("B2048")
    with app.app_context():
        barcode = db.session.scalar(
            sa.text("SELECT barcode FROM variants WHERE sku='B2048-Black-M'")
        )
    assert client.get(f"/?q={barcode}").location == "/products/B2048"
    scanned = client.get(f"/?q={barcode}", headers={**HTMX, "HX-Trigger": "search"})
    assert scanned.headers["HX-Redirect"] == "/products/B2048"
    typing = client.get("/?q=A1024", headers={**HTMX, "HX-Trigger": "q"})
    assert "HX-Redirect" not in typing.headers and "A1024" in typing.get_data(as_text=True)


def test_viewers_see_stock_but_cannot_manage_it(app, client, shop, make_user):
    make_user(Role.VIEWER, username="sales")
    client.post("/logout")
    client.post("/login", data={"username": "sales", "password": PASSWORD})
    page = client.get("/products/A1024").get_data(as_text=True)
    assert "4" in figures(page) and "Manage stock" not in page
    assert client.get("/products/A1024/stock").status_code == 403
    refused = client.post("/products/A1024/stock", data=inbound(shop, **{"A1024-Black-S": 3}))
    assert refused.status_code == 403
    with app.app_context():
        assert on_hand(shop["A1024-Black-S"]) == 4


@pytest.mark.parametrize("mode", ["inbound", "stocktake"])
def test_the_dialog_renders_each_mode(client, shop, mode):
    page = client.get(f"/products/A1024/stock?mode={mode}", headers=HTMX).get_data(as_text=True)
    assert 'inputmode="numeric"' in page and "data-scan" in page and 'name="key"' in page
    assert ('name="c-' in page) == (mode == "stocktake")
    assert ('name="q-' in page) == (mode == "inbound")
    assert client.get("/products/NOPE/stock").status_code == 404


def test_inbound_posts_once_closes_and_tells_the_page(app, client, shop):
    form = inbound(shop, **{"A1024-Black-S": 3, "A1024-White-L": 9})
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    assert response.status_code == 204
    events = json.loads(response.headers["HX-Trigger"])
    assert events["stock-changed"] == {"style": "A1024"}
    assert events["show-message"] == "Received 12 pcs"
    again = client.post("/products/A1024/stock", data=form, headers=HTMX)  # a double tap
    assert again.status_code == 204
    with app.app_context():
        assert on_hand(shop["A1024-Black-S"]) == 7 and on_hand(shop["A1024-White-L"]) == 9
        assert row_count("documents") == 2  # the set-up receipt and this one
        note = db.session.scalar(sa.text("SELECT note FROM movements ORDER BY id DESC LIMIT 1"))
        assert note == "van 7"


def test_inbound_goes_where_the_dialog_says_and_the_dialog_starts_there_next(
    app, client, shop, make_user
):
    """The dialog offers the usual bins of each warehouse the clerk works in, or one bin
    of it; it starts at the clerk's own warehouse, then at where the last inbound went.
    A place the clerk may not use is refused beside the field, nothing written."""
    v = shop["A1024-Black-M"]
    with app.app_context():
        boss = make_user(Role.MANAGER, username="boss")
        main = warehouses.main_warehouse_id()
        sh = warehouses.create_warehouse(code="SH", name="Shop one", actor_id=boss)
        bj = warehouses.create_warehouse(code="BJ", name="Beijing", actor_id=boss)
        shelf = warehouses.create_location(warehouse_id=sh, code="A-01", actor_id=boss)
        elsewhere = warehouses.create_location(warehouse_id=bj, code="B-01", actor_id=boss)
        clerk = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'li'"))
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids={main, sh}, actor_id=boss)

    def chosen() -> tuple[str, list[str]]:
        page = client.get("/products/A1024/stock", headers=HTMX).get_data(as_text=True)
        select = re.search(r'<select[^>]*name="place".*?</select>', page, re.S).group(0)
        selected = re.search(r'<option selected value="([^"]+)"', select) or re.search(
            r'<option value="([^"]+)" selected', select
        )
        return selected.group(1), re.findall(r'<optgroup label="([^"]+)"', select)

    assert chosen() == (f"w-{main}", ["主仓库 (MAIN)", "Shop one (SH)"])
    before = snapshot(app)
    refused = client.post(
        "/products/A1024/stock",
        data={**inbound(shop, **{"A1024-Black-M": 2}), "place": str(elsewhere)},
        headers=HTMX,
    )
    assert refused.status_code == 422 and 'id="place-error"' in refused.get_data(as_text=True)
    assert snapshot(app) == before
    response = client.post(
        "/products/A1024/stock",
        data={**inbound(shop, **{"A1024-Black-M": 2}), "place": str(shelf)},
        headers=HTMX,
    )
    assert response.status_code == 204
    with app.app_context():
        assert held(v, shelf) == 2 and ledger.discrepancies() == []
    assert chosen()[0] == str(shelf)
    response = client.post(
        "/products/A1024/stock",
        data={**inbound(shop, **{"A1024-Black-M": 1}), "place": f"w-{sh}"},
        headers=HTMX,
    )
    assert response.status_code == 204
    with app.app_context():
        assert held(v, shelf) == 3  # the bin of the shop holding most of it
        warehouses.set_user_warehouses(user_id=clerk, warehouse_ids={bj}, actor_id=boss)
    assert chosen() == (f"w-{bj}", ["Beijing (BJ)"])


def test_inbound_without_javascript_redirects_with_a_message(app, client, shop):
    response = client.post("/products/A1024/stock", data=inbound(shop, **{"A1024-Black-M": 2}))
    assert response.status_code == 302 and response.location == "/products/A1024"
    assert "Received 2 pcs" in client.get("/products/A1024").get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "Enter a whole number"),
        ("1.5", "Enter a whole number"),
        ("abc", "Enter a whole number"),
        ("2000000", "Enter a whole number"),
        ("１２", "Enter a whole number"),  # full-width digits
    ],
)
def test_bad_quantities_are_shown_beside_the_cell_and_nothing_is_written(
    app, client, shop, typed, message
):
    form = inbound(shop, **{"A1024-Black-S": 1}) | {f"q-{shop['A1024-Black-M']}": typed}
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert f'id="e-{shop["A1024-Black-M"]}"' in page  # the error sits with its cell
    assert f'value="{typed}"' in page  # and what was typed is kept
    with app.app_context():
        assert row_count("movements") == 2 and on_hand(shop["A1024-Black-S"]) == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, "Nothing to save"),
        ({"note": "x" * 501}, "At most 500 characters."),
        ({"mode": "sell"}, "Invalid value"),
        ({"key": ""}, "Field must be between 1 and 64"),
    ],
)
def test_bad_forms_are_refused(app, client, shop, change, message):
    form = {"mode": "inbound", "key": "k", "note": ""} | change
    if change:  # a quantity, so that only the changed field is at fault
        form[f"q-{shop['A1024-Black-S']}"] = "2"
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert row_count("movements") == 2


def stocktake(skus, shown: dict, counted: dict) -> dict:
    form = {"mode": "stocktake", "key": "c-" + json.dumps(counted), "note": ""}
    for sku, n in shown.items():
        form[f"s-{skus[sku]}"] = str(n)
        form[f"c-{skus[sku]}"] = str(counted.get(sku, n))
    return form


def test_stocktake_posts_only_changed_cells(app, client, shop):
    form = stocktake(
        shop,
        shown={"A1024-Black-S": 4, "A1024-White-M": 6, "A1024-Black-L": 0},
        counted={"A1024-Black-S": 3, "A1024-Black-L": 2},
    )
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["show-message"] == (
        "Count saved: 2 sizes changed, difference +1 pcs"
    )
    with app.app_context():
        assert on_hand(shop["A1024-Black-S"]) == 3 and on_hand(shop["A1024-Black-L"]) == 2
        assert on_hand(shop["A1024-White-M"]) == 6
        kinds = db.session.scalars(sa.text("SELECT kind FROM movements ORDER BY id")).all()
        assert kinds == ["inbound", "inbound", "stocktake", "stocktake"]


def test_a_stale_stocktake_shows_the_new_figures_and_writes_nothing(app, client, shop):
    form = stocktake(
        shop, shown={"A1024-Black-S": 4, "A1024-White-M": 6}, counted={"A1024-Black-S": 1}
    )
    with app.app_context():  # someone receives while the count is being typed
        clerk = db.session.scalar(sa.text("SELECT id FROM users"))
        receiving.receive(lines=[(shop["A1024-Black-S"], 5)], operator_id=clerk)
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A1024-Black-S: you saw 4, it is now 9" in page
    assert "cell moved" in page  # the changed cell is highlighted
    assert f'name="s-{shop["A1024-Black-S"]}" value="9"' in page  # the new books
    assert f'name="c-{shop["A1024-Black-S"]}" value="1"' in page  # what was counted
    with app.app_context():
        assert on_hand(shop["A1024-Black-S"]) == 9 and row_count("movements") == 3
    # Confirming against the new figures saves the count.
    form[f"s-{shop['A1024-Black-S']}"] = "9"
    assert client.post("/products/A1024/stock", data=form, headers=HTMX).status_code == 204
    with app.app_context():
        assert on_hand(shop["A1024-Black-S"]) == 1


def test_a_count_by_scanner_posts_the_counted_figures(app, client, shop):
    """Counting by scanner: scanned sizes from 0, every unscanned size set to 0 (the
    dialog's rule fills 0 into them): the books become exactly what was counted."""
    counted = {"A1024-Black-S": 2, "A1024-White-L": 3} | {
        sku: 0 for sku in shop if sku not in ("A1024-Black-S", "A1024-White-L")
    }
    books = {sku: 0 for sku in shop} | {"A1024-Black-S": 4, "A1024-White-M": 6}
    form = stocktake(shop, shown=books, counted=counted) | {"key": "counted-by-scanner"}
    response = client.post("/products/A1024/stock", data=form, headers=HTMX)
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["show-message"] == (
        "Count saved: 3 sizes changed, difference -5 pcs"
    )
    with app.app_context():
        assert {sku: on_hand(v) for sku, v in shop.items()} == counted
        assert ledger.discrepancies() == []


def test_the_stocktake_dialog_offers_counting_by_scanner(client, shop):
    page = client.get("/products/A1024/stock?mode=stocktake", headers=HTMX).get_data(as_text=True)
    assert "data-zero-unscanned" in page and "Set every unscanned size of this style to 0" in page
    assert "Scan here: each scan counts one" in page
    inbound_page = client.get("/products/A1024/stock", headers=HTMX).get_data(as_text=True)
    assert "data-zero-unscanned" not in inbound_page


def test_the_product_page_has_a_scan_field_over_its_cells(app, client, shop):
    page = client.get("/products/A1024").get_data(as_text=True)
    assert re.search(r'<input id="lookup"[^>]* data-scan ', page)
    assert 'data-scan-lookup="/"' in page
    with app.app_context():
        barcode = db.session.scalar(
            sa.text("SELECT barcode FROM variants WHERE sku='A1024-White-M'")
        )
    label = "White M: 6 on hand, 0 reserved, 6 available"
    assert re.search(rf'data-barcode="{barcode}"\s+data-label="{label}"', page)


def test_why_this_number_lists_the_movements_behind_it(app, client, shop):
    with app.app_context():
        clerk = db.session.scalar(sa.text("SELECT id FROM users"))
        receiving.receive(lines=[(shop["A1024-Black-S"], 2)], operator_id=clerk, note="late box")
    page = client.get(f"/variants/{shop['A1024-Black-S']}/why", headers=HTMX).get_data(as_text=True)
    assert "Why is this 6?" in page
    assert [row[2:6] for row in why_rows(page)] == [
        ["MAIN · Default location", "+2", "6", "6"],
        ["MAIN · Default location", "+4", "4", "4"],
    ]
    assert "late box" in page and "li" in page
    assert len(re.findall(r'<span class="muted">RC\d{7}</span>', page)) == 2, "document numbers"
    assert client.get("/variants/99999/why").status_code == 404


def why_rows(page: str) -> list[list[str]]:
    """The why dialog's movement rows: time, kind, place, quantity, balance after,
    total after, operator (tags dropped); a row the figure does not count ends in "not
    counted"."""
    table = page.split('class="products why-table"', 1)[1].split("</table>", 1)[0]
    rows = []
    for attributes, cells in re.findall(r"<tr([^>]*)>(.*?)</tr>", table, re.S)[1:]:
        texts = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        rows.append(texts + (["not counted"] if "not-counted" in attributes else []))
    return rows


def test_why_this_number_names_every_rows_place_and_totals_what_the_figure_counts(
    app, client, shop, make_user
):
    """The issue's case: a title of 106 over rows reading 2, 5, 101. Each row names its
    warehouse and bin; the total after it counts the sellable places only (quarantine
    marked, its rows not counted); the places are listed; a clerk of one warehouse
    sees that warehouse's rows and total only."""
    v = shop["A1024-Black-S"]
    with app.app_context():
        boss = make_user(Role.MANAGER, username="boss")
        shop_id = warehouses.create_warehouse(code="SH", name="Shop one", actor_id=boss)
        into_a_bin_and_quarantine(v, boss)
        shop_default = db.session.scalar(
            sa.select(Location.id).where(Location.warehouse_id == shop_id, Location.is_default)
        )
        receiving.create(
            lines=[receiving.ArrivedLine(v, 5, location_id=shop_default)],
            operator_id=boss,
            warehouse_id=shop_id,
            submit=True,
        )
        every = queries.stock_levels([v])[v].on_hand
    assert every == 4 + 5
    manager = signed_in(app, "boss")
    page = manager.get(f"/variants/{v}/why", headers=HTMX).get_data(as_text=True)
    assert f"Why is this {every}?" in page
    rows = why_rows(page)
    places = [row[2] for row in rows]
    assert places == [
        "SH · Default location",
        "MAIN · Q-1 Quarantine",
        "MAIN · A-01",
        "MAIN · Default location",
        "MAIN · Default location",
    ]
    assert [row[3:6] for row in rows] == [
        ["+5", "5", "9"],
        ["+2", "2", "4"],
        ["+1", "1", "4"],
        ["-1", "3", "3"],
        ["+4", "4", "4"],
    ]
    assert rows[1][-1] == "not counted" and all(row[-1] != "not counted" for row in rows[2:])
    held = page.split('class="products why-places"', 1)[1].split("</table>", 1)[0]
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", held, re.S)
    ]
    assert [tuple(cells[i + 1 : i + 3]) for i in range(0, len(cells), 3)] == [
        ("A-01", "1"),
        ("Default location", "3"),
        ("Q-1 Quarantine", "2"),
        ("Default location", "5"),
    ]
    assert cells[9] == "SH Shop one"
    assert "On hand in every warehouse" in page
    # li works in MAIN only: neither the shop's row nor its pieces.
    page = client.get(f"/variants/{v}/why", headers=HTMX).get_data(as_text=True)
    assert "Why is this 4?" in page and "On hand in the warehouses you work in" in page
    assert [row[2] for row in why_rows(page)] == places[1:]
    assert "SH" not in page and "Shop one" not in page


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_dialog_post_needs_its_token(self, app, client, shop):
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": "li", "password": PASSWORD} | token_of(login))
        refused = client.post("/products/A1024/stock", data=inbound(shop, **{"A1024-Black-S": 3}))
        assert refused.status_code == 400
        with app.app_context():
            assert on_hand(shop["A1024-Black-S"]) == 4
        dialog = client.get("/products/A1024/stock").get_data(as_text=True)
        form = inbound(shop, **{"A1024-Black-S": 3}) | token_of(dialog)
        assert client.post("/products/A1024/stock", data=form).status_code == 302
        with app.app_context():
            assert on_hand(shop["A1024-Black-S"]) == 7


def token_of(page: str) -> dict:
    return {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]}


def test_the_confirmation_header_is_plain_ascii_in_chinese_too(app, client, shop):
    """HTTP headers are Latin-1: a Chinese message must travel escaped."""
    form = inbound(shop, **{"A1024-Black-S": 2})
    response = client.post(
        "/products/A1024/stock", data=form, headers={**HTMX, "Accept-Language": "zh-CN"}
    )
    header = response.headers["HX-Trigger"]
    assert header.isascii()
    assert json.loads(header)["show-message"] == "入库 2 件"
