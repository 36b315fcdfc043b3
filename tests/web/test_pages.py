"""The page shell: first-run setup, sign in and out, CSRF, the product list, languages."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Role, User
from stockapp.services import receiving
from tests.support.apps import PASSWORD
from tests.support.db import row_count
from tests.support.pages import listed_styles, sign_in, text


def test_every_page_leads_to_setup_until_a_user_exists(client):
    for path in ("/", "/login", "/?q=x"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.endswith("/setup")


def test_pages_need_sign_in_once_set_up(client, make_user):
    make_user(Role.CLERK)
    response = client.get("/")
    assert response.status_code == 302 and "/login?next=" in response.location
    assert client.get("/setup").location.endswith("/login")


@pytest.mark.parametrize(
    ("form", "field_error"),
    [
        ({"username": "", "password": PASSWORD, "confirm": PASSWORD}, "This field is required"),
        ({"username": "boss", "password": "short", "confirm": "short"}, "at least 10"),
        ({"username": "boss", "password": "Basketball", "confirm": "Basketball"}, "most common"),
        (
            {"username": "Boss.Wang.1", "password": "boss.wang.1", "confirm": "boss.wang.1"},
            "cannot be the user name",
        ),
        ({"username": "boss", "password": PASSWORD, "confirm": "other one"}, "passwords differ"),
    ],
)
def test_setup_refuses_bad_input_beside_the_field(app, client, form, field_error):
    response = client.post("/setup", data=form)
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    with app.app_context():
        assert row_count("users") == 0


def test_setup_creates_the_first_manager_signs_in_and_can_load_demo_data(app, client):
    response = client.post(
        "/setup",
        data={"username": "boss", "password": PASSWORD, "confirm": PASSWORD, "demo_data": "y"},
    )
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "boss" in page and "A1001" in page
    with app.app_context():
        assert db.session.scalar(sa.select(User.role)) == Role.MANAGER
        assert row_count("styles") == 36 and row_count("movements") > 0
    # Setup is over: a second manager cannot be made this way.
    client.post("/logout")
    client.post("/setup", data={"username": "eve", "password": PASSWORD, "confirm": PASSWORD})
    with app.app_context():
        assert row_count("users") == 1


def test_sign_in_wrong_password_and_throttle(app, client, make_user):
    make_user(Role.CLERK, username="li")
    response = sign_in(client, "li", "not it")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        sign_in(client, "li", "not it")
    response = sign_in(client, "li")
    assert response.status_code == 429 and "Try again in" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_follows_only_local_next(client, make_user):
    make_user(Role.CLERK, username="li")
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "li", "password": PASSWORD}
    )
    assert response.location == "/"
    client.post("/logout")
    response = client.post("/login?next=/?q=A1", data={"username": "li", "password": PASSWORD})
    assert response.location == "/?q=A1"


def test_sign_out_is_a_post(client, manager):
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").location.endswith("/login")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_product_list(client, make_user, make_style, role):
    make_style("A1024", sizes=("S", "M"))
    make_user(role, username="someone")
    sign_in(client, "someone")
    assert "A1024" in client.get("/").get_data(as_text=True)


def test_product_list_shows_on_hand_per_size(app, client, manager, make_style):
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black", "White"))
    with app.app_context():
        receiving.receive(
            lines=[
                (skus["A1024-Black-S"], 4),
                (skus["A1024-White-S"], 3),
                (skus["A1024-Black-L"], 9),
            ],
            operator_id=manager,
        )
    page = client.get("/").get_data(as_text=True)
    cells = re.findall(r'class="size">([^<]+)</span><span class="qty">([^<]+)<', page)
    assert cells == [("S", "7"), ("M", "0"), ("L", "9")]
    assert "<strong>16</strong>" in page


def test_search_by_code_name_and_barcode_and_the_htmx_partial(app, client, manager, make_style):
    make_style("A1024", name="Tee")
    make_style("B2048", name="Jacket")
    with app.app_context():
        barcode = db.session.scalar(
            sa.text("SELECT barcode FROM variants WHERE sku = 'B2048-Black-M'")
        )
    assert "B2048" not in client.get("/?q=A10").get_data(as_text=True)
    assert "A1024" not in client.get("/?q=jack").get_data(as_text=True)
    assert client.get(f"/?q={barcode}").location == "/products/B2048"
    partial = client.get("/?q=A10", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True) and "A1024" in partial.get_data(
        as_text=True
    )
    assert "HX-Request" in partial.headers["Vary"]
    restore = client.get(
        "/?q=A10", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)
    assert "No product matches" in client.get("/?q=zzz").get_data(as_text=True)


def pager_links(page: str) -> list[int]:
    """The pages the product list's Previous and Next buttons lead to."""
    pager = re.search(r'<nav class="pages">(.*?)</nav>', page, re.S)
    assert pager, "no pager on the page"
    links = re.findall(r'href="([^"]+)"', pager[1])
    return [int(parse_qs(urlsplit(html.unescape(link)).query)["page"][0]) for link in links]


def test_product_list_pages(app, client, manager, make_style):
    # The codes are looked for in the list's rows, not anywhere in the page: the
    # CSRF token in the page is random and may well contain "P1".
    app.config["PAGE_SIZE"] = 2
    for code in ("P1", "P2", "P3"):
        make_style(code)
    first = client.get("/").get_data(as_text=True)
    assert listed_styles(first) == ["P1", "P2"]
    assert pager_links(first) == [2]
    second = client.get("/?page=2").get_data(as_text=True)
    assert listed_styles(second) == ["P3"]
    assert pager_links(second) == [1]
    assert client.get("/?page=-4").status_code == 200


def test_language_follows_the_browser_then_the_users_choice(app, client, manager):
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
    assert "商品" in chinese.get_data(as_text=True)
    response = client.post("/language/en", data={"next": "/?q=A"})
    assert response.location == "/?q=A"
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Products" in page
    with app.app_context():
        assert db.session.get(User, manager).locale == "en"
    assert client.post("/language/fr").status_code == 302


def test_unknown_page_is_a_friendly_404(client, manager):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "does not exist" in response.get_data(as_text=True)


class TestCsrf:
    """With CSRF on (as in production), every POST needs the form's token."""

    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @pytest.mark.parametrize("path", ["/login", "/setup", "/logout", "/language/en"])
    def test_post_without_token_is_refused(self, app, client, path):
        response = client.post(
            path, data={"username": "boss", "password": PASSWORD, "confirm": PASSWORD}
        )
        assert response.status_code in (400, 422)
        with app.app_context():
            assert row_count("users") == 0

    def test_post_with_token_from_the_form_works(self, client):
        page = client.get("/setup").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/setup",
            data={
                "username": "boss",
                "password": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 302


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CLERK, Role.VIEWER], ids=str)
def test_an_empty_catalogue_shows_a_manager_the_first_days_steps(client, make_user, role):
    make_user(role, username="u")
    sign_in(client, "u")
    page = text(client.get("/"))
    steps = ("/users", "/settings/sizes", "/imports", "/products/new")
    if role == Role.MANAGER:
        assert "Getting started" in page and all(f'href="{step}"' in page for step in steps)
    else:
        assert "Getting started" not in page and "No products yet." in page
        assert not any(f'href="{step}"' in page for step in steps)


@pytest.mark.parametrize("role", [Role.CLERK, Role.VIEWER], ids=str)
def test_the_product_list_links_the_stock_sheet_of_what_it_shows(
    client, make_user, make_style, role
):
    make_style("A1024", category="Tops")
    make_user(role, username="u")
    sign_in(client, "u")
    page = text(client.get("/", query_string={"q": "A10", "category": "Tops"}))
    links = re.findall(r'href="(/stock-sheet\.[a-z]+[^"]*)"', page)
    if role == Role.VIEWER:  # the sheet shows costs
        assert links == []
    else:
        assert [urlsplit(html.unescape(link)).path for link in links] == [
            "/stock-sheet.xlsx",
            "/stock-sheet.csv",
        ]
        query = parse_qs(urlsplit(html.unescape(links[0])).query)
        assert query == {"q": ["A10"], "category": ["Tops"]}
        assert client.get(html.unescape(links[0])).status_code == 200
