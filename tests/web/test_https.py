"""The one HTTPS setting (config HTTPS, env STOCKAPP_HTTPS): behind the shop's HTTPS
proxy cookies are Secure, HSTS is sent and the proxy's forwarded headers are trusted;
without it none of that, and a forged X-Forwarded-For changes nothing."""

import pytest
from flask import request

from stockapp import create_app
from stockapp.headers import HSTS
from stockapp.models import Role
from tests.support.apps import english_client, make_app
from tests.support.db import sqlite_url
from tests.support.pages import sign_in

FORWARDED = {
    "X-Forwarded-For": "192.168.1.23",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "stock.shop.lan",
}


def seen_by_the_app(app) -> None:
    """A page that says what the app sees of the request (its client, scheme, host);
    under /api/, which needs no session."""

    @app.get("/api/_seen")
    def _seen():
        return f"{request.remote_addr} {request.scheme} {request.host}"


@pytest.fixture(params=[True, False], ids=["https", "plain"])
def https(request) -> bool:
    return request.param


@pytest.fixture
def app_config(https):
    return {"HTTPS": https}


def cookie_attributes(response, name: str) -> list[str]:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return [part.strip().lower() for part in header.split(";")]


def test_cookies_are_secure_only_behind_the_https_proxy(app, make_user, https):
    make_user(Role.MANAGER, username="boss")
    client = english_client(app)
    signed_in = sign_in(client, "boss")
    assert signed_in.status_code == 302
    assert ("secure" in cookie_attributes(signed_in, "session")) is https
    language = client.post("/language/zh_CN", headers=FORWARDED)
    assert language.status_code == 302
    assert ("secure" in cookie_attributes(language, "lang")) is https
    assert "httponly" in cookie_attributes(language, "lang")


@pytest.mark.parametrize("path", ["/login", "/static/app.css", "/api/v1/openapi.json"])
def test_hsts_only_behind_the_https_proxy(client, https, path):
    response = client.get(path, headers=FORWARDED)
    assert response.headers.get("Strict-Transport-Security") == (HSTS if https else None)
    assert response.headers["X-Frame-Options"] == "DENY"  # the others as ever


def test_forwarded_headers_are_trusted_only_behind_the_https_proxy(tmp_path, https):
    # An app of its own, as the test adds a page to it; no database is read.
    app = make_app(sqlite_url(tmp_path), HTTPS=https)
    seen_by_the_app(app)
    client = english_client(app)
    response = client.get(
        "/api/_seen", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert response.status_code == 200
    if https:
        assert response.get_data(as_text=True) == "192.168.1.23 https stock.shop.lan"
    else:
        assert response.get_data(as_text=True) == "127.0.0.1 http localhost"
    # One proxy: of a chain the client forged, only the address the proxy added counts.
    chained = client.get(
        "/api/_seen", headers={**FORWARDED, "X-Forwarded-For": "6.6.6.6, 10.0.0.9"}
    )
    assert chained.get_data(as_text=True).split()[0] == ("10.0.0.9" if https else "127.0.0.1")


@pytest.mark.parametrize(
    "value, on", [("1", True), ("true", True), ("YES", True), ("0", False), ("no", False)]
)
def test_the_environment_switches_it(monkeypatch, tmp_path, value, on):
    monkeypatch.setenv("STOCKAPP_HTTPS", value)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["HTTPS"] is on and app.config["SESSION_COOKIE_SECURE"] is on
    assert make_app(f"sqlite:///{tmp_path}/y.db", HTTPS=False).config["HTTPS"] is False


def test_hsts_on_an_unchanged_poll_only_behind_the_https_proxy(client, make_user, https):
    """The poll answered before Flask (``UnchangedPolls``) carries the same headers."""
    make_user(Role.CLERK, username="li")
    assert sign_in(client, "li").status_code == 302
    etag = client.get("/live").headers["ETag"]
    response = client.get("/live", headers={**FORWARDED, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers.get("Strict-Transport-Security") == (HSTS if https else None)
    assert response.headers["X-Frame-Options"] == "DENY"
