"""Allocation orders on the floor: list, new order, picks, 配货完成, cancel, the picking
list, returns, and the live version the open screens poll."""

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from stockapp import queries
from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts, orders, receiving, warehouses
from tests.support.apps import english_client, make_app
from tests.support.db import counts, on_hand, row_count
from tests.support.pages import (
    HTMX,
    as_user,
    error_beside,
    events,
    inbound,
    scan_error,
    sign_in,
    text,
    today_where_the_app_is,
    value_of,
)

JSON = {"Accept": "application/json"}


@pytest.fixture
def shop(app, client, make_user, make_style):
    """Style A1024 (Black, White × S, M, L) with stock Black-S 10, Black-M 5, White-L 3;
    a manager (boss), two clerks (li, wang) and a viewer (sales); li is signed in."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black", "White"))
    users = {
        "boss": make_user(Role.MANAGER, username="boss"),
        "li": make_user(Role.CLERK, username="li"),
        "wang": make_user(Role.CLERK, username="wang"),
        "sales": make_user(Role.VIEWER, username="sales"),
    }
    with app.test_request_context():
        receiving.receive(
            lines=[
                (skus["A1024-Black-S"], 10),
                (skus["A1024-Black-M"], 5),
                (skus["A1024-White-L"], 3),
            ],
            operator_id=users["li"],
        )
    sign_in(client, "li")
    return SimpleNamespace(v=skus, **users)


def second_client(app, username):
    other = english_client(app)
    sign_in(other, username)
    return other


# ---------------------------------------------------------------- set-up through the services


def place(app, user_id, lines: dict, number="PH-1", customer="Wang Fang") -> int:
    with app.test_request_context():
        created = orders.create(
            number=number, customer=customer, lines=list(lines.items()), operator_id=user_id
        )
    return created["id"]


def pick(app, user_id, order_id, lines: dict) -> None:
    with app.test_request_context():
        orders.record_picks(order_id, lines=list(lines.items()), operator_id=user_id)


def finish(app, user_id, order_id) -> None:
    with app.test_request_context():
        orders.complete(order_id, operator_id=user_id)


# ---------------------------------------------------------------- reading the database


def level(app, variant_id):
    with app.app_context():
        return queries.stock_levels([variant_id])[variant_id]


def status_of(app, order_id) -> str:
    with app.app_context():
        return db.session.scalar(sa.text(f"SELECT status FROM orders WHERE id = {order_id}"))


def lines_of(app, order_id) -> dict:
    """{variant id: (ordered, picked, shipped, returned)}"""
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT variant_id, ordered, picked, shipped, returned FROM order_lines "
                "WHERE order_id = :o"
            ),
            {"o": order_id},
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def stock_of(app, *variant_ids) -> tuple:
    with app.app_context():
        return tuple(on_hand(v) for v in variant_ids)


# ---------------------------------------------------------------- filling forms


def new_order_form(shop, number="PH-100", customer="Wang Fang", key="k1", **qty) -> dict:
    return {"number": number, "customer": customer, "note": "", "key": key, "style": "A1024"} | {
        f"q-{shop.v[sku]}": str(n) for sku, n in qty.items()
    }


def picks_form(key, cells: dict) -> dict:
    """``cells`` maps a variant id to (saved, picked): what the page showed and what is typed."""
    form = {"key": key}
    for variant_id, (saved, picked) in cells.items():
        form[f"s-{variant_id}"] = str(saved)
        form[f"p-{variant_id}"] = str(picked)
    return form


# ---------------------------------------------------------------- sign-in and roles


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orders"),
        ("GET", "/orders/new"),
        ("GET", "/orders/{id}"),
        ("GET", "/orders/{id}/picking-list"),
        ("GET", "/orders/{id}/cancel"),
        ("GET", "/returns/new"),
        ("POST", "/orders/{id}/picks"),
        ("POST", "/orders/{id}/complete"),
    ],
)
def test_every_page_needs_sign_in(app, client, shop, method, path):
    order_id = place(app, shop.li, {shop.v["A1024-Black-S"]: 2})
    client.post("/logout")
    response = client.open(path.format(id=order_id), method=method, data={"key": "k"})
    assert response.status_code == 302 and "/login?next=" in response.location
    assert lines_of(app, order_id)[shop.v["A1024-Black-S"]] == (2, 0, 0, 0)


def test_the_live_check_of_a_signed_out_screen_is_a_bare_401(app, client, shop):
    """No redirect to the login page and no message kept for later: a screen left
    open after its session ended just stops seeing changes."""
    client.post("/logout")
    response = client.get("/live")
    assert response.status_code == 401 and response.data == b""
    assert "ETag" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_a_viewer_reads_orders_but_may_change_nothing(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 2})
    as_user(client, "sales")
    listing = text(client.get("/orders"))
    assert "PH-1" in listing and "Wang Fang" in listing
    assert "New order" not in listing and "Book a return" not in listing
    page = client.get(f"/orders/{order_id}")
    assert page.status_code == 200 and "PH-1" in text(page)
    assert "data-pick" not in text(page) and 'id="complete"' not in text(page)
    assert "Cancel order" not in text(page)
    assert client.get(f"/orders/{order_id}/picking-list").status_code == 200
    assert client.get("/orders/9999").status_code == 404
    refused = [
        client.get("/orders/new"),
        client.post("/orders/new", data=new_order_form(shop, **{"A1024-Black-S": 1})),
        client.post(f"/orders/{order_id}/picks", data=picks_form("p1", {s: (0, 1)}), headers=JSON),
        client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX),
        client.get(f"/orders/{order_id}/cancel"),
        client.post(f"/orders/{order_id}/cancel", data={"key": "x1", "reason": "no"}),
        client.get("/returns/new"),
        client.post("/returns/new", data={"key": "r1", "style": "A1024", f"r-{s}": "1"}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert counts(app, "orders", "movements", "documents") == (1, 3, 1)
    assert status_of(app, order_id) == "open"
    assert lines_of(app, order_id)[s] == (2, 0, 0, 0)


def test_a_clerk_picks_but_cannot_complete(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 2})
    page = text(client.get(f"/orders/{order_id}"))
    assert "data-pick" in page and f'name="p-{s}"' in page
    assert 'id="complete"' not in page and "Cancel order" in page
    refused = client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX)
    assert refused.status_code == 403
    assert status_of(app, order_id) == "open"
    assert counts(app, "movements", "documents") == (3, 1)


def test_only_a_manager_sees_the_complete_button_and_no_one_picks_a_completed_order(
    app, client, shop
):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 2})
    as_user(client, "boss")
    page = text(client.get(f"/orders/{order_id}"))
    assert 'id="complete"' in page and "data-pick" in page
    pick(app, shop.li, order_id, {s: 1})
    finish(app, shop.boss, order_id)
    for user in ("boss", "li"):
        as_user(client, user)
        page = text(client.get(f"/orders/{order_id}"))
        assert "data-pick" not in page and 'id="complete"' not in page
        assert 'name="p-' not in page


def test_a_clerk_cannot_cancel_a_completed_order(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 2})
    pick(app, shop.li, order_id, {s: 2})
    finish(app, shop.boss, order_id)
    before = counts(app, "movements", "documents")
    response = client.post(
        f"/orders/{order_id}/cancel", data={"key": "x1", "reason": "customer changed mind"}
    )
    assert response.status_code == 422
    assert "Only a manager can cancel a completed order." in text(response)
    assert status_of(app, order_id) == "completed"
    assert stock_of(app, s) == (8,) and counts(app, "movements", "documents") == before


# ---------------------------------------------------------------- a new order


def test_the_new_order_form_suggests_a_number_and_a_key(app, client, shop):
    page = text(client.get("/orders/new"))
    number = value_of(page, "number")
    assert re.fullmatch(r"PH\d{8}-001", number) and number[2:10] in today_where_the_app_is(app)
    assert re.fullmatch(r"[0-9a-f]{32}", value_of(page, "key"))
    assert value_of(page, "key") != value_of(text(client.get("/orders/new")), "key")
    place(app, shop.li, {shop.v["A1024-Black-S"]: 1}, number=number)
    assert value_of(text(client.get("/orders/new")), "number") == number[:-3] + "002"


def test_the_suggested_number_is_free_after_a_gap(app, client, shop):
    number = value_of(text(client.get("/orders/new")), "number")
    day = number[:-3]
    place(app, shop.li, {shop.v["A1024-Black-S"]: 1}, number=day + "001")
    place(app, shop.li, {shop.v["A1024-Black-S"]: 1}, number=day + "003")
    suggested = value_of(text(client.get("/orders/new")), "number")
    assert suggested not in (day + "001", day + "003")


def test_add_by_style_code_brings_in_the_grid_and_keeps_what_was_typed(client, shop):
    args = {"key": "k1", "number": "PH-9", "customer": "Zhou", "add": "A1024"}
    page = text(client.get("/orders/new", query_string=args))
    assert value_of(page, "style") == "A1024"
    assert value_of(page, "customer") == "Zhou" and value_of(page, "number") == "PH-9"
    for variant_id in shop.v.values():
        assert value_of(page, f"q-{variant_id}") == ""
    assert "Available</span> <strong>10</strong>" in page
    # Adding it again does not add a second grid.
    args |= {"style": "A1024", f"q-{shop.v['A1024-White-M']}": "7"}
    page = text(client.get("/orders/new", query_string=args, headers=HTMX))
    assert page.count('name="style"') == 1
    assert value_of(page, f"q-{shop.v['A1024-White-M']}") == "7"


@pytest.mark.parametrize("by", ["barcode", "sku"])
def test_add_by_a_scan_or_sku_counts_one_piece_each_time(app, client, shop, by):
    variant_id = shop.v["A1024-White-M"]
    with app.app_context():
        code = db.session.scalar(sa.text(f"SELECT {by} FROM variants WHERE id = {variant_id}"))
    args = {"key": "k1", "number": "PH-9", "customer": "Zhou", "add": code}
    page = text(client.get("/orders/new", query_string=args, headers=HTMX))
    assert value_of(page, "style") == "A1024"
    assert value_of(page, f"q-{variant_id}") == "1"
    assert value_of(page, f"q-{shop.v['A1024-White-S']}") == ""
    args |= {"style": "A1024", f"q-{variant_id}": "1"}
    page = text(client.get("/orders/new", query_string=args, headers=HTMX))
    assert value_of(page, f"q-{variant_id}") == "2"
    assert page.count('name="style"') == 1
    with app.app_context():
        assert row_count("orders") == 0


def test_an_unknown_add_is_named_beside_the_field(app, client, shop):
    args = {"key": "k1", "number": "PH-9", "customer": "Zhou", "add": "NOPE-1"}
    response = client.get("/orders/new", query_string=args)
    assert response.status_code == 200
    assert scan_error(text(response), "add") == "No style, SKU or barcode NOPE-1."
    assert value_of(text(response), "style") is None


@pytest.mark.parametrize(
    ("change", "element_id", "message"),
    [
        ({"customer": ""}, "customer-error", "Say who the order is for."),
        ({"customer": "   "}, "customer-error", "Say who the order is for."),
        ({"number": ""}, "number-error", "Give the order a number."),
        ({"number": "P" * 41}, "number-error", "At most 40 characters."),
        ({"q-S": "abc"}, "e-q-S", "Enter a whole number from 0 to 1000000."),
        ({"q-S": "-2"}, "e-q-S", "Enter a whole number from 0 to 1000000."),
        ({"q-S": "1000001"}, "e-q-S", "Enter a whole number from 0 to 1000000."),
    ],
)
def test_a_bad_new_order_is_refused_beside_the_field(
    app, client, shop, change, element_id, message
):
    s = shop.v["A1024-Black-S"]
    form = new_order_form(shop, **{"A1024-Black-S": 3, "A1024-White-L": 1})
    form |= {k.replace("q-S", f"q-{s}"): v for k, v in change.items()}
    element_id = element_id.replace("e-q-S", f"e-q-{s}")
    for headers in ({}, HTMX):
        response = client.post("/orders/new", data=form, headers=headers)
        assert response.status_code == 422
        assert error_beside(text(response), element_id) == message
        assert value_of(text(response), f"q-{shop.v['A1024-White-L']}") == "1"  # kept
    assert counts(app, "orders", "order_lines", "idempotency_records") == (0, 0, 0)


def test_an_order_without_quantities_is_refused(app, client, shop):
    response = client.post("/orders/new", data=new_order_form(shop), headers=HTMX)
    assert response.status_code == 422
    assert "Add at least one size with a quantity." in text(response)
    zeros = new_order_form(shop, **{"A1024-Black-S": 0})
    assert client.post("/orders/new", data=zeros).status_code == 422
    assert counts(app, "orders", "order_lines") == (0, 0)


def test_a_taken_number_is_refused_on_the_number_field(app, client, shop):
    place(app, shop.li, {shop.v["A1024-Black-M"]: 1}, number="PH-7")
    form = new_order_form(shop, number="PH-7", **{"A1024-Black-S": 3})
    response = client.post("/orders/new", data=form, headers=HTMX)
    assert response.status_code == 422
    assert error_beside(text(response), "number-error") == "Order PH-7 already exists."
    assert counts(app, "orders", "order_lines") == (1, 1)
    assert level(app, shop.v["A1024-Black-S"]).reserved == 0


def test_creating_an_order_reserves_what_it_orders(app, client, shop):
    s, m, wl = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"], shop.v["A1024-White-L"]
    form = new_order_form(shop, **{"A1024-Black-S": 3, "A1024-White-L": 5}) | {
        f"q-{m}": "",
        "note": "rush",
    }
    response = client.post("/orders/new", data=form, headers=HTMX)
    assert response.status_code == 204
    with app.app_context():
        order_id = db.session.scalar(sa.text("SELECT id FROM orders WHERE number = 'PH-100'"))
        customer, note, status = db.session.execute(
            sa.text(f"SELECT customer, note, status FROM orders WHERE id = {order_id}")
        ).one()
    assert response.headers["HX-Redirect"] == f"/orders/{order_id}"
    assert (customer, note, status) == ("Wang Fang", "rush", "open")
    assert lines_of(app, order_id) == {s: (3, 0, 0, 0), wl: (5, 0, 0, 0)}
    # Stock is untouched, but reserved: more than on hand may be ordered.
    assert stock_of(app, s, wl) == (10, 3)
    assert level(app, s).reserved == 3 and level(app, s).available == 7
    assert level(app, wl).available == -2 and level(app, m).reserved == 0
    shown = text(client.get(f"/orders/{order_id}"))  # where HX-Redirect leads
    assert "Order PH-100 created." in shown and "Short 2" in shown
    product = text(client.get("/products/A1024"))
    assert re.findall(r'class="sub">([^<]+)<', product)[:6] == [
        "3 / 7",  # Black S
        "0 / 5",  # Black M
        "0 / 0",  # Black L
        "3 / 12",  # Black row total
        "0 / 0",  # White S
        "0 / 0",  # White M
    ]


def test_a_plain_form_creates_the_order_with_a_redirect(app, client, shop):
    response = client.post("/orders/new", data=new_order_form(shop, **{"A1024-Black-M": 2}))
    with app.app_context():
        order_id = db.session.scalar(sa.text("SELECT id FROM orders"))
    assert response.status_code == 302 and response.location == f"/orders/{order_id}"
    assert lines_of(app, order_id) == {shop.v["A1024-Black-M"]: (2, 0, 0, 0)}


def test_the_same_key_twice_creates_one_order(app, client, shop):
    form = new_order_form(shop, **{"A1024-Black-S": 3})
    first = client.post("/orders/new", data=form, headers=HTMX)
    again = client.post("/orders/new", data=form, headers=HTMX)  # a double tap
    assert first.status_code == again.status_code == 204
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"]
    assert counts(app, "orders", "order_lines") == (1, 1)
    assert level(app, shop.v["A1024-Black-S"]).reserved == 3


def test_the_order_list_filters_by_state_and_search(app, client, shop):
    s = shop.v["A1024-Black-S"]
    place(app, shop.li, {s: 1}, number="PH-1", customer="Zhou")
    done = place(app, shop.li, {s: 1}, number="PH-2", customer="Qian")
    pick(app, shop.li, done, {s: 1})
    finish(app, shop.boss, done)
    active = text(client.get("/orders"))
    assert "PH-1" in active and "PH-2" not in active
    completed = text(client.get("/orders?state=completed"))
    assert "PH-2" in completed and "PH-1" not in completed
    found = text(client.get("/orders?state=all&q=zho", headers=HTMX))
    assert "PH-1" in found and "PH-2" not in found and "<html" not in found


# ---------------------------------------------------------------- picks


def post_picks(client, order_id, key, cells, headers=JSON):
    return client.post(f"/orders/{order_id}/picks", data=picks_form(key, cells), headers=headers)


def test_picks_add_the_difference_and_keep_other_tablets_picks(app, client, shop):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    order_id = place(app, shop.li, {s: 4, m: 2})
    first = post_picks(client, order_id, "a", {s: (0, 2), m: (0, 0)})
    assert first.status_code == 200
    assert first.get_json() == {"picked": {str(s): 2, str(m): 0}, "errors": {}}
    assert status_of(app, order_id) == "picking"
    # A stale page (it still shows 0) picks two more: added, not overwritten.
    second = post_picks(client, order_id, "b", {s: (0, 2)})
    assert second.get_json()["picked"] == {str(s): 4, str(m): 0}
    # Another clerk picks one M meanwhile; this tablet then picks one M from its old 0.
    wang = second_client(app, "wang")
    assert post_picks(wang, order_id, "c", {m: (0, 1)}).get_json()["picked"][str(m)] == 1
    third = post_picks(client, order_id, "d", {m: (0, 1)})
    assert third.get_json()["picked"] == {str(s): 4, str(m): 2}
    assert lines_of(app, order_id) == {s: (4, 4, 0, 0), m: (2, 2, 0, 0)}
    # Picks change no stock; the reservation stands.
    assert stock_of(app, s, m) == (10, 5) and level(app, s).reserved == 4


def test_a_repeated_picks_post_counts_once(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    first = post_picks(client, order_id, "same", {s: (0, 1)})
    again = post_picks(client, order_id, "same", {s: (0, 1)})  # a retry after lost Wi-Fi
    assert first.status_code == again.status_code == 200
    assert again.get_json()["picked"] == {str(s): 1}
    assert lines_of(app, order_id)[s][1] == 1


def test_picking_more_than_ordered_is_refused_and_writes_nothing(app, client, shop):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    order_id = place(app, shop.li, {s: 4, m: 2})
    response = post_picks(client, order_id, "a", {m: (0, 1), s: (0, 5)})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["errors"] == {str(s): "A1024-Black-S: 5 picked would be more than the 4 ordered."}
    assert answer["picked"] == {str(s): 0, str(m): 0}
    assert lines_of(app, order_id) == {s: (4, 0, 0, 0), m: (2, 0, 0, 0)}
    assert status_of(app, order_id) == "open"


@pytest.mark.parametrize("typed", ["x", "-1", "1.5", "1000001", "２"])
def test_a_non_number_pick_is_refused(app, client, shop, typed):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    order_id = place(app, shop.li, {s: 4, m: 2})
    form = picks_form("a", {m: (0, 1)}) | {f"s-{s}": "0", f"p-{s}": typed}
    response = client.post(f"/orders/{order_id}/picks", data=form, headers=JSON)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {str(s): "Enter a whole number from 0 to 1000000."}
    assert lines_of(app, order_id) == {s: (4, 0, 0, 0), m: (2, 0, 0, 0)}


def test_picks_without_a_key_are_refused(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    form = {f"s-{s}": "0", f"p-{s}": "1"}
    response = client.post(f"/orders/{order_id}/picks", data=form, headers=JSON)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"form": "The page is out of date: reload it."}
    assert lines_of(app, order_id)[s][1] == 0


def test_picks_on_a_completed_order_are_refused(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    pick(app, shop.li, order_id, {s: 2})
    finish(app, shop.boss, order_id)
    response = post_picks(client, order_id, "late", {s: (2, 3)})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["errors"] == {"form": "Order PH-1 (Completed): picks can no longer change."}
    assert answer["picked"] == {str(s): 2}
    assert lines_of(app, order_id)[s] == (4, 2, 2, 0) and stock_of(app, s) == (8,)


def test_picks_from_a_plain_form_redirect_with_a_message(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    response = post_picks(client, order_id, "a", {s: (0, 3)}, headers={})
    assert response.status_code == 302 and response.location == f"/orders/{order_id}"
    page = text(client.get(f"/orders/{order_id}"))
    assert "Picks saved." in page and value_of(page, f"p-{s}") == "3"
    assert value_of(page, f"s-{s}") == "3" and "picking" in page
    refused = post_picks(client, order_id, "b", {s: (3, 9)}, headers={})
    assert refused.status_code == 302
    page = text(client.get(f"/orders/{order_id}"))
    assert "A1024-Black-S: 9 picked would be more than the 4 ordered." in page
    assert lines_of(app, order_id)[s][1] == 3


# ---------------------------------------------------------------- 配货完成


def test_completing_takes_the_picked_quantities_out_of_stock(app, client, shop):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    order_id = place(app, shop.li, {s: 4, m: 2})
    pick(app, shop.li, order_id, {s: 3})
    as_user(client, "boss")
    response = client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX)
    assert response.status_code == 204
    assert events(response) == {
        "stock-changed": {"order": order_id},
        "show-message": "Order PH-1 complete: 3 pcs out of stock.",
    }
    assert stock_of(app, s, m) == (7, 5)  # the picked 3, not the ordered 4 and 2
    assert level(app, s).reserved == 0 and level(app, m).reserved == 0
    assert status_of(app, order_id) == "completed"
    assert lines_of(app, order_id) == {s: (4, 3, 3, 0), m: (2, 0, 0, 0)}
    page = text(client.get(f"/orders/{order_id}"))
    assert re.search(r"<dt>Shipped</dt><dd>3</dd>", page)
    assert re.search(r'<dt>Short-shipped</dt><dd class="short">3</dd>', page)
    with app.app_context():
        kinds = db.session.scalars(sa.text("SELECT kind FROM movements ORDER BY id")).all()
    assert kinds == ["inbound", "inbound", "inbound", "allocation"]


def test_a_second_completion_is_refused_and_stock_falls_once(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    pick(app, shop.li, order_id, {s: 4})
    as_user(client, "boss")
    assert client.post(f"/orders/{order_id}/complete", data={"key": "c1"}).status_code == 302
    # The same tap again replays; a second tablet's own tap is refused.
    again = client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX)
    assert again.status_code == 204
    refused = client.post(f"/orders/{order_id}/complete", data={"key": "c2"}, headers=HTMX)
    assert refused.status_code == 422
    assert "Order PH-1 is already complete." in text(refused)
    assert text(refused).lstrip().startswith('<div id="order-view"')
    assert stock_of(app, s) == (6,)
    assert counts(app, "movements", "documents") == (4, 2)


def test_completing_without_the_stock_names_the_sku_and_changes_nothing(app, client, shop):
    s, wl = shop.v["A1024-Black-S"], shop.v["A1024-White-L"]
    order_id = place(app, shop.li, {s: 2, wl: 5})
    pick(app, shop.li, order_id, {s: 2, wl: 5})
    as_user(client, "boss")
    before = counts(app, "movements", "documents")
    response = client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX)
    assert response.status_code == 422
    assert "A1024-White-L is short by 2 (on hand 3, needed 5)" in text(response)
    assert "A1024-Black-S is short" not in text(response)
    assert status_of(app, order_id) == "picking"
    assert stock_of(app, s, wl) == (10, 3) and counts(app, "movements", "documents") == before
    assert level(app, wl).reserved == 5
    plain = client.post(f"/orders/{order_id}/complete", data={"key": "c2"})
    assert plain.status_code == 302
    assert "A1024-White-L is short by 2" in text(client.get(f"/orders/{order_id}"))


# ---------------------------------------------------------------- cancel


def test_the_cancel_dialog_opens(app, client, shop):
    order_id = place(app, shop.li, {shop.v["A1024-Black-S"]: 2})
    dialog = client.get(f"/orders/{order_id}/cancel", headers=HTMX)
    page = text(dialog)
    assert dialog.status_code == 200 and page.lstrip().startswith('<form class="cancel-form"')
    assert "Cancel PH-1" in page and 'name="reason"' in page
    assert re.fullmatch(r"[0-9a-f]{32}", value_of(page, "key"))
    assert "<html" in text(client.get(f"/orders/{order_id}/cancel"))
    assert client.get("/orders/9999/cancel").status_code == 404


def test_cancelling_an_open_order_releases_its_reservation(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    pick(app, shop.li, order_id, {s: 1})
    assert level(app, s).available == 6
    response = client.post(f"/orders/{order_id}/cancel", data={"key": "x1"}, headers=HTMX)
    assert response.status_code == 204
    assert events(response)["show-message"] == "Order PH-1 cancelled."
    assert "stock-changed" in events(response)
    assert status_of(app, order_id) == "cancelled"
    assert level(app, s).reserved == 0 and level(app, s).available == 10
    assert stock_of(app, s) == (10,) and counts(app, "movements") == (3,)


def test_cancelling_a_completed_order_needs_a_reason_and_restores_stock(app, client, shop):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    order_id = place(app, shop.li, {s: 4, m: 2})
    pick(app, shop.li, order_id, {s: 3, m: 2})
    finish(app, shop.boss, order_id)
    assert stock_of(app, s, m) == (7, 3)
    as_user(client, "boss")
    response = client.post(
        f"/orders/{order_id}/cancel", data={"key": "x1", "reason": ""}, headers=HTMX
    )
    assert response.status_code == 422
    assert error_beside(text(response), "reason-error") == (
        "Say why the completed order is cancelled."
    )
    assert status_of(app, order_id) == "completed" and stock_of(app, s, m) == (7, 3)
    response = client.post(
        f"/orders/{order_id}/cancel",
        data={"key": "x2", "reason": "customer refused the goods"},
        headers=HTMX,
    )
    assert response.status_code == 204
    assert stock_of(app, s, m) == (10, 5)
    assert status_of(app, order_id) == "cancelled"
    assert level(app, s).reserved == 0
    with app.app_context():
        reversals = db.session.execute(
            sa.text("SELECT variant_id, delta FROM movements WHERE kind = 'reversal'")
        ).all()
    assert sorted(reversals) == sorted([(s, 3), (m, 2)])
    page = text(client.get(f"/orders/{order_id}"))
    assert "Cancelled: customer refused the goods" in page
    # A second cancel posts nothing.
    again = client.post(
        f"/orders/{order_id}/cancel", data={"key": "x3", "reason": "again"}, headers=HTMX
    )
    assert again.status_code == 422 and "Order PH-1 is already cancelled." in text(again)
    assert stock_of(app, s, m) == (10, 5) and counts(app, "movements") == (7,)


def test_a_second_cancel_of_an_open_order_is_refused(app, client, shop):
    order_id = place(app, shop.li, {shop.v["A1024-Black-S"]: 2})
    assert client.post(f"/orders/{order_id}/cancel", data={"key": "x1"}).status_code == 302
    again = client.post(f"/orders/{order_id}/cancel", data={"key": "x2"})
    assert again.status_code == 422 and "already cancelled" in text(again)
    assert counts(app, "movements") == (3,)


# ---------------------------------------------------------------- the picking list


def test_the_picking_list_groups_by_style_with_sizes_across(app, client, shop, make_style):
    s, m, ws = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"], shop.v["A1024-White-S"]
    other = make_style("B2048", sizes=("36", "38", "40"), colours=("Navy",))
    order_id = place(app, shop.li, {s: 4, m: 2, ws: 1, other["B2048-Navy-38"]: 6})
    response = client.get(f"/orders/{order_id}/picking-list")
    assert response.status_code == 200
    page = text(response)
    assert "Picking list PH-1" in page and "Wang Fang" in page and "13 pcs ordered" in page
    sections = re.findall(r'<section class="style">(.*?)</section>', page, re.S)
    assert [re.search(r"<h2>(\w+)", sec)[1] for sec in sections] == ["A1024", "B2048"]
    a1024, b2048 = sections
    columns = re.findall(r'<th scope="col">([^<]+)</th>', a1024)
    assert columns == ["Colour", "S", "M", "Total", "Bins"]  # only the sizes ordered
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)</th>(.*?)</tr>', a1024, re.S)
    cells = {
        colour: [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        for colour, r in rows
    }
    # Per size, the bins of the order's warehouse that hold it and how many.
    assert cells == {
        "Black": ["4", "2", "6", "S: Default location × 10; M: Default location × 5"],
        "White": ["1", "", "1", "—"],
    }
    assert re.findall(r'<th scope="col">([^<]+)</th>', b2048) == [
        "Colour",
        "38",
        "Total",
        "Bins",
    ]
    assert client.get("/orders/9999/picking-list").status_code == 404


# ---------------------------------------------------------------- returns


@pytest.fixture
def shipped(app, shop):
    """PH-1 completed: Black-S 3 of 4 and Black-M 2 of 2 shipped (on hand 7 and 3)."""
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    order_id = place(app, shop.li, {s: 4, m: 2})
    pick(app, shop.li, order_id, {s: 3, m: 2})
    finish(app, shop.boss, order_id)
    return order_id


def test_a_return_against_an_order_shows_what_can_come_back(app, client, shop, shipped):
    s, m, wl = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"], shop.v["A1024-White-L"]
    page = text(client.get(f"/returns/new?order={shipped}"))
    assert "Return against PH-1" in page
    assert re.findall(r"Returnable</span> <strong>(\d+)</strong>", page) == ["3", "2"]
    for name in (f"r-{s}", f"d-{s}", f"r-{m}", f"d-{m}"):
        assert value_of(page, name) == ""
    assert value_of(page, f"r-{wl}") is None  # not on the order
    assert value_of(page, "order") == str(shipped) and value_of(page, "add") is None
    assert "Book a return" in text(client.get(f"/orders/{shipped}"))


def test_resellable_returns_go_back_into_stock(app, client, shop, shipped):
    s = shop.v["A1024-Black-S"]
    form = {"key": "r1", "order": str(shipped), f"r-{s}": "2", "note": "wrong size"}
    response = client.post("/returns/new", data=form)
    assert response.status_code == 302 and response.location == f"/orders/{shipped}"
    assert stock_of(app, s) == (9,)
    assert lines_of(app, shipped)[s] == (4, 3, 3, 2)
    page = text(client.get(f"/orders/{shipped}"))
    assert "pcs." in page and "returned 2" in page
    assert client.post("/returns/new", data=form).status_code == 302  # a double tap
    assert stock_of(app, s) == (9,)
    again = text(client.get(f"/returns/new?order={shipped}"))
    assert re.findall(r"Returnable</span> <strong>(\d+)</strong>", again) == ["1", "2"]


def test_damaged_returns_are_written_off(app, client, shop, shipped):
    m = shop.v["A1024-Black-M"]
    form = {"key": "r1", "order": str(shipped), f"d-{m}": "1"}
    response = client.post("/returns/new", data=form, headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/orders/{shipped}"
    assert stock_of(app, m) == (3,)
    assert lines_of(app, shipped)[m] == (2, 2, 2, 1)
    with app.app_context():
        moved = db.session.execute(
            sa.text(
                "SELECT kind, delta FROM movements WHERE variant_id = :v AND kind IN "
                "('return', 'write_off') ORDER BY id"
            ),
            {"v": m},
        ).all()
    assert [tuple(row) for row in moved] == [("return", 1), ("write_off", -1)]


def test_returning_more_than_shipped_is_refused_beside_the_cell(app, client, shop, shipped):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    before = counts(app, "movements", "documents")
    form = {"key": "r1", "order": str(shipped), f"r-{s}": "3", f"d-{s}": "1", f"r-{m}": "1"}
    response = client.post("/returns/new", data=form, headers=HTMX)
    assert response.status_code == 422
    page = text(response)
    assert error_beside(page, f"e-d-{s}") == (
        "A1024-Black-S: the order shipped 3 and 3 came back already; 1 more is too many."
    )
    assert error_beside(page, f"e-r-{s}") is None and error_beside(page, f"e-r-{m}") is None
    assert value_of(page, f"r-{s}") == "3"  # what was typed is kept
    assert counts(app, "movements", "documents") == before
    assert lines_of(app, shipped) == {s: (4, 3, 3, 0), m: (2, 2, 2, 0)}
    assert stock_of(app, s, m) == (7, 3)


def test_a_bad_return_quantity_is_refused_beside_the_cell(app, client, shop, shipped):
    s = shop.v["A1024-Black-S"]
    form = {"key": "r1", "order": str(shipped), f"r-{s}": "two"}
    response = client.post("/returns/new", data=form)
    assert response.status_code == 422
    assert error_beside(text(response), f"e-r-{s}") == "Enter a whole number from 0 to 1000000."
    assert counts(app, "documents") == (2,)


def test_a_standalone_return_adds_stock_after_adding_a_style(app, client, shop):
    wl = shop.v["A1024-White-L"]
    page = text(client.post("/returns/new", data={"key": "r1", "add": "A1024"}, headers=HTMX))
    assert value_of(page, "style") == "A1024" and value_of(page, f"r-{wl}") == ""
    assert value_of(page, "order") is None
    assert "Available</span> <strong>3</strong>" in page
    form = {"key": "r1", "style": "A1024", f"r-{wl}": "2", f"d-{wl}": ""}
    response = client.post("/returns/new", data=form)
    assert response.status_code == 302 and response.location == "/orders"
    assert stock_of(app, wl) == (5,)
    assert re.search(r"Return \S+ booked: 2 pcs\.", text(client.get("/orders")))
    with app.app_context():
        assert (
            db.session.scalar(sa.text("SELECT order_id FROM documents WHERE kind = 'return'"))
            is None
        )


def test_a_stale_return_form_says_why_it_is_refused(app, client, shop, shipped):
    s, m = shop.v["A1024-Black-S"], shop.v["A1024-Black-M"]
    first = {"key": "r1", "order": str(shipped), f"r-{s}": "3"}
    assert client.post("/returns/new", data=first).status_code == 302
    # A second tablet still shows 3 returnable for Black-S and books 1 more of it.
    stale = {"key": "r2", "order": str(shipped), f"r-{s}": "1", f"r-{m}": "1"}
    response = client.post("/returns/new", data=stale, headers=HTMX)
    assert response.status_code == 422
    assert lines_of(app, shipped)[s] == (4, 3, 3, 3) and stock_of(app, s, m) == (10, 3)
    assert "A1024-Black-S: the order shipped 3 and 3 came back already" in text(response)


def test_a_strange_order_parameter_is_not_a_server_error(app, client, shop):
    response = client.get("/returns/new?order=²")
    assert response.status_code in (200, 404)


def test_an_empty_return_is_refused(app, client, shop):
    response = client.post("/returns/new", data={"key": "r1", "style": "A1024"})
    assert response.status_code == 422
    assert "Give at least one size with a quantity." in text(response)
    assert counts(app, "documents", "movements") == (1, 3)


def test_a_return_against_an_open_order_is_refused(app, client, shop):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 4})
    pick(app, shop.li, order_id, {s: 4})
    form = {"key": "r1", "order": str(order_id), f"r-{s}": "1"}
    response = client.post("/returns/new", data=form, headers=HTMX)
    assert response.status_code == 422
    assert "Order PH-1 is not complete: nothing has shipped to return." in text(response)
    assert stock_of(app, s) == (10,) and counts(app, "documents", "movements") == (1, 3)
    assert lines_of(app, order_id)[s] == (4, 4, 0, 0)


# ---------------------------------------------------------------- the live version


def test_live_answers_304_while_nothing_changes(app, client, shop):
    first = client.get("/live")
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-store"
    etag = first.headers["ETag"]
    same = client.get("/live", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.get_data() == b"" and same.headers["ETag"] == etag
    assert client.get("/live", headers={"If-None-Match": '"other"'}).status_code == 200


def test_live_changes_with_every_stock_change_and_not_with_a_refusal(app, client, shop):
    s = shop.v["A1024-Black-S"]

    def version():
        return client.get("/live").headers["ETag"]

    seen = [version()]
    # A receipt through the manage-stock dialog.
    form = inbound(shop.v, **{"A1024-Black-S": 2})
    assert client.post("/products/A1024/stock", data=form, headers=HTMX).status_code == 204
    seen.append(version())
    # Creating an order (reservations).
    form = new_order_form(shop, **{"A1024-Black-S": 4})
    assert client.post("/orders/new", data=form, headers=HTMX).status_code == 204
    seen.append(version())
    with app.app_context():
        order_id = db.session.scalar(sa.text("SELECT id FROM orders"))
    # A pick.
    assert post_picks(client, order_id, "p1", {s: (0, 1)}).status_code == 200
    seen.append(version())
    assert len(set(seen)) == len(seen)
    # Refused actions leave it alone.
    assert post_picks(client, order_id, "p2", {s: (1, 9)}).status_code == 422
    assert post_picks(client, order_id, "p1", {s: (0, 1)}).status_code == 200  # a replay
    taken = new_order_form(shop, key="k2", **{"A1024-Black-S": 1})
    assert client.post("/orders/new", data=taken, headers=HTMX).status_code == 422
    as_user(client, "boss")
    pick(app, shop.li, order_id, {s: 4})
    seen.append(version())
    assert len(set(seen)) == len(seen)
    assert stock_of(app, s) == (12,)
    # Completion changes it again.
    assert client.post(f"/orders/{order_id}/complete", data={"key": "c1"}).status_code == 302
    assert version() not in seen


def test_live_is_unchanged_by_a_refused_completion(app, client, shop):
    wl = shop.v["A1024-White-L"]
    order_id = place(app, shop.li, {wl: 5})
    pick(app, shop.li, order_id, {wl: 5})
    as_user(client, "boss")
    before = client.get("/live").headers["ETag"]
    response = client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX)
    assert response.status_code == 422
    refused_cancel = client.post(f"/orders/{order_id}/cancel", data={"key": ""}, headers=HTMX)
    assert refused_cancel.status_code == 422
    after = client.get("/live", headers={"If-None-Match": before})
    assert after.status_code == 304


# ---------------------------------------------------------------- Chinese


def test_the_order_pages_render_in_chinese(app, client, shop):
    s = shop.v["A1024-Black-S"]
    open_id = place(app, shop.li, {s: 4}, number="PH-1")
    done_id = place(app, shop.li, {s: 2}, number="PH-2")
    pick(app, shop.li, done_id, {s: 2})
    finish(app, shop.boss, done_id)
    as_user(client, "boss")
    zh = {"Accept-Language": "zh-CN"}
    pages = [
        "/orders",
        "/orders?state=all",
        "/orders/new",
        "/orders/new?key=k&number=PH-9&customer=x&add=A1024",
        "/orders/new?key=k&number=PH-9&customer=x&add=NOPE",
        f"/orders/{open_id}",
        f"/orders/{done_id}",
        f"/orders/{open_id}/picking-list",
        f"/orders/{open_id}/cancel",
        f"/orders/{done_id}/cancel",
        f"/returns/new?order={done_id}",
        "/returns/new?key=k&add=A1024",
    ]
    for path in pages:
        response = client.get(path, headers=zh)
        assert response.status_code == 200, path
        assert "配货" in text(response) or "退货" in text(response), path
    suggested = text(client.get("/orders/new", headers=zh))
    assert re.fullmatch(r"PH\d{8}-001", value_of(suggested, "number"))
    assert "配货完成" in text(client.get(f"/orders/{open_id}", headers=zh))
    assert "配货清单" in text(client.get(f"/orders/{open_id}/picking-list", headers=zh))
    refused = client.post(
        "/orders/new", data=new_order_form(shop, customer="", **{"A1024-Black-S": 1}), headers=zh
    )
    assert refused.status_code == 422 and "Say who the order is for." not in text(refused)
    done = client.post(f"/orders/{open_id}/cancel", data={"key": "x1"}, headers={**zh, **HTMX})
    assert done.status_code == 204 and done.headers["HX-Trigger"].isascii()
    assert "PH-1" in events(done)["show-message"]


def test_the_stock_log_links_allocation_and_return_documents_to_their_order(
    app, client, shop, shipped
):
    s = shop.v["A1024-Black-S"]
    assert (
        client.post(
            "/returns/new", data={"key": "r1", "order": str(shipped), f"r-{s}": "1"}
        ).status_code
        == 302
    )
    as_user(client, "boss")
    page = text(client.get("/logs"))
    order_link = f'href="/orders/{shipped}"'
    assert page.count(order_link) == 3  # two allocation movements and one return
    assert re.search(r">AL0*\d+<", page) and re.search(r">RT0*\d+<", page)
    # Neither can be reversed from the log: the order is where they change.
    assert "/documents/" not in page.split("RC0")[0]


def test_live_is_shared_by_every_app_server_on_one_database(app, client, shop, database_url):
    """No state held in one process: a second app server on the same database sees
    a change made through the first, and agrees on the version."""
    other_app = make_app(database_url)
    other = second_client(other_app, "wang")
    before = other.get("/live").headers["ETag"]
    assert client.get("/live").headers["ETag"] == before
    form = inbound(shop.v, **{"A1024-White-S": 2})
    assert client.post("/products/A1024/stock", data=form, headers=HTMX).status_code == 204
    changed = other.get("/live", headers={"If-None-Match": before})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == client.get("/live").headers["ETag"] != before
    with other_app.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------- warehouses


@pytest.fixture
def branch(app, shop, make_user):
    """Warehouse SH with a bin A-01 holding 4 Black-S, its clerk (zhao) and its manager
    (qian), who work in SH only; wang works in SH and MAIN; li and boss keep MAIN (boss
    every warehouse)."""
    users = {
        "zhao": make_user(Role.CLERK, username="zhao"),
        "qian": make_user(Role.MANAGER, username="qian"),
    }
    with app.test_request_context():
        sh = warehouses.create_warehouse(code="SH", name="Shop", actor_id=shop.boss)
        bin_a = warehouses.create_location(warehouse_id=sh, code="A-01", actor_id=shop.boss)
        for user_id in users.values():
            warehouses.set_user_warehouses(user_id=user_id, warehouse_ids=[sh], actor_id=shop.boss)
        main = warehouses.main_warehouse_id()
        warehouses.set_user_warehouses(user_id=shop.wang, warehouse_ids=[sh, main])
        receiving.receive(
            lines=[(shop.v["A1024-Black-S"], 4)],
            operator_id=users["zhao"],
            warehouse_id=sh,
            location_id=bin_a,
        )
    return SimpleNamespace(id=sh, main=main, bin=bin_a, **users)


def test_a_user_of_another_warehouse_is_refused_every_page_and_action_of_an_order(
    app, client, shop, branch
):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 2})  # MAIN
    before = counts(app, "orders", "movements", "documents", "idempotency_records")
    for username in ("zhao", "qian"):
        as_user(client, username)
        listing = text(client.get("/orders?state=all"))
        assert "PH-1" not in listing and "No orders here." in listing
        refused = [
            client.get(f"/orders/{order_id}"),
            client.get(f"/orders/{order_id}", headers=HTMX),
            client.get(f"/orders/{order_id}/picking-list"),
            client.post(f"/orders/{order_id}/picks", data=picks_form("p1", {s: (0, 1)})),
            client.post(f"/orders/{order_id}/complete", data={"key": "c1"}, headers=HTMX),
            client.get(f"/orders/{order_id}/cancel"),
            client.post(f"/orders/{order_id}/cancel", data={"key": "x1", "reason": "no"}),
            client.get(f"/returns/new?order={order_id}"),
            client.post("/returns/new", data={"key": "r1", "order": order_id, f"r-{s}": "1"}),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused), username
    assert counts(app, "orders", "movements", "documents", "idempotency_records") == before
    assert status_of(app, order_id) == "open"
    assert lines_of(app, order_id)[s] == (2, 0, 0, 0)
    as_user(client, "wang")
    assert "PH-1" in text(client.get("/orders"))
    assert client.get(f"/orders/{order_id}").status_code == 200


def test_the_api_refuses_another_warehouses_order_and_writes_nothing(app, client, shop, branch):
    s = shop.v["A1024-Black-S"]
    order_id = place(app, shop.li, {s: 2})  # MAIN
    before = counts(app, "orders", "movements", "documents", "idempotency_records")
    for username in ("zhao", "qian"):
        with app.app_context():
            _, token = accounts.create_token(username)
        auth = {"Authorization": f"Bearer {token}"}
        api = f"/api/v1/orders/{order_id}"
        answers = [
            client.get(api, headers=auth),
            client.post(
                f"{api}/picks",
                json={"lines": [{"sku": "A1024-Black-S", "picked": 1}]},
                headers=auth,
            ),
            client.post(f"{api}/cancel", json={"reason": "no"}, headers=auth),
        ]
        if username == "qian":
            answers.append(client.post(f"{api}/complete", headers=auth))
        for answer in answers:
            assert answer.status_code == 403, answer.get_data(as_text=True)
            assert answer.get_json()["detail"] == "You do not work in this warehouse."
    assert counts(app, "orders", "movements", "documents", "idempotency_records") == before


def test_the_api_creates_an_order_in_the_warehouse_named_or_the_users_own(
    app, client, shop, branch
):
    def create(username, number, **extra):
        with app.app_context():
            _, token = accounts.create_token(username)
        body = {"number": number, "customer": "C", "lines": [{"sku": "A1024-Black-S", "qty": 1}]}
        return client.post(
            "/api/v1/orders", json=body | extra, headers={"Authorization": f"Bearer {token}"}
        )

    assert create("zhao", "SO-1").get_json()["warehouse"] == "SH"
    assert create("wang", "SO-2").get_json()["warehouse"] == "MAIN"
    created = create("wang", "SO-3", warehouse="SH")
    assert created.status_code == 201 and created.get_json()["warehouse"] == "SH"
    refused = create("zhao", "SO-4", warehouse="MAIN")
    assert refused.status_code == 403
    unknown = create("zhao", "SO-4", warehouse="NOPE")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"warehouse": "No warehouse NOPE."}
    assert counts(app, "orders") == (3,)


def test_the_new_order_form_offers_the_users_warehouses_from_their_own(app, client, shop, branch):
    assert 'name="warehouse"' not in text(client.get("/orders/new")), "li works in MAIN only"
    as_user(client, "wang")
    page = text(client.get("/orders/new"))
    options = re.findall(r'<option([^>]*)value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert [(value, label) for _, value, label in options] == [
        (str(branch.main), "主仓库 (MAIN)"),  # its name, as the first migration gave it
        (str(branch.id), "Shop (SH)"),
    ]
    assert "selected" in options[0][0], "the main warehouse first: wang works there"
    form = new_order_form(shop, **{"A1024-Black-S": 3}) | {"warehouse": str(branch.id)}
    response = client.post("/orders/new", data=form, headers=HTMX)
    assert response.status_code == 204, text(response)  # and HX-Redirect to the order
    with app.app_context():
        (order,) = queries.order_list(statuses=None).rows
        assert order["order"].warehouse_id == branch.id
    page = text(client.get(f"/orders/{order['order'].id}"))
    assert "Ships from Shop (SH)" in page
    assert '<span class="bins">A-01 4</span>' in page, "the bins of SH only"
    bad = new_order_form(shop, number="PH-101", key="k2", **{"A1024-Black-S": 1})
    response = client.post("/orders/new", data=bad | {"warehouse": "99999"}, headers=HTMX)
    assert response.status_code == 422
    assert error_beside(text(response), "warehouse-error") == "Not a valid choice."
    assert counts(app, "orders") == (1,)
