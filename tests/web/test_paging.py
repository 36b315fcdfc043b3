"""Every list pages by keyset, forward and back: the same pages both ways, no link past
either end, "all states" without a status filter, and a bad cursor read as none."""

import html
import re
from types import SimpleNamespace

import pytest

from stockapp.models import Role
from stockapp.services import (
    catalogue,
    orders,
    purchasing,
    receiving,
    suppliers,
    transfers,
    warehouses,
)
from tests.support.pages import HTMX, as_user, listed_styles, sign_in, text


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<nav class="pages">.*?rel="{rel}" href="([^"]+)"', page, re.S)
    return html.unescape(found[1]) if found else None


def walk(client, url: str) -> list[list[str]]:
    """The rows of every page from ``url`` on, following Next to the end and then
    Previous back to the top; asserts both ways show the same pages."""
    forward, page = [], None
    while url:
        page = text(client.get(url, headers=HTMX))
        forward.append(listed_styles(page))
        url = link(page, "next")
    assert link(page, "next") is None
    back = [forward[-1]]
    url = link(page, "prev")
    while url:
        page = text(client.get(url, headers=HTMX))
        back.append(listed_styles(page))
        url = link(page, "prev")
    assert back == forward[::-1]
    assert link(page, "prev") is None  # the first page: no Previous
    return forward


@pytest.fixture
def people(app, client, make_user, make_style):
    skus = make_style("A1024", sizes=("S",), colours=("Black",))
    users = SimpleNamespace(
        boss=make_user(Role.MANAGER, username="boss"), li=make_user(Role.CLERK, username="li")
    )
    with app.test_request_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 100)], operator_id=users.li)
    sign_in(client, "boss")
    app.config["PAGE_SIZE"] = 3
    return SimpleNamespace(variant=skus["A1024-Black-S"], **vars(users))


def test_the_product_list_pages_by_code_both_ways(app, client, people, make_style):
    for n in range(7, 0, -1):
        make_style(f"P{n}", category="Tops")
    pages = walk(client, "/?category=Tops")
    assert pages == [["P1", "P2", "P3"], ["P4", "P5", "P6"], ["P7"]]
    second = text(client.get("/?category=Tops&after=P3&page=2"))
    assert "after=P6" in link(second, "next") and "before=P4" not in (link(second, "prev") or "")
    assert "category=Tops" in link(second, "next")
    # Back from page 3: page 2 read above P7, then the first page (no cursor).
    assert "before=P7" in link(text(client.get("/?category=Tops&after=P6&page=3")), "prev")


def test_the_order_list_pages_both_ways_and_all_means_every_state(app, client, people):
    with app.test_request_context():
        ids = [
            orders.create(
                number=f"PH-{n}",
                customer="Wang",
                lines=[(people.variant, 1)],
                operator_id=people.li,
            )["id"]
            for n in range(1, 8)
        ]
        orders.cancel(ids[1], operator_id=people.boss)
        orders.record_picks(ids[2], lines=[(people.variant, 1)], operator_id=people.li)
        orders.record_picks(ids[3], lines=[(people.variant, 1)], operator_id=people.li)
        orders.complete(ids[3], operator_id=people.li)
    pages = walk(client, "/orders?state=all")
    assert pages == [["PH-7", "PH-6", "PH-5"], ["PH-4", "PH-3", "PH-2"], ["PH-1"]]
    everything = text(client.get("/orders?state=all"))
    assert "page=2" in link(everything, "next") and "state=all" in link(everything, "next")
    assert walk(client, "/orders?state=cancelled") == [["PH-2"]]
    assert walk(client, "/orders") == [["PH-7", "PH-6", "PH-5"], ["PH-3", "PH-1"]]


def test_the_po_and_receipt_lists_page_both_ways(app, client, people):
    with app.test_request_context():
        supplier = suppliers.save(name="Hangzhou Mill")
        po_ids = [
            purchasing.create(
                number=f"PO-{n}",
                supplier_id=supplier,
                lines=[purchasing.OrderedLine(people.variant, 100, None)],
                operator_id=people.boss,
                place=n % 2 == 0,
            )["id"]
            for n in range(1, 8)
        ]
        receipts = [
            receiving.create(
                po_id=po_ids[1],
                lines=[receiving.ArrivedLine(variant_id=people.variant, received=1)],
                operator_id=people.li,
                submit=True,
            )["document"]["number"]
            for _ in range(4)
        ]
    pos = walk(client, "/purchase-orders?state=all")
    assert pos == [["PO-7", "PO-6", "PO-5"], ["PO-4", "PO-3", "PO-2"], ["PO-1"]]
    assert walk(client, "/purchase-orders?state=draft") == [["PO-7", "PO-5", "PO-3"], ["PO-1"]]
    newest_first = receipts[::-1]
    # All of them: with the quick inbound of the fixture, the oldest (RC0000001).
    assert walk(client, "/receipts?state=all") == [newest_first[:3], [receipts[0], "RC0000001"]]
    assert walk(client, f"/purchase-orders/{po_ids[1]}") == [newest_first[:3], newest_first[3:]]


def test_the_transfer_list_pages_both_ways_by_state_in_the_users_warehouses(
    app, client, people, make_user
):
    """Seven transfers MAIN → SH (two shipped, one cancelled) and one SH → BJ: the
    manager pages all eight, each tab its own; a clerk of MAIN never sees SH → BJ."""
    with app.test_request_context():
        sh = warehouses.create_warehouse(code="SH", name="Shanghai", actor_id=people.boss)
        bj = warehouses.create_warehouse(code="BJ", name="Beijing", actor_id=people.boss)
        main = warehouses.main_warehouse_id()

        def transfer(source: int, to: int) -> dict:
            return transfers.create(
                from_warehouse_id=source,
                to_warehouse_id=to,
                lines=[(people.variant, 1)],
                operator_id=people.boss,
            )

        made = [transfer(main, sh) for _ in range(7)]
        for shipped in made[2], made[5]:
            transfers.ship(shipped["id"], operator_id=people.li)
        transfers.cancel(made[3]["id"], operator_id=people.boss)
        apart = transfer(sh, bj)
    numbers = [t["number"] for t in made][::-1]
    assert walk(client, "/transfers") == [
        [apart["number"], *numbers[:2]],
        numbers[2:5],
        numbers[5:],
    ]
    assert walk(client, "/transfers?state=all") == walk(client, "/transfers")
    assert walk(client, "/transfers?state=shipped") == [[numbers[1], numbers[4]]]
    assert walk(client, "/transfers?state=cancelled") == [[numbers[3]]]
    assert walk(client, "/transfers?state=draft") == [
        [apart["number"], numbers[0], numbers[2]],
        [numbers[5], numbers[6]],
    ]
    first = text(client.get("/transfers?state=draft"))
    assert "state=draft" in link(first, "next") and 'aria-current="page">Draft<' in first
    assert walk(client, "/transfers?state=closed") == [[]]
    # A tab nobody knows is all of them; a bad cursor is read as none.
    assert walk(client, "/transfers?state=nope") == walk(client, "/transfers")
    assert listed_styles(text(client.get("/transfers?before=x1"))) == [
        apart["number"],
        *numbers[:2],
    ]
    as_user(client, "li")  # a clerk of MAIN only
    assert walk(client, "/transfers") == [numbers[:3], numbers[3:6], numbers[6:]]
    assert walk(client, "/transfers?state=shipped") == [[numbers[1], numbers[4]]]


def test_the_stock_log_pages_back_to_the_newest(app, client, people):
    with app.test_request_context():
        for _ in range(6):
            receiving.receive(lines=[(people.variant, 1)], operator_id=people.li)
    first = text(client.get("/logs"))
    ids = re.findall(r'id="movement-(\d+)"', first)
    older = text(client.get(link(first, "next")))
    assert ">Newest<" in older and ">Newer<" in older
    assert re.findall(r'id="movement-(\d+)"', text(client.get(link(older, "prev")))) == ids
    assert link(first, "prev") is None and ">Newer<" not in first


def test_a_new_category_shows_in_the_filter_at_once(app, client, people, make_style):
    def offered() -> list[str]:
        categories = re.search(r'<select id="category".*?</select>', text(client.get("/")), re.S)
        return re.findall(r'<option value="([^"]+)"', categories.group())

    make_style("B1", category="Tops")
    make_style("B2", category="Tops")
    assert offered() == ["Tops"]
    with app.test_request_context():
        catalogue.create_style(code="C1", name="Jeans", sizes=["30"], category="Denim")
    assert offered() == ["Denim", "Tops"]
