"""Who may read what (``stockapp.access.Reads``, README "Roles"), route by route: each
datum is refused or served alike by the pages and by the API, for each role."""

import pytest

from stockapp.access import Reads
from stockapp.models import Role
from stockapp.services import warehouses
from tests.support.api import ROLES, STYLE, Api, S, assert_problem
from tests.support.pages import as_user, text

# Every GET page that shows a datum, by the datum; {ids} come from the ``shop`` fixture.
PAGES = {
    "STOCK": ["/", f"/products/{STYLE}"],
    "ORDERS": ["/orders", "/orders/{order}", "/orders/{order}/picking-list"],
    "MOVEMENTS": [
        "/variants/{variant}/why",
        "/moves/{move}",
        "/write-offs",
        "/write-offs/{write_off}",
    ],
    "STOCK_LOG": ["/logs", "/logs/export.csv", "/logs/export.xlsx"],
    "PURCHASING": [
        "/purchase-orders",
        "/purchase-orders/{po}",
        "/purchase-orders/{po}/discrepancies",
        "/backorders",
        "/receipts",
        "/receipts/{receipt}",
        "/receipts/{receipt}/print",
        "/stock-sheet.xlsx",
        "/stock-sheet.csv",
        "/supplier-returns",
        "/supplier-returns/{supplier_return}",
        "/supplier-returns/{supplier_return}/slip",
    ],
    "WAREHOUSES": [
        "/warehouses",
        "/warehouses/MAIN",
        "/transfers",
        "/transfers/{transfer}",
        "/transfers/{transfer}/slip",
    ],
    "ACCOUNTS": ["/users", "/users/{user}", "/audit", "/audit/export.xlsx"],
}
# The same data over the API.
API_READS = {
    "STOCK": [f"/products/{STYLE}", "/products", f"/stock?sku={S}"],
    "ORDERS": ["/orders/{order}"],
    "MOVEMENTS": [f"/movements?sku={S}", f"/movements?sku={STYLE}", "/write-offs/{write_off}"],
    "STOCK_LOG": ["/movements", "/movements?kind=inbound"],
    "PURCHASING": [
        "/suppliers",
        "/purchase-orders",
        "/purchase-orders/{po}",
        "/receipts/{receipt}",
        "/supplier-returns/{supplier_return}",
    ],
    "WAREHOUSES": ["/warehouses", "/warehouses/MAIN/locations", "/transfers/{transfer}"],
    "ACCOUNTS": ["/users", "/audit", "/audit?subject=supplier"],
}
# GET pages that are not a datum but the form of an action, the signed-in user's own
# records, a manager's settings, or open to anyone; each is tested where its action is.
NOT_A_DATUM = {
    "auth.login",
    "auth.setup",
    "static",
    "live.version",
    # The managers' to-do: counts of what the receipt, order and product lists show
    # (tests/web/test_todo.py checks that only managers get it).
    "live.todo",
    "movements.mine",
    "movements.reverse",
    "orders.new",
    "transfers.new",
    "orders.cancel",
    "stock.manage",
    "returns.new",
    "moves.new",
    "moves.new_write_off",
    "moves.reject",
    "supplier_returns.new",
    "supplier_returns.reject",
    "purchasing.new",
    "purchasing.find",
    "purchasing.receive",
    "purchasing.reject",
    "settings.supplier_list",
    "settings.edit_supplier",
    "settings.location_list",
    "settings.receiving_settings",
    "settings.size_lists",
    "catalogue.new_product",
    "catalogue.edit_product",
    "auth.token_list",
    "labels.product",
    "labels.product_print",
    "labels.receipt",
    "labels.locations",
    "labels.warehouse_bins",
    "warehouses.edit_location",
    "labels.sheet_css",
    "auth.password",
    "imports.index",
    "imports.show",
    "imports.template",
}


LINE = {"sku": S, "qty": 2}


@pytest.fixture
def shop(api: Api) -> dict:
    """A little of everything: stock, an order, a supplier with contacts, a PO with unit
    costs and a submitted receipt; the ids the paths above need."""
    api.receive(**{S: 6})
    order = api.post("/orders", {"number": "SO-1", "customer": "Shop A", "lines": [LINE]})
    supplier = api.post(
        "/suppliers", {"name": "Mill A", "contact": "Ms Wang", "phone": "138"}, Role.MANAGER
    )
    po_body = {"number": "PO-1", "supplier": supplier.get_json()["id"]}
    po = api.post(
        "/purchase-orders", po_body | {"lines": [LINE | {"unit_cost": "31.50"}]}, Role.MANAGER
    )
    receipt_body = {"po": po.get_json()["id"], "submit": True}
    receipt = api.post("/receipts", receipt_body | {"lines": [{"sku": S, "received": 2}]})
    with api.app.app_context():
        warehouses.create_location(warehouse_id=warehouses.main_warehouse_id(), code="A-01")
    move = api.post("/moves", {"from_location": "DEFAULT", "to_location": "A-01", "lines": [LINE]})
    write_off = api.post(
        "/write-offs", {"location": "A-01", "reason": "damaged", "lines": [{"sku": S, "qty": 1}]}
    )
    api.post("/warehouses", {"code": "SH", "name": "Shanghai"}, Role.MANAGER)
    transfer_body = {"from_warehouse": "MAIN", "to_warehouse": "SH", "lines": [LINE]}
    transfer = api.post("/transfers", transfer_body, Role.MANAGER)
    supplier_return = api.post(
        "/supplier-returns",
        {
            "supplier": supplier.get_json()["id"],
            "lines": [{"sku": S, "qty": 1, "location": "A-01"}],
        },
    )
    for response in (order, supplier, po, receipt, move, write_off, transfer, supplier_return):
        assert response.status_code == 201, response.get_data(as_text=True)
    return {
        "transfer": transfer.get_json()["id"],
        "supplier_return": supplier_return.get_json()["supplier_return"]["id"],
        "order": order.get_json()["id"],
        "po": po.get_json()["id"],
        "receipt": receipt.get_json()["receipt"]["id"],
        "move": move.get_json()["move"]["id"],
        "write_off": write_off.get_json()["write_off"]["id"],
        "variant": api.skus[S],
        "user": api.user(Role.VIEWER)[0],
    }


def test_every_page_that_shows_data_is_in_the_table(app):
    served = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.endpoint.startswith("api.")
    }
    urls = app.url_map.bind("localhost")
    ids = dict.fromkeys(
        (
            "order",
            "po",
            "receipt",
            "variant",
            "user",
            "move",
            "write_off",
            "transfer",
            "supplier_return",
        ),
        1,
    )
    listed = {urls.match(path.format(**ids))[0] for paths in PAGES.values() for path in paths}
    assert served - NOT_A_DATUM == listed
    assert (
        set(PAGES) == set(API_READS) == {name for name in vars(Reads) if not name.startswith("_")}
    )


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_pages_and_api_serve_or_refuse_each_datum_alike(
    app, client, make_user, api, shop, role, subtests
):
    as_user(client, api.user(role)[1])
    for datum, pages in PAGES.items():
        allowed = role.rank >= getattr(Reads, datum).rank
        for path in pages:
            with subtests.test(msg=f"{role} page {path}"):
                response = client.get(path.format(**shop))
                assert response.status_code == (200 if allowed else 403), path
        for path in API_READS[datum]:
            with subtests.test(msg=f"{role} API {path}"):
                response = api.get(path.format(**shop), role=role)
                if allowed:
                    assert response.status_code == 200, response.get_data(as_text=True)
                else:
                    assert_problem(response, 403)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_costs_and_the_why_link_are_shown_only_to_those_who_may_read_them(client, api, shop, role):
    may_read_costs = role.rank >= Reads.PURCHASING.rank
    product = api.get(f"/products/{STYLE}", role=role).get_json()
    assert ("cost_price" in product) == may_read_costs
    as_user(client, api.user(role)[1])
    page = text(client.get(f"/products/{STYLE}"))
    assert ("/why" in page) == (role.rank >= Reads.MOVEMENTS.rank)
    assert "Tap a number to see why" in page or role.rank < Reads.MOVEMENTS.rank
    if may_read_costs:
        assert "31.50" in text(client.get(f"/purchase-orders/{shop['po']}"))
        assert "Ms Wang" in text(client.get(f"/purchase-orders/{shop['po']}/discrepancies"))


def test_a_clerk_reads_one_products_movements_but_not_the_whole_log(api, shop):
    one = api.get("/movements", query_string={"sku": S})
    assert one.status_code == 200
    assert {m["sku"] for m in one.get_json()["items"]} == {S}
    refused = assert_problem(api.get("/movements", query_string={"kind": "inbound"}), 403)
    assert "sku=" in refused["detail"]
    whole = api.get("/movements", role=Role.MANAGER).get_json()["items"]
    assert len(whole) >= len(one.get_json()["items"])
