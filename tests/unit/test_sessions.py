"""Sign-in sessions, the changes to a user that end them, the password rule, and token
expiry: the accounts service against a real database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.i18n import lazy_gettext as _l
from stockapp.models import ApiToken, Role, User, UserSession
from stockapp.services import accounts
from stockapp.services.errors import InvalidInput, NotFound
from tests.support.apps import PASSWORD

NEW_PASSWORD = "blue cotton 42"


def session_row(token: str) -> UserSession:
    db.session.rollback()  # see what the service committed
    return db.session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == accounts._token_hash(token))
    )


def move_back(token: str, **columns: timedelta) -> None:
    """Make the session's times earlier by the given amounts (the clock, moved on)."""
    row = session_row(token)
    for column, by in columns.items():
        setattr(row, column, getattr(row, column) - by)
    db.session.commit()


def sign_in(user_id: int) -> str:
    return accounts.start_session(user_id, address="10.0.0.7", user_agent="tablet")


def test_a_session_is_stored_hashed_with_where_it_came_from(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    token = sign_in(user_id)
    row = session_row(token)
    assert (row.user_id, row.address, row.user_agent, row.ended_at) == (
        user_id,
        "10.0.0.7",
        "tablet",
        None,
    )
    assert token not in row.token_hash and len(token) >= 40
    user = accounts.user_for_session(token)
    assert user.id == user_id and user.get_id() == token
    assert accounts.user_for_session("not a token") is None


def test_ending_a_session_refuses_it_and_no_other(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    first, second = sign_in(user_id), sign_in(user_id)
    accounts.end_session(first)
    assert accounts.user_for_session(first) is None
    assert session_row(first).ended_at is not None
    assert accounts.user_for_session(second).id == user_id


def test_idle_sessions_end(ctx, make_user):
    idle = ctx.config["SESSION_IDLE_SECONDS"]
    token = sign_in(make_user(Role.CLERK))
    move_back(token, last_seen_at=timedelta(seconds=idle - 120))
    assert accounts.user_for_session(token) is not None  # and this request counts as seen
    move_back(token, last_seen_at=timedelta(seconds=idle - 60))
    assert accounts.user_for_session(token) is not None
    move_back(token, last_seen_at=timedelta(seconds=idle + 1))
    assert accounts.user_for_session(token) is None


def test_sessions_end_at_their_lifetime_however_busy(ctx, make_user):
    lifetime = ctx.config["SESSION_MAX_SECONDS"]
    token = sign_in(make_user(Role.CLERK))
    move_back(token, created_at=timedelta(seconds=lifetime - 60))
    assert accounts.user_for_session(token) is not None
    move_back(token, created_at=timedelta(seconds=61))
    assert accounts.user_for_session(token) is None


def test_the_last_request_is_written_at_most_once_a_minute(ctx, make_user):
    token = sign_in(make_user(Role.CLERK))
    move_back(token, last_seen_at=timedelta(seconds=30))
    before = session_row(token).last_seen_at
    accounts.user_for_session(token)
    assert session_row(token).last_seen_at == before  # fresh enough: no write
    move_back(token, last_seen_at=timedelta(seconds=90))
    stale = session_row(token).last_seen_at
    accounts.user_for_session(token)
    assert session_row(token).last_seen_at > stale + timedelta(seconds=80)


@pytest.mark.parametrize(
    ("change", "tokens_kept"),
    [
        (lambda: accounts.set_password(username="li", password=NEW_PASSWORD), True),
        (lambda: accounts.set_role(username="li", role=Role.VIEWER), True),
        (lambda: accounts.deactivate(username="li"), False),
    ],
    ids=["password", "role", "deactivation"],
)
def test_changes_to_a_user_end_all_their_sessions(ctx, make_user, change, tokens_kept):
    user_id = make_user(Role.CLERK, username="li")
    other_user = make_user(Role.CLERK, username="wang")
    mine = [sign_in(user_id), sign_in(user_id)]
    theirs = sign_in(other_user)
    _, token = accounts.create_token("li")
    _, other_token = accounts.create_token("wang")
    assert change() == user_id
    assert [accounts.user_for_session(t) for t in mine] == [None, None]
    assert accounts.user_for_session(theirs).id == other_user
    assert (accounts.user_for_token(token) is not None) is tokens_kept
    assert accounts.user_for_token(other_token) is not None


def test_password_change_checks_the_rule_and_takes_effect(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    token = sign_in(user_id)
    with pytest.raises(InvalidInput) as refused:
        accounts.set_password(username="li", password="qwertyuiop")
    assert "password" in refused.value.errors
    assert accounts.user_for_session(token) is not None  # refused: nothing ended
    accounts.set_password(username="li", password=NEW_PASSWORD)
    assert accounts.authenticate("li", PASSWORD, address="h") is None
    assert accounts.authenticate("li", NEW_PASSWORD, address="h") == user_id
    with pytest.raises(NotFound):
        accounts.set_password(username="nobody", password=NEW_PASSWORD)


def test_role_changes_are_checked(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    with pytest.raises(InvalidInput):
        accounts.set_role(username="li", role="boss")
    with pytest.raises(NotFound):
        accounts.set_role(username="nobody", role=Role.VIEWER)
    accounts.set_role(username="li", role="manager")
    db.session.rollback()
    assert db.session.get(User, user_id).role == Role.MANAGER


def test_deactivation_and_reactivation(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    _, token = accounts.create_token("li")
    accounts.deactivate(username="li")
    assert accounts.authenticate("li", PASSWORD, address="h") is None
    accounts.reactivate(username="li")
    assert accounts.authenticate("li", PASSWORD, address="h") == user_id
    assert accounts.user_for_token(token) is None  # revoked tokens stay revoked
    with pytest.raises(NotFound):
        accounts.deactivate(username="nobody")
    with pytest.raises(NotFound):
        accounts.reactivate(username="nobody")


SHORT = _l("Use at least %(min)d characters.", min=10)
COMMON = _l("This is one of the most common passwords: choose another.")
NAME = _l("The password cannot be the user name.")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("nine char", SHORT),
        ("1234567890", COMMON),
        ("QwertyUIOP", COMMON),  # the list is matched ignoring case
        (" basketball ", COMMON),
        ("Wang.Xiao.Ming", NAME),
    ],
)
def test_the_password_rule(ctx, password, problem):
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(username="wang.xiao.ming", password=password, role="clerk")
    assert str(refused.value.errors["password"]) == str(problem)
    assert db.session.scalar(sa.text("SELECT COUNT(*) FROM users")) == 0


def test_the_common_list_holds_only_what_the_length_rule_lets_through():
    common = accounts._common_passwords()
    assert len(common) == 1780
    assert min(map(len, common)) >= accounts.MIN_PASSWORD
    assert all(p == p.casefold() for p in common)
    assert PASSWORD not in common and NEW_PASSWORD not in common


def test_tokens_expire(ctx, make_user):
    make_user(Role.CLERK, username="li")
    token_id, token = accounts.create_token("li", days=30)
    row = db.session.get(ApiToken, token_id)
    assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)
    assert accounts.user_for_token(token).username == "li"
    db.session.rollback()
    row = db.session.get(ApiToken, token_id)
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert accounts.user_for_token(token) is None
    forever_id, forever = accounts.create_token("li")
    assert db.session.get(ApiToken, forever_id).expires_at is None
    assert accounts.user_for_token(forever) is not None
    for days in (0, -1, accounts.MAX_TOKEN_DAYS + 1):
        with pytest.raises(InvalidInput):
            accounts.create_token("li", days=days)
    assert db.session.scalar(sa.text("SELECT COUNT(*) FROM api_tokens")) == 2


def test_a_tokens_last_use_is_written_at_most_once_a_minute(ctx, make_user):
    make_user(Role.CLERK, username="li")
    token_id, token = accounts.create_token("li")
    assert db.session.get(ApiToken, token_id).last_used_at is None
    accounts.user_for_token(token)
    db.session.rollback()
    first = db.session.get(ApiToken, token_id).last_used_at
    assert first is not None
    accounts.user_for_token(token)
    db.session.rollback()
    assert db.session.get(ApiToken, token_id).last_used_at == first
    db.session.get(ApiToken, token_id).last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    accounts.user_for_token(token)
    db.session.rollback()
    assert db.session.get(ApiToken, token_id).last_used_at > first - timedelta(seconds=5)
