"""The managers' product pages: a new style with its grid, editing, archiving, thresholds,
size groups and colours in Settings."""

import pytest
from sqlalchemy import select

from stockapp.extensions import db
from stockapp.models import AuditEntry, AuditSubject, Role, SizeGroup, Style, Variant
from stockapp.services import catalogue, size_groups
from stockapp.web.catalogue.forms import barcode_name
from tests.support.pages import HTMX, as_user, error_beside, listed_styles, text

NEW = {
    "code": "K2025-01",
    "name": "女式羊毛大衣",
    "category": "大衣",
    "unit": "件",
    "cost_price": "420.00",
    "sale_price": "1299",
    "size_group": "",
    "sizes": "36 37 38",
    "other_colours": "黑色 驼色",
}


@pytest.fixture
def groups(app):
    with app.app_context():
        size_groups.save_group(name="S–3XL", sizes=["S", "M", "L", "XL", "2XL", "3XL"])
        size_groups.save_colour(name="灰色", code="03")


def test_a_manager_creates_a_style_with_typed_and_generated_barcodes(app, client, manager):
    page = client.get("/products/new")
    assert page.status_code == 200 and "New product" in text(page)
    sent = NEW | {barcode_name("黑色", "36"): "6901234567892"}
    answer = client.post("/products/new", data=sent, headers=HTMX)
    assert answer.status_code == 204, text(answer)
    assert answer.headers["HX-Redirect"] == "/products/K2025-01"
    with app.app_context():
        style = db.session.scalar(select(Style).where(Style.code == "K2025-01"))
        assert style.sizes == ["36", "37", "38"] and style.colours == ["黑色", "驼色"]
        assert {v.sku: v.barcode for v in style.variants}["K2025-01-黑色-36"] == "6901234567892"
        assert str(style.sale_price) == "1299.00"
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.subject == AuditSubject.PRODUCT)
        )
        assert entry.subject_key == "K2025-01" and entry.actor_id == manager


def test_the_preview_draws_the_grid_with_a_cell_per_variant(app, client, manager, groups):
    with app.app_context():
        group = db.session.scalar(select(SizeGroup))
    sent = NEW | {
        "sizes": "",
        "size_group": str(group.id),
        "colours": ["灰色"],
        "other_colours": "",
    }
    grid = text(client.post("/products/new/grid", data=sent, headers=HTMX))
    assert grid.count('placeholder="generated"') == 6 and "Preview: 6 variants" in grid


def test_a_used_barcode_and_a_taken_code_are_named_beside_their_cell_and_field(
    app, client, manager, make_style
):
    skus = make_style("A1", sizes=("M",), colours=("Black",))
    with app.app_context():
        used = db.session.get(Variant, skus["A1-Black-M"]).barcode
    sent = NEW | {"code": "A1", barcode_name("驼色", "38"): used}
    answer = client.post("/products/new", data=sent, headers=HTMX)
    page = text(answer)
    assert answer.status_code == 422
    assert error_beside(page, "code-error") == "Style code A1 already exists."
    assert f"Barcode {used} is used by A1-Black-M." in page
    assert value_in(page, barcode_name("驼色", "38")) == used
    with app.app_context():
        assert db.session.scalar(select(Style).where(Style.code == "K2025-01")) is None


def value_in(page, name):
    from tests.support.pages import value_of

    return value_of(page.replace("&#34;", '"').replace("&quot;", '"'), name)


@pytest.mark.parametrize(
    ("field", "value", "error_id", "message"),
    [
        ("code", "", "code-error", "Use 1–32 letters, digits, dots, dashes or underscores."),
        ("name", "", "name-error", "Enter a name of at most 120 characters."),
        ("cost_price", "-1", "cost_price-error", "Enter a price such as 59.90."),
        ("sale_price", "1.234", "sale_price-error", "Enter a price such as 59.90."),
        ("sizes", "", "sizes-error", "Give at least one size."),
        ("sizes", "S S", "sizes-error", None),
        ("other_colours", "红" * 41, "other_colours-error", None),
        ("unit", "x" * 17, "unit-error", "At most 16 characters."),
    ],
)
def test_every_bad_field_is_refused_beside_it(
    app, client, manager, field, value, error_id, message
):
    answer = client.post("/products/new", data=NEW | {field: value}, headers=HTMX)
    found = error_beside(text(answer), error_id)
    assert answer.status_code == 422 and found
    assert message is None or found == message
    with app.app_context():
        assert db.session.scalar(select(Style)) is None


def test_edit_add_sizes_archive_and_thresholds(app, client, manager, groups, make_style):
    skus = make_style("C1", sizes=("M", "2XL"), colours=("Red",))
    assert client.get("/products/C1/edit").status_code == 200
    answer = client.post(
        "/products/C1/edit", data={"name": "Coat", "unit": "件", "sale_price": "99.5"}, headers=HTMX
    )
    assert answer.status_code == 204
    answer = client.post("/products/C1/variants", data={"sizes": "XL 5XL"}, headers=HTMX)
    assert answer.status_code == 204
    with app.app_context():
        style = db.session.scalar(select(Style).where(Style.code == "C1"))
        assert style.name == "Coat" and style.sizes == ["M", "XL", "2XL", "5XL"]
        ids = {v.size: v.id for v in style.variants}
    thresholds = {f"t-{ids['M']}": "3", f"t-{ids['XL']}": "", f"t-{ids['2XL']}": "x"}
    answer = client.post("/products/C1/thresholds", data=thresholds, headers=HTMX)
    assert answer.status_code == 422 and "Enter a whole number" in text(answer)
    thresholds[f"t-{ids['2XL']}"] = "4"
    assert client.post("/products/C1/thresholds", data=thresholds, headers=HTMX).status_code == 204
    with app.app_context():
        assert db.session.get(Variant, ids["2XL"]).low_stock_threshold == 4
    assert client.post(f"/variants/{skus['C1-Red-M']}/archive", headers=HTMX).status_code == 204
    assert client.post("/products/C1/archive", headers=HTMX).status_code == 204
    # The rows, not the page: a short code can also turn up inside the CSRF token.
    assert "C1" in listed_styles(text(client.get("/?show=archived")))
    assert "C1" not in listed_styles(text(client.get("/?show=")))
    assert client.post("/products/C1/restore", headers=HTMX).status_code == 204
    assert "C1" in listed_styles(text(client.get("/?show=")))


def test_archiving_a_variant_with_stock_says_how_many_and_where(
    app, client, manager, make_style, api
):
    api.receive(**{"A1024-Black-S": 5})
    variant_id = api.skus["A1024-Black-S"] if hasattr(api, "skus") else None
    with app.app_context():
        variant_id = db.session.scalar(select(Variant.id).where(Variant.sku == "A1024-Black-S"))
    answer = client.post(f"/variants/{variant_id}/archive", headers=HTMX)
    assert answer.status_code == 422
    assert "A1024-Black-S has stock on hand in" in text(answer) and "(5)" in text(answer)


def test_low_stock_only_lists_the_styles_with_a_low_variant(app, client, manager, make_style):
    low = make_style("L1", sizes=("M",))
    make_style("L2", sizes=("M",))
    with app.app_context():
        catalogue.set_low_stock_threshold(low["L1-Black-M"], 0)
    assert listed_styles(text(client.get("/?show=low"))) == ["L1"]


def test_size_groups_and_colours_in_settings(app, client, manager, groups):
    assert "S–3XL" in text(client.get("/settings/sizes"))
    answer = client.post(
        "/settings/sizes/group",
        data={"group-new-name": "童装", "group-new-sizes": "90,100,110"},
        headers=HTMX,
    )
    assert answer.status_code == 204
    answer = client.post(
        "/settings/sizes/group",
        data={"group-new-name": "童装", "group-new-sizes": "90 90"},
        headers=HTMX,
    )
    page = text(answer)
    assert answer.status_code == 422
    assert error_beside(page, "group-new-name-error") == "A size group of this name exists already."
    assert error_beside(page, "group-new-sizes-error") == "Each size once: 90 is given twice."
    with app.app_context():
        group = db.session.scalar(select(SizeGroup).where(SizeGroup.name == "童装"))
        assert group.sizes == ["90", "100", "110"]
    answer = client.post(
        f"/settings/sizes/group/{group.id}",
        data={f"group-{group.id}-name": "童装", f"group-{group.id}-sizes": "80 90 100"},
        headers=HTMX,
    )
    assert answer.status_code == 204
    assert client.post(f"/settings/sizes/group/{group.id}/delete", headers=HTMX).status_code == 204
    assert (
        client.post(
            "/settings/sizes/colour", data={"colour-new-name": "酒红"}, headers=HTMX
        ).status_code
        == 204
    )
    assert client.post("/settings/sizes/shape", headers=HTMX).status_code == 404


MANAGER_PAGES = [
    ("get", "/products/new"),
    ("post", "/products/new"),
    ("post", "/products/new/grid"),
    ("get", "/products/A1024/edit"),
    ("post", "/products/A1024/edit"),
    ("post", "/products/A1024/variants"),
    ("post", "/products/A1024/archive"),
    ("post", "/products/A1024/restore"),
    ("post", "/products/A1024/thresholds"),
    ("get", "/settings/sizes"),
    ("post", "/settings/sizes/group"),
    ("post", "/settings/sizes/colour"),
]


@pytest.mark.parametrize(("method", "url"), MANAGER_PAGES)
@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLERK, None])
def test_the_product_pages_are_for_managers(app, client, make_user, make_style, method, url, role):
    make_style()
    if role is not None:
        make_user(role, username="someone")
        as_user(client, "someone")
    answer = getattr(client, method)(url)
    assert answer.status_code == (403 if role else 302)


def test_a_post_without_its_csrf_token_is_refused(app, manager, make_style):
    app.config["WTF_CSRF_ENABLED"] = True
    make_style()
    client = app.test_client()
    from tests.support.pages import sign_in

    sign_in(client, "boss")
    assert client.post("/products/A1024/archive").status_code == 400
