"""The poll that finds nothing changed (``GET /live`` with its last ETag) is answered
before Flask dispatches it (``UnchangedPolls``): with the same checks of the signed-in
session and the same headers as a page; everything else goes on to Flask."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import request_started

from stockapp.database import mark_stock_changed, utcnow, write_transaction
from stockapp.extensions import db
from stockapp.headers import HEADERS
from stockapp.models import Role, UserSession
from stockapp.services import accounts
from tests.support.pages import sign_in


@contextmanager
def dispatched(app):
    """The paths of the requests Flask itself dispatched meanwhile."""
    seen = []

    def note(sender, **extra):
        from flask import request

        seen.append(request.full_path.removesuffix("?"))

    request_started.connect(note, app)
    try:
        yield seen
    finally:
        request_started.disconnect(note, app)


@pytest.fixture
def polling(app, client, make_user):
    """A clerk's screen: signed in, holding the version it last saw."""
    make_user(Role.CLERK, username="li")
    assert sign_in(client, "li").status_code == 302
    first = client.get("/live")
    assert first.status_code == 200
    return first.headers["ETag"]


def test_an_unchanged_poll_is_answered_before_flask_with_a_pages_headers(app, client, polling):
    page = client.get("/live")
    with dispatched(app) as seen:
        same = client.get("/live", headers={"If-None-Match": polling})
    assert seen == []
    assert same.status_code == 304 and same.get_data() == b""
    assert same.headers["ETag"] == polling == page.headers["ETag"]
    assert same.headers["Cache-Control"] == "no-store" == page.headers["Cache-Control"]
    assert same.headers["Vary"] == page.headers["Vary"]
    for name, value in HEADERS.items():
        assert same.headers[name] == value == page.headers[name]
    assert "Set-Cookie" not in same.headers


@pytest.mark.parametrize(
    "headers, path",
    [
        ({}, "/live"),  # no version seen yet
        ({"If-None-Match": '"41"'}, "/live"),  # another version
        ({"If-None-Match": "*"}, "/live?x=1"),  # a query string
    ],
    ids=["no-etag", "other-etag", "query"],
)
def test_other_polls_go_on_to_flask(app, client, polling, headers, path):
    with dispatched(app) as seen:
        response = client.get(path, headers=headers)
    assert seen == [path]
    assert response.status_code in (200, 304) and response.headers["ETag"] == polling


def test_a_changed_version_is_answered_by_flask_with_the_new_one(app, client, polling):
    with app.app_context():
        accounts.create_token("li")  # not a stock change: the version stays
    assert client.get("/live", headers={"If-None-Match": polling}).status_code == 304
    with app.app_context(), write_transaction():
        mark_stock_changed()  # what every stock change does
    with dispatched(app) as seen:
        changed = client.get("/live", headers={"If-None-Match": polling})
    assert seen == ["/live"]
    assert changed.status_code == 200 and changed.headers["ETag"] != polling


def end_by_logout(app, client):
    assert client.post("/logout").status_code == 302


def end_by_idling(app, client):
    with app.app_context():
        idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] + 1)
        db.session.execute(
            sa.text("UPDATE user_sessions SET last_seen_at = :t"), {"t": utcnow() - idle}
        )
        db.session.commit()


def end_by_deactivation(app, client):
    with app.app_context():
        accounts.deactivate(username="li")


@pytest.mark.parametrize("end", [end_by_logout, end_by_idling, end_by_deactivation])
def test_a_poll_of_an_ended_session_gets_401_even_with_the_last_version(app, client, polling, end):
    cookie = client.get_cookie("session").value
    end(app, client)
    client.set_cookie("session", cookie)  # the screen left open still holds it
    with dispatched(app) as seen:
        response = client.get("/live", headers={"If-None-Match": polling})
    assert seen == ["/live"] and response.status_code == 401


def test_a_forged_or_missing_cookie_gets_401(app, client, polling):
    cookie = client.get_cookie("session").value
    client.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/live", headers={"If-None-Match": polling}).status_code == 401
    client.delete_cookie("session")
    assert client.get("/live", headers={"If-None-Match": polling}).status_code == 401


def test_an_unchanged_poll_keeps_the_session_alive(app, client, polling):
    """A screen that only polls is in use: the poll marks its session seen (at most
    once a minute), as a page would, so it does not end as idle."""
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE user_sessions SET last_seen_at = :t"),
            {"t": utcnow() - timedelta(minutes=5)},
        )
        db.session.commit()
    with dispatched(app) as seen:
        assert client.get("/live", headers={"If-None-Match": polling}).status_code == 304
    assert seen == []
    with app.app_context():
        seen_at = db.session.scalar(sa.select(UserSession.last_seen_at))
    assert utcnow() - seen_at < timedelta(minutes=1)
