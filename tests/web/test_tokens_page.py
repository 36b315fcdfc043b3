"""The managers' page of API tokens: the list, Revoke (POST, CSRF), and who may see it."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import ApiToken, Role
from stockapp.services import accounts
from tests.support.api import API, assert_problem
from tests.support.apps import PASSWORD, english_client
from tests.support.pages import HTMX, sign_in, text


def tokens_for(app, username: str, **kwargs) -> tuple[int, str]:
    with app.app_context():
        return accounts.create_token(username, **kwargs)


def row_of(page: str, token_id: int) -> str:
    found = re.search(rf'<tr id="token-{token_id}">.*?</tr>', page, re.S)
    return found.group(0) if found else ""


def test_managers_see_every_token_with_its_state(app, client, manager, make_user):
    make_user(Role.CLERK, username="li")
    live, _ = tokens_for(app, "li", days=30)
    expired, _ = tokens_for(app, "li", days=1)
    revoked, _ = tokens_for(app, "boss")
    with app.app_context():
        row = db.session.get(ApiToken, expired)
        row.expires_at -= timedelta(days=2)
        db.session.commit()
        accounts.revoke_token(str(revoked))
    page = text(client.get("/tokens"))
    assert 'aria-current="page"' in page and "API tokens" in page
    assert "li" in row_of(page, live) and "In use" in row_of(page, live)
    assert "Revoke" in row_of(page, live) and 'hx-confirm="Revoke token #' in row_of(page, live)
    assert "Expired" in row_of(page, expired) and "<form" not in row_of(page, expired)
    assert "Revoked" in row_of(page, revoked) and "<form" not in row_of(page, revoked)
    assert "Never" in row_of(page, revoked)  # never used, never expires
    assert 'href="/tokens"' in text(client.get("/suppliers"))  # a tab of the set-up pages


def test_revoke_refuses_the_token_at_once(app, client, manager, make_user):
    make_user(Role.CLERK, username="li")
    token_id, token = tokens_for(app, "li")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/movements?sku=x", headers=headers).status_code == 200
    response = client.post(f"/tokens/{token_id}/revoke", headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/tokens"
    page = text(client.get("/tokens"))
    assert f"Token {token_id} revoked" in page and "Revoked" in row_of(page, token_id)
    assert_problem(client.get(f"{API}/movements", headers=headers), 401)
    # Again, or without htmx: still revoked, still a redirect; an unknown token is 404.
    assert client.post(f"/tokens/{token_id}/revoke").status_code == 302
    assert client.post("/tokens/999/revoke").status_code == 404


def test_expired_tokens_get_the_apis_401(app, client, make_user):
    make_user(Role.CLERK, username="li")
    token_id, token = tokens_for(app, "li", days=1)
    with app.app_context():
        row = db.session.get(ApiToken, token_id)
        row.expires_at = row.created_at
        db.session.commit()
    response = client.get(f"{API}/movements", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


@pytest.mark.parametrize("role", [Role.CLERK, Role.VIEWER])
def test_only_managers_may_list_or_revoke(app, client, make_user, role):
    make_user(role, username="someone")
    token_id, token = tokens_for(app, "someone")
    sign_in(client, "someone")
    assert client.get("/tokens").status_code == 403
    assert client.post(f"/tokens/{token_id}/revoke").status_code == 403
    with app.app_context():
        assert accounts.user_for_token(token) is not None
    client.post("/logout")
    assert client.get("/tokens").status_code == 302  # signed out: to sign-in


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_revoke_needs_the_pages_csrf_token(self, app, make_user):
        make_user(Role.MANAGER, username="boss")
        client = english_client(app)
        login = text(client.get("/login"))
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": csrf})
        token_id, token = tokens_for(app, "boss")
        assert client.post(f"/tokens/{token_id}/revoke").status_code == 400
        with app.app_context():
            assert accounts.user_for_token(token) is not None
        page = text(client.get("/tokens"))
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf})
        assert response.status_code == 302
        with app.app_context():
            assert accounts.user_for_token(token) is None
            assert db.session.scalar(sa.text("SELECT COUNT(*) FROM api_tokens")) == 1
