"""The product API: the list (keyset), a style changed, sizes and colours added, a
variant's barcode, threshold and state; managers write, a viewer never reads costs."""

import pytest
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import AuditEntry, AuditSubject, Role, Variant
from tests.support.api import ROLES, S, assert_problem, snapshot


def patch(api, path, body, role=Role.MANAGER):
    return api.client.patch("/api/v1" + path, json=body, headers=api.auth(role))


def test_the_list_pages_by_code_and_hides_costs_from_viewers(api, make_style):
    for code in ("B1", "B2", "B3"):
        make_style(code, cost_price=10)
    first = api.get("/products?limit=2&q=B", role=Role.CLERK).get_json()
    assert [item["code"] for item in first["items"]] == ["B1", "B2"]
    assert first["items"][0]["cost_price"] == "10.00"
    second = api.get(f"/products?limit=2&q=B&cursor={first['next_cursor']}").get_json()
    assert [item["code"] for item in second["items"]] == ["B3"] and second["next_cursor"] is None
    viewer = api.get("/products?limit=2", role=Role.VIEWER).get_json()
    assert viewer["items"] and "cost_price" not in viewer["items"][0]
    assert "cost_price" not in api.get("/products/B1", role=Role.VIEWER).get_json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("active=maybe", "active"),
        ("cursor=a%20b", "cursor"),
    ],
)
def test_a_bad_list_query_is_named(api, query, field):
    assert_problem(api.get(f"/products?{query}"), 422, field)


def test_a_manager_changes_archives_and_restores_a_product(api):
    answer = patch(api, "/products/A1024", {"name": "Tee", "sale_price": "59.90"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["name"] == "Tee" and answer.get_json()["sale_price"] == "59.90"
    assert patch(api, "/products/A1024", {"active": False}).get_json()["active"] is False
    assert api.get("/products?active=false").get_json()["items"][0]["code"] == "A1024"
    assert api.get("/products").get_json()["items"] == []
    assert patch(api, "/products/A1024", {"active": True}).get_json()["active"] is True
    with api.app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject == AuditSubject.PRODUCT)
        ).all()
        assert [a.value for a in actions] == ["created", "changed", "archived", "restored"]


def test_a_product_with_stock_is_not_archived_and_nothing_changes(api):
    api.receive(**{S: 3})
    api.auth(Role.MANAGER)
    before = snapshot(api.app)
    answer = patch(api, "/products/A1024", {"name": "Other", "active": False})
    assert_problem(answer, 409)
    assert "A1024-Black-S has stock on hand in" in answer.get_json()["detail"]
    assert snapshot(api.app) == before


def test_sizes_and_colours_are_added_in_order(api):
    answer = api.post(
        "/products/A1024/variants", {"sizes": ["XL"], "colors": ["White"]}, role=Role.MANAGER
    )
    assert answer.status_code == 201
    assert answer.get_json()["sizes"] == ["S", "M", "L", "XL"]
    assert answer.get_json()["colors"] == ["Black", "White"]
    assert_problem(
        api.post("/products/A1024/variants", {"sizes": ["x" * 21]}, role=Role.MANAGER), 422, "sizes"
    )
    assert_problem(api.post("/products/NOPE/variants", {"sizes": ["S"]}, role=Role.MANAGER), 404)


def test_a_variant_takes_a_barcode_a_threshold_and_is_archived(api, make_style):
    other = make_style("Z1", sizes=("M",))
    with api.app.app_context():
        used = db.session.get(Variant, other["Z1-Black-M"]).barcode
    answer = patch(api, f"/variants/{S}", {"barcode": "6901234567892", "threshold": 4})
    assert answer.status_code == 200
    assert answer.get_json()["barcode"] == "6901234567892"
    assert answer.get_json()["low_stock_threshold"] == 4
    assert (
        patch(api, f"/variants/{S}", {"threshold": None}).get_json()["low_stock_threshold"] is None
    )
    assert_problem(patch(api, f"/variants/{S}", {"barcode": used}), 422, "barcode")
    assert_problem(patch(api, f"/variants/{S}", {"threshold": -1}), 422, "threshold")
    assert patch(api, f"/variants/{S}", {"archived": True}).get_json()["archived"] is True
    assert patch(api, f"/variants/{S}", {"archived": False}).get_json()["archived"] is False
    assert_problem(patch(api, "/variants/NOPE", {"archived": True}), 404)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK])
def test_only_managers_write_products(api, role):
    assert patch(api, "/products/A1024", {"name": "x"}, role=role).status_code == 403
    assert patch(api, f"/variants/{S}", {"threshold": 1}, role=role).status_code == 403
    assert api.post("/products/A1024/variants", {"sizes": ["XL"]}, role=role).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_list(api, role):
    assert api.get("/products", role=role).status_code == 200


def test_signed_out_is_refused(api):
    assert api.get("/products", role=None).status_code == 401
    assert api.client.patch("/api/v1/products/A1024", json={}).status_code == 401
