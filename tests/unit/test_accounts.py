"""Users, password checks, the failed-login throttle and API tokens."""

from datetime import timedelta

import pytest

from stockapp.extensions import db
from stockapp.models import LoginThrottle, Role, User
from stockapp.services import accounts
from stockapp.services.errors import InvalidInput, LoginThrottled, NotFound
from tests.support.apps import PASSWORD
from tests.support.db import row_count

# The address the unit tests sign in from.
HERE = "10.0.0.7"


def test_passwords_are_hashed_and_checked(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    assert PASSWORD not in db.session.get(User, user_id).password_hash
    assert accounts.authenticate("li", PASSWORD, address=HERE) == user_id
    assert accounts.authenticate("li", "wrong password", address=HERE) is None
    assert accounts.authenticate("nobody", PASSWORD, address=HERE) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("", PASSWORD, "clerk", "username"),
        ("x" * 65, PASSWORD, "clerk", "username"),
        ("li", "short", "clerk", "password"),
        ("li", PASSWORD, "boss", "role"),
    ],
)
def test_invalid_users_are_refused(ctx, username, password, role, field):
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(username=username, password=password, role=role)
    assert field in refused.value.errors and row_count("users") == 0


def test_user_names_are_unique(ctx, make_user):
    make_user(Role.CLERK, username="li")
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(username="li", password=PASSWORD, role="viewer")
    assert "username" in refused.value.errors


def test_first_manager_only_on_first_run(ctx):
    user_id = accounts.create_first_manager(username="boss", password=PASSWORD)
    assert db.session.get(User, user_id).role == Role.MANAGER
    with pytest.raises(InvalidInput):
        accounts.create_first_manager(username="second", password=PASSWORD)
    assert row_count("users") == 1


def test_roles_rank():
    assert Role.MANAGER.rank > Role.CLERK.rank > Role.VIEWER.rank


def test_failed_logins_lock_the_name_with_growing_waits(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    free = ctx.config["LOGIN_FREE_ATTEMPTS"]
    for _ in range(free - 1):
        assert accounts.authenticate("li", "bad", address=HERE) is None
    assert db.session.get(LoginThrottle, (HERE, "li")).locked_until is None
    accounts.authenticate("li", "bad", address=HERE)
    with pytest.raises(LoginThrottled) as locked:
        accounts.authenticate("li", PASSWORD, address=HERE)  # even the right password waits
    first_wait = locked.value.seconds
    assert 0 < first_wait <= ctx.config["LOGIN_LOCKOUT_SECONDS"] + 1
    # Let the lock run out, fail once more: the wait doubles.
    throttle = db.session.get(LoginThrottle, (HERE, "li"))
    throttle.locked_until -= timedelta(hours=1)
    db.session.commit()
    accounts.authenticate("li", "bad", address=HERE)
    with pytest.raises(LoginThrottled) as locked:
        accounts.authenticate("li", PASSWORD, address=HERE)
    assert locked.value.seconds > first_wait
    throttle = db.session.get(LoginThrottle, (HERE, "li"))
    throttle.locked_until -= timedelta(hours=1)
    db.session.commit()
    assert accounts.authenticate("li", PASSWORD, address=HERE) == user_id
    assert db.session.get(LoginThrottle, (HERE, "li")) is None


def test_inactive_users_cannot_sign_in(ctx, make_user):
    user_id = make_user(Role.CLERK, username="gone")
    db.session.get(User, user_id).active = False
    db.session.commit()
    assert accounts.authenticate("gone", PASSWORD, address=HERE) is None


def test_tokens_are_hashed_and_revocable(ctx, make_user):
    make_user(Role.CLERK, username="li")
    token_id, token = accounts.create_token("li")
    assert accounts.user_for_token(token).username == "li"
    stored = db.session.execute(db.text("SELECT token_hash FROM api_tokens")).scalar()
    assert token not in stored
    assert accounts.revoke_token(str(token_id)) == token_id
    assert accounts.user_for_token(token) is None
    _, second = accounts.create_token("li")
    accounts.revoke_token(second)
    assert accounts.user_for_token(second) is None
    with pytest.raises(NotFound):
        accounts.revoke_token("no-such-token")
    with pytest.raises(NotFound):
        accounts.create_token("nobody")


def test_the_role_a_token_signed_in_with_serves_the_request_and_follows_a_change(ctx, make_user):
    """The quick inbound asks whether its operator is a manager: for the request's own
    user the answer comes from the query that signed the request in."""
    li = make_user(Role.CLERK, username="li")
    boss = make_user(Role.MANAGER, username="boss")
    _, token = accounts.create_token("li")
    accounts.user_for_token(token)
    statements = []

    def seen(_conn, _cursor, statement, *_):
        statements.append(statement)

    db.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert accounts.role_of(li) == Role.CLERK
    finally:
        db.event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []
    accounts.change_user(username="li", role=Role.MANAGER, actor_id=boss)
    assert accounts.role_of(li) == Role.MANAGER
    assert accounts.role_of(boss) == Role.MANAGER  # not signed in here: read from its row
    assert accounts.role_of(10_000) is None


class TestProductionHashing:
    @pytest.fixture
    def app_config(self):
        return {"PASSWORD_HASH_METHOD": "scrypt"}

    def test_passwords_are_hashed_with_scrypt_by_default(self, ctx, make_user):
        from stockapp.config import Defaults

        assert Defaults.PASSWORD_HASH_METHOD == "scrypt"
        user_id = make_user(Role.CLERK, username="li")
        assert db.session.get(User, user_id).password_hash.startswith("scrypt:")
        assert accounts.authenticate("li", PASSWORD, address=HERE) == user_id
        assert accounts.authenticate("nobody", PASSWORD, address=HERE) is None


def test_two_first_runs_at_once_make_one_manager(app):
    import threading

    barrier = threading.Barrier(4)
    outcomes = []

    def set_up(n: int) -> None:
        with app.test_request_context():
            barrier.wait()
            try:
                outcomes.append(
                    accounts.create_first_manager(username=f"boss{n}", password=PASSWORD)
                )
            except InvalidInput as refused:
                outcomes.append(str(refused.detail))

    threads = [threading.Thread(target=set_up, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1
    with app.app_context():
        assert row_count("users") == 1


def test_a_lock_out_holds_one_address_only(ctx, make_user):
    user_id = make_user(Role.MANAGER, username="boss")
    for _ in range(ctx.config["LOGIN_FREE_ATTEMPTS"]):
        assert accounts.authenticate("boss", "guess", address="10.0.0.66") is None
    with pytest.raises(LoginThrottled):
        accounts.authenticate("Boss", PASSWORD, address="10.0.0.66")
    assert accounts.authenticate("boss", PASSWORD, address="10.0.0.7") == user_id


def test_guessing_across_names_from_one_address_is_limited(ctx, make_user):
    user_id = make_user(Role.MANAGER, username="boss")
    for n in range(ctx.config["LOGIN_ADDRESS_FREE_ATTEMPTS"]):
        assert accounts.authenticate(f"name{n}", "guess", address="10.0.0.66") is None
    with pytest.raises(LoginThrottled) as locked:
        accounts.authenticate("boss", PASSWORD, address="10.0.0.66")
    assert 0 < locked.value.seconds <= ctx.config["LOGIN_LOCKOUT_SECONDS"]
    # The refused attempt claimed nothing for the name.
    assert db.session.get(LoginThrottle, ("10.0.0.66", "boss")) is None
    assert accounts.authenticate("boss", PASSWORD, address="10.0.0.7") == user_id


def test_a_success_clears_the_name_and_gives_the_address_its_attempt_back(ctx, make_user):
    user_id = make_user(Role.CLERK, username="li")
    for _ in range(2):
        accounts.authenticate("li", "bad", address=HERE)
    accounts.authenticate("wang", "bad", address=HERE)
    assert accounts.authenticate("li", PASSWORD, address=HERE) == user_id
    db.session.rollback()
    assert db.session.get(LoginThrottle, (HERE, "li")) is None
    assert db.session.get(LoginThrottle, (HERE, "")).failures == 3
    assert db.session.get(LoginThrottle, (HERE, "wang")).failures == 1


def test_counts_are_forgotten_a_day_after_the_last_attempt(ctx, make_user):
    make_user(Role.CLERK, username="li")
    for _ in range(ctx.config["LOGIN_FREE_ATTEMPTS"] - 1):
        accounts.authenticate("li", "bad", address=HERE)
    db.session.rollback()
    for key in ((HERE, "li"), (HERE, "")):
        db.session.get(LoginThrottle, key).last_attempt_at -= timedelta(days=1, seconds=1)
    db.session.commit()
    accounts.authenticate("li", "bad", address=HERE)
    db.session.rollback()
    assert db.session.get(LoginThrottle, (HERE, "li")).failures == 1
    assert db.session.get(LoginThrottle, (HERE, "")).failures == 1


def test_long_waits_are_given_in_minutes(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "in 45 seconds" in str(LoginThrottled(45).detail)
        assert "in 15 minutes" in str(LoginThrottled(900).detail)
