"""The managers' users page, a user's page (role, first password, deactivate), one's own
password, API tokens made in the browser, and who may open each."""

import re

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import AuditEntry, Role, User
from stockapp.services import accounts
from tests.support.api import API, assert_problem
from tests.support.apps import PASSWORD, english_client
from tests.support.pages import HTMX, error_beside, sign_in, signed_in, text

FIRST = "hand over 2026"
OWN = "my own secret 42"


def new_user(**fields) -> dict:
    return {
        "username": "li",
        "display_name": "李娜",
        "role": "clerk",
        "password": FIRST,
        "confirm": FIRST,
    } | fields


def user_row(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def test_a_manager_adds_a_clerk_who_must_change_the_first_password(app, client, manager):
    response = client.post("/users", data=new_user(), headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/users"
    page = text(client.get("/users"))
    li = user_row(app, "li")
    assert li.role == Role.CLERK and li.display_name == "李娜" and li.must_change_password
    row = re.search(rf'<tr id="user-{li.id}">.*?</tr>', page, re.S)[0]
    assert "李娜" in row and "Clerk" in row and "Never" in row and "Active" in row
    assert "First password not yet changed" in row
    # The clerk signs in: every page sends them to their password until they change it.
    clerk = english_client(app)
    assert sign_in(clerk, "li", FIRST).status_code == 302
    for path in ("/", "/orders", "/logs/mine"):
        assert clerk.get(path).headers["Location"] == "/password"
    assert clerk.get("/", headers=HTMX).headers["HX-Redirect"] == "/password"
    assert "a first password a manager gave you" in text(clerk.get("/password"))
    wrong = clerk.post("/password", data={"current": "nope", "password": OWN, "confirm": OWN})
    assert wrong.status_code == 422
    assert error_beside(text(wrong), "current-error") == "This is not your current password."
    same = clerk.post("/password", data={"current": FIRST, "password": FIRST, "confirm": FIRST})
    assert error_beside(text(same), "password-error") == (
        "Choose a password other than the current one."
    )
    changed = clerk.post("/password", data={"current": FIRST, "password": OWN, "confirm": OWN})
    assert changed.status_code == 302
    assert clerk.get("/").status_code == 200
    assert not user_row(app, "li").must_change_password
    assert (
        "Never"
        not in re.search(rf'<tr id="user-{li.id}">.*?</tr>', text(client.get("/users")), re.S)[0]
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": ""}, "username", "Enter a user name of at most 64 characters."),
        ({"username": "x" * 65}, "username", "At most 64 characters."),
        ({"display_name": "x" * 65}, "display_name", "At most 64 characters."),
        ({"role": "boss"}, "role", "Not a valid choice."),
        ({"password": "short", "confirm": "short"}, "password", "Use at least 10 characters."),
        ({"password": "li", "confirm": "li"}, "password", "Use at least 10 characters."),
        ({"confirm": "something else"}, "confirm", "The passwords differ."),
        (
            {"password": "qwertyuiop", "confirm": "qwertyuiop"},
            "password",
            "This is one of the most common passwords: choose another.",
        ),
        ({"username": "boss"}, "username", "This user name is taken."),
    ],
)
def test_a_new_user_is_refused_beside_the_field(app, client, manager, fields, field, message):
    response = client.post("/users", data=new_user(**fields), headers=HTMX)
    assert response.status_code == 422
    assert error_beside(text(response), f"{field}-error") == message
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM users")) == 1


def test_role_display_name_and_a_reset_password(app, client, manager, make_user):
    li = make_user(Role.CLERK, username="li")
    clerk = english_client(app)
    sign_in(clerk, "li")
    assert "Display name and role" in text(client.get(f"/users/{li}"))
    saved = client.post(f"/users/{li}", data={"display_name": "Li Na", "role": "viewer"})
    assert saved.status_code == 302
    assert (user_row(app, "li").role, user_row(app, "li").display_name) == (Role.VIEWER, "Li Na")
    assert clerk.get("/").status_code == 302  # a new role: signed out
    sign_in(clerk, "li")
    bad = client.post(f"/users/{li}/password", data={"password": "x", "confirm": "x"}, headers=HTMX)
    assert bad.status_code == 422 and 'id="password-form"' in text(bad)
    assert error_beside(text(bad), "password-error") == "Use at least 10 characters."
    reset = client.post(f"/users/{li}/password", data={"password": FIRST, "confirm": FIRST})
    assert reset.status_code == 302
    assert clerk.get("/").status_code == 302  # signed out
    assert sign_in(clerk, "li", FIRST).status_code == 302
    assert clerk.get("/").headers["Location"] == "/password"
    assert client.get("/users/999").status_code == 404
    bad_role = client.post(f"/users/{li}", data={"display_name": "", "role": "boss"})
    assert bad_role.status_code == 422 and error_beside(text(bad_role), "role-error")


def test_a_deactivated_users_open_session_and_token_are_refused_next_time(
    app, client, manager, make_user
):
    li = make_user(Role.CLERK, username="li")
    clerk = english_client(app)
    sign_in(clerk, "li")
    with app.app_context():
        _, token = accounts.create_token("li")
    bearer = {"Authorization": f"Bearer {token}"}
    assert clerk.get("/").status_code == 200
    assert client.get(f"{API}/movements?sku=x", headers=bearer).status_code == 200
    response = client.post(f"/users/{li}/deactivate", headers=HTMX)
    assert response.status_code == 204
    assert "is deactivated" in text(client.get(f"/users/{li}"))
    assert clerk.get("/").status_code == 302
    assert_problem(client.get(f"{API}/movements?sku=x", headers=bearer), 401)
    assert sign_in(clerk, "li").status_code == 401
    assert client.post(f"/users/{li}/reactivate").status_code == 302
    assert sign_in(clerk, "li").status_code == 302
    assert_problem(client.get(f"{API}/movements?sku=x", headers=bearer), 401)  # stays revoked


def test_the_last_manager_cannot_demote_or_deactivate_themselves(app, client, manager):
    demoted = client.post(f"/users/{manager}", data={"role": "clerk"}, headers=HTMX)
    assert demoted.status_code == 422
    assert "boss is the last active manager" in text(demoted)
    deactivated = client.post(f"/users/{manager}/deactivate", headers=HTMX)
    assert deactivated.status_code == 204
    assert "boss is the last active manager" in text(client.get(f"/users/{manager}"))
    assert user_row(app, "boss").active and user_row(app, "boss").role == Role.MANAGER
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 1  # the creation


def test_a_token_is_made_for_a_user_and_shown_once(app, client, manager, make_user):
    make_user(Role.CLERK, username="li")
    page = text(client.get("/tokens"))
    assert "Make a token" in page and '<option value="li">' in page
    made = client.post("/tokens", data={"username": "li", "days": "30"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code class="token-text">([^<]+)</code>', text(made))[1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/movements?sku=x", headers=bearer).status_code == 200
    assert token not in text(client.get("/tokens"))
    bad = client.post("/tokens", data={"username": "nobody", "days": "99999"})
    assert bad.status_code == 422
    assert error_beside(text(bad), "username-error") == "Not a valid choice."
    assert error_beside(text(bad), "days-error") == "Enter a whole number from 0 to 3650."
    never = client.post("/tokens", data={"username": "li", "days": "0"})
    assert never.status_code == 201


@pytest.mark.parametrize("role", [Role.CLERK, Role.VIEWER])
def test_only_managers_manage_users_but_everyone_their_own_password(app, client, make_user, role):
    make_user(Role.MANAGER, username="boss")
    someone = make_user(role, username="someone")
    sign_in(client, "someone")
    for path in ("/users", f"/users/{someone}", "/audit", "/audit/export.xlsx"):
        assert client.get(path).status_code == 403, path
    for path in ("/users", f"/users/{someone}", f"/users/{someone}/password",
                 f"/users/{someone}/deactivate", "/tokens"):  # fmt: skip
        assert client.post(path, data=new_user()).status_code == 403, path
    assert client.get("/password").status_code == 200
    assert (
        client.post(
            "/password", data={"current": PASSWORD, "password": OWN, "confirm": OWN}
        ).status_code
        == 302
    )
    assert sign_in(english_client(app), "someone", OWN).status_code == 302
    client.post("/logout")
    for path in ("/users", "/password", "/audit"):
        assert client.get(path).status_code == 302  # signed out: to sign-in


def test_changing_ones_password_ends_the_other_sessions(app, client, make_user):
    make_user(Role.CLERK, username="li")
    other = english_client(app)
    sign_in(client, "li")
    sign_in(other, "li")
    response = client.post("/password", data={"current": PASSWORD, "password": OWN, "confirm": OWN})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_each_users_form_needs_the_pages_csrf_token(self, app, make_user):
        make_user(Role.MANAGER, username="boss")
        li = make_user(Role.CLERK, username="li")
        client = signed_in(app, "boss")
        for path, data in [
            ("/users", new_user(username="wang")),
            (f"/users/{li}", {"role": "viewer"}),
            (f"/users/{li}/password", {"password": FIRST, "confirm": FIRST}),
            ("/tokens", {"username": "li", "days": "1"}),
            ("/password", {"current": PASSWORD, "password": OWN, "confirm": OWN}),
        ]:
            assert client.post(path, data=data).status_code in (400, 422), path
        client.post(f"/users/{li}/deactivate")
        assert user_row(app, "li").active and user_row(app, "li").role == Role.CLERK
        with app.app_context():
            assert db.session.scalar(sa.text("SELECT COUNT(*) FROM users")) == 2
            assert db.session.scalar(sa.text("SELECT COUNT(*) FROM api_tokens")) == 0
