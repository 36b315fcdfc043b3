"""Signing in through the pages: sessions that end (logout, idle, lifetime, changes to
the user), the session cookie, and the throttle per address, parallel tries included."""

import hashlib
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Role, UserSession
from stockapp.services import accounts
from tests.support.apps import PASSWORD, english_client
from tests.support.pages import sign_in, text

ENDED = "Your session has ended; sign in again."


def at(app, address: str):
    """A browser signing in from ``address``."""
    client = english_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = english_client(app)
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def assert_sent_to_sign_in(client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login?next=" in response.location
    assert ENDED in text(client.get(response.location))
    assert client.get("/live").status_code == 401  # a screen left open: bare 401


def move_sessions_back(app, **columns: timedelta) -> None:
    with app.app_context():
        for row in db.session.scalars(sa.select(UserSession)):
            for column, by in columns.items():
                setattr(row, column, getattr(row, column) - by)
        db.session.commit()


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, make_user):
    make_user(Role.MANAGER, username="boss")
    assert sign_in(client, "boss").status_code == 302
    thief = copy_of(app, client)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 302
    assert_sent_to_sign_in(thief)
    assert client.get("/").status_code == 302


def test_the_cookie_holds_only_the_sessions_token(app, client, make_user):
    make_user(Role.CLERK, username="li")
    response = sign_in(client, "li")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # SESSION_COOKIE_SECURE is off unless configured
    contents = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value
    )
    with app.app_context():
        stored = db.session.scalar(sa.text("SELECT token_hash FROM user_sessions"))
    assert hashlib.sha256(contents["_user_id"].encode()).hexdigest() == stored
    # Once the page's CSRF token is in it, pages do not send the cookie again: it
    # keeps the expiry it was given at sign-in.
    client.get("/")
    assert "Set-Cookie" not in client.get("/").headers


class TestSecureCookies:
    @pytest.fixture
    def app_config(self):
        return {"SESSION_COOKIE_SECURE": True, "SESSION_MAX_SECONDS": 3600}

    def test_secure_is_kept_and_the_cookie_lasts_as_long_as_a_session(self, app, make_user):
        make_user(Role.CLERK, username="li")
        client = english_client(app)
        cookie = sign_in(client, "li").headers["Set-Cookie"]
        assert "Secure" in cookie
        assert app.permanent_session_lifetime == timedelta(hours=1)


def test_an_idle_session_ends(app, client, make_user):
    make_user(Role.CLERK, username="li")
    sign_in(client, "li")
    move_sessions_back(app, last_seen_at=timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] - 90))
    assert client.get("/").status_code == 200  # and counts as seen: 12 h more
    move_sessions_back(app, last_seen_at=timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] - 90))
    assert client.get("/live").status_code in (200, 304)
    move_sessions_back(app, last_seen_at=timedelta(seconds=app.config["SESSION_IDLE_SECONDS"]))
    assert_sent_to_sign_in(client)


def test_a_session_ends_at_its_lifetime(app, client, make_user):
    make_user(Role.CLERK, username="li")
    sign_in(client, "li")
    move_sessions_back(app, created_at=timedelta(seconds=app.config["SESSION_MAX_SECONDS"]))
    assert_sent_to_sign_in(client)
    assert sign_in(client, "li").status_code == 302  # a new sign-in is a new session
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        lambda: accounts.set_password(username="li", password="blue cotton 42"),
        lambda: accounts.set_role(username="li", role=Role.VIEWER),
        lambda: accounts.deactivate(username="li"),
    ],
    ids=["password", "role", "deactivation"],
)
def test_changes_to_the_user_end_every_browsers_session(app, make_user, change):
    make_user(Role.CLERK, username="li")
    tablets = [at(app, "10.0.0.7"), at(app, "10.0.0.8")]
    for tablet in tablets:
        sign_in(tablet, "li")
        assert tablet.get("/").status_code == 200
    with app.app_context():
        change()
    for tablet in tablets:
        assert_sent_to_sign_in(tablet)


# --- the throttle ---------------------------------------------------------------------


def test_a_locked_address_gets_429_with_retry_after_and_others_sign_in(app, make_user):
    make_user(Role.MANAGER, username="boss")
    attacker, boss = at(app, "10.0.0.66"), at(app, "10.0.0.7")
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        assert sign_in(attacker, "boss", "guess").status_code == 401
    refused = sign_in(attacker, "boss")  # the right password, from the locked address
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= app.config["LOGIN_LOCKOUT_SECONDS"]
    assert "Too many failed logins. Try again in" in text(refused)
    assert attacker.get("/").status_code == 302
    assert sign_in(boss, "boss").status_code == 302
    assert boss.get("/").status_code == 200


def tries_at_once(app, monkeypatch, names: list[str], address="10.0.0.66") -> tuple[list, int]:
    """Sign in as each of ``names`` with a wrong password, each from its own thread and
    browser, all released together from one address; returns (statuses, how many
    passwords were checked)."""
    checked = []
    real_check = accounts.check_password_hash

    def counting_check(stored, password):
        checked.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting_check)
    barrier = threading.Barrier(len(names))
    statuses: list = [None] * len(names)

    def attempt(i: int, name: str) -> None:
        client = at(app, address)
        barrier.wait(timeout=30)
        try:
            statuses[i] = sign_in(client, name, "guess").status_code
        except Exception as error:  # reported by the test, not lost in the thread
            statuses[i] = error

    threads = [threading.Thread(target=attempt, args=(i, n)) for i, n in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return statuses, len(checked)


def test_parallel_tries_at_one_name_get_exactly_the_free_attempts(app, make_user, monkeypatch):
    make_user(Role.MANAGER, username="boss")
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    statuses, checked = tries_at_once(app, monkeypatch, ["boss"] * 32)
    assert checked == free
    assert sorted(statuses) == [401] * free + [429] * (32 - free)


def test_parallel_tries_at_many_names_get_exactly_the_addresss_attempts(
    app, make_user, monkeypatch
):
    make_user(Role.MANAGER, username="boss")
    free = app.config["LOGIN_ADDRESS_FREE_ATTEMPTS"]
    statuses, checked = tries_at_once(app, monkeypatch, [f"name{n}" for n in range(32)])
    assert checked == free
    assert sorted(statuses) == [401] * free + [429] * (32 - free)
    assert sign_in(at(app, "10.0.0.7"), "boss").status_code == 302


# An htmx request from a page whose session has ended (a dialog opening, a list refreshing).
FROM_PAGE = {"HX-Request": "true", "HX-Current-URL": "http://localhost/products/A1024?tab=2"}


def test_an_htmx_request_of_an_ended_session_sends_the_whole_page_to_sign_in_and_back(
    app, client, make_user, make_style
):
    make_style("A1024")
    make_user(Role.CLERK, username="li")
    assert sign_in(client, "li").status_code == 302
    tablet = copy_of(app, client)
    assert client.post("/logout").status_code == 302  # signed out elsewhere: the session ends
    response = tablet.get("/products/A1024/stock", headers=FROM_PAGE)
    # Never the login page nested in the dialog: htmx opens the login as the whole page.
    assert response.status_code == 204 and not response.data
    login = response.headers["HX-Redirect"]
    assert login == "/login?next=%2Fproducts%2FA1024%3Ftab%3D2"
    assert ENDED in text(tablet.get(login))
    signed = tablet.post(login, data={"username": "li", "password": PASSWORD})
    assert signed.status_code == 302 and signed.location == "/products/A1024?tab=2"
    assert tablet.get("/products/A1024/stock", headers=FROM_PAGE).status_code == 200


def test_an_htmx_request_never_signed_in_is_sent_to_sign_in_and_a_plain_one_redirected(
    app, client, make_user
):
    make_user(Role.CLERK, username="li")
    response = client.post("/products/A1024/stock", headers=FROM_PAGE)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login?next=%2Fproducts%2FA1024")
    plain = client.get("/products/A1024")
    assert plain.status_code == 302 and plain.location == "/login?next=%2Fproducts%2FA1024"
    assert "HX-Redirect" not in plain.headers
    assert client.get("/live", headers=FROM_PAGE).status_code == 401  # polling: a bare 401


@pytest.mark.parametrize(
    "came_from",
    [
        "http://evil.example/products",
        "https://evil.example/",
        "http://localhost.evil.example/x",
        "http://localhost//evil.example/x",
        "http://localhost/\\evil.example",
        "javascript:alert(1)",
        "/products",  # not a URL as a browser sends it
        "",
    ],
)
def test_the_page_to_return_to_is_only_ever_a_path_on_this_site(app, client, make_user, came_from):
    make_user(Role.CLERK, username="li")
    response = client.get("/orders", headers={"HX-Request": "true", "HX-Current-URL": came_from})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"
