"""Application logging: a line per request, per refusal and per 500, at a chosen level."""

import logging

import pytest

from stockapp.models import Role
from tests.support.pages import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def request_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "stockapp"]


def test_each_request_logs_method_path_status_duration_and_user(client, token_for, caplog):
    headers = token_for(Role.CLERK)
    with caplog.at_level(logging.INFO, logger="stockapp"):
        client.get("/api/v1/stock?sku=NOPE", headers=headers)
        client.get("/login")
    lines = request_lines(caplog)
    api_line = next(line for line in lines if line.startswith("GET /api/v1/stock?sku=NOPE "))
    _, _, status, took, user = api_line.split(" ")
    assert status == "404"
    assert took.endswith("ms") and float(took.removesuffix("ms")) >= 0
    assert user.startswith("user=clerk")
    assert any(line.startswith("GET /login 200 ") and line.endswith("user=-") for line in lines)


def test_the_live_poll_is_logged_only_when_it_says_something(client, make_user, caplog):
    """A 304 of /live (nothing changed) is what every open screen sends every few
    seconds: left out. Its 200 (the version moved) and its 401 are logged."""
    make_user(Role.CLERK, username="ann")
    sign_in(client, "ann")
    etag = client.get("/live").headers["ETag"]
    with caplog.at_level(logging.INFO, logger="stockapp"):
        caplog.clear()
        assert client.get("/live", headers={"If-None-Match": etag}).status_code == 304
        assert client.get("/live").status_code == 200
        client.post("/logout")
        assert client.get("/live").status_code == 401
    lines = [line.rsplit(" ", 2)[0] for line in request_lines(caplog)]
    assert lines == ["GET /live 200", "POST /logout 302", "GET /live 401"], lines


def test_a_domain_refusal_is_logged_with_its_kind_and_fields(client, token_for, caplog):
    with caplog.at_level(logging.INFO, logger="stockapp"):
        client.get("/api/v1/stock?sku=NOPE", headers=token_for(Role.CLERK))
        client.post("/api/v1/inbound", json={"lines": []}, headers=token_for(Role.CLERK))
    lines = request_lines(caplog)
    assert any(
        line.startswith("refused NotFound (404) on GET /api/v1/stock") and "NOPE" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("refused InvalidInput (422) on POST /api/v1/inbound")
        and "fields=lines" in line
        for line in lines
    ), lines


def test_a_500_is_logged_with_its_traceback_on_one_line(app, client, caplog, monkeypatch):
    def boom():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(app.view_functions, "auth.login", boom)  # a page anyone may open
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO, logger="stockapp"):
        response = client.get("/login")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and errors[0].exc_info, "the 500 was not logged with its traceback"
    handler = next(h for h in logging.getLogger("stockapp").handlers if h.formatter)
    formatted = handler.formatter.format(errors[0])
    assert "\n" not in formatted
    assert "RuntimeError: the disk is on fire" in formatted and "Traceback" in formatted


@pytest.mark.parametrize("app_config", [{"LOG_LEVEL": "WARNING"}])
def test_the_level_is_configurable(client, token_for, caplog):
    headers = token_for(Role.CLERK)
    caplog.set_level(logging.DEBUG)  # capture everything that reaches the handlers
    client.get("/api/v1/stock?sku=NOPE", headers=headers)
    assert not [r for r in caplog.records if r.name == "stockapp" and r.levelno < logging.WARNING]
