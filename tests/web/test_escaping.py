"""User values are escaped wherever they land in HTML, translated messages included.

Flask-Babel's lazy strings claim to be markup (they have ``__html__``), so a message
that interpolates a user's value, such as "Order <number> is already complete.",
must escape that value itself: these cases stored or sent one and found it raw.
"""

import pytest

from stockapp.models import Role
from stockapp.services import orders, receiving
from tests.support.pages import HTMX, sign_in, text

HOSTILE = "<img src=x onerror=alert(1)>"
SVG = "<svg onload=alert(1)>"


@pytest.fixture
def manager(client, make_user):
    make_user(Role.MANAGER, username="boss")
    sign_in(client, "boss")


@pytest.fixture
def completed(app, make_style, make_user):
    """An order numbered with markup, picked and completed."""
    skus = make_style("A1024", sizes=("S",), colours=("Black",))
    variant = skus["A1024-Black-S"]
    clerk = make_user(Role.CLERK, username="li")
    boss = make_user(Role.MANAGER, username="chief")
    with app.test_request_context():
        receiving.receive(lines=[(variant, 5)], operator_id=clerk)
        order = orders.create(
            number=HOSTILE, customer=HOSTILE, lines=[(variant, 1)], operator_id=clerk
        )
        orders.record_picks(order["id"], lines=[(variant, 1)], operator_id=clerk)
        orders.complete(order["id"], operator_id=boss)
    return order["id"]


def assert_escaped(page: str, value: str) -> None:
    assert value not in page, f"{value} came back raw"
    assert value.replace("<", "&lt;").replace(">", "&gt;") in page, "the value is missing"


def test_a_second_completion_names_the_order_escaped(client, manager, completed):
    again = client.post(f"/orders/{completed}/complete", data={"key": "again"}, headers=HTMX)
    assert again.status_code == 422
    assert_escaped(text(again), HOSTILE)


def test_a_flashed_refusal_names_the_order_escaped(client, manager, completed):
    again = client.post(f"/orders/{completed}/complete", data={"key": "again2"})
    assert again.status_code in (302, 303, 422)
    page = text(client.get(f"/orders/{completed}"))
    assert_escaped(page, HOSTILE)


@pytest.mark.parametrize("path", ["/orders/new", "/returns/new"])
def test_an_unknown_code_to_add_is_escaped(client, manager, make_style, path):
    make_style("A1024", sizes=("S",), colours=("Black",))
    page = text(client.get(path, query_string={"key": "1", "add": SVG}))
    assert_escaped(page, SVG)
