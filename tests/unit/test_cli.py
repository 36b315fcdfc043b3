"""The flask commands: create-user, create-token, revoke-token, check-ledger, demo-data."""

import re

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts, receiving
from tests.support.apps import PASSWORD
from tests.support.db import row_count


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_create_user_takes_the_password_from_the_environment(app, runner, monkeypatch):
    monkeypatch.setenv("STOCKAPP_PASSWORD", PASSWORD)
    result = runner.invoke(args=["create-user", "li", "--role", "manager"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts.authenticate("li", PASSWORD, address="127.0.0.1") is not None
    again = runner.invoke(args=["create-user", "li"])
    assert again.exit_code == 1 and "username:" in again.output


def test_create_user_prompts_for_the_password(app, runner, monkeypatch):
    monkeypatch.delenv("STOCKAPP_PASSWORD", raising=False)
    result = runner.invoke(args=["create-user", "wang"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT role FROM users")) == "clerk"


def test_short_password_is_refused(app, runner, monkeypatch):
    monkeypatch.setenv("STOCKAPP_PASSWORD", "short")
    result = runner.invoke(args=["create-user", "li"])
    assert result.exit_code == 1 and "password" in result.output
    with app.app_context():
        assert row_count("users") == 0


def test_tokens_are_printed_once_and_revocable(app, runner, make_user):
    make_user(Role.CLERK, username="li")
    result = runner.invoke(args=["create-token", "li"])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    with app.app_context():
        assert accounts.user_for_token(token) is not None
    assert runner.invoke(args=["revoke-token", token]).exit_code == 0
    with app.app_context():
        assert accounts.user_for_token(token) is None
    assert runner.invoke(args=["create-token", "nobody"]).exit_code == 1
    assert runner.invoke(args=["revoke-token", "nothing"]).exit_code == 1


@pytest.mark.corrupts_ledger
def test_check_ledger_fails_on_a_corrupted_balance(app, runner, make_user, make_style):
    user = make_user(Role.CLERK)
    skus = make_style("A1024")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 5)], operator_id=user)
    clean = runner.invoke(args=["check-ledger"])
    assert clean.exit_code == 0 and "ledger OK" in clean.output
    with app.app_context():
        db.session.execute(sa.text("UPDATE balances SET qty = qty + 2"))
        db.session.commit()
    broken = runner.invoke(args=["check-ledger"])
    assert broken.exit_code == 1
    assert "A1024-Black-S @ DEFAULT: balance 7, movements sum to 5" in broken.output


@pytest.mark.corrupts_ledger
def test_check_ledger_finds_movements_without_a_balance(app, runner, make_user, make_style):
    user = make_user(Role.CLERK)
    skus = make_style("A1024")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 5)], operator_id=user)
        db.session.execute(sa.text("DELETE FROM balances"))
        db.session.commit()
    broken = runner.invoke(args=["check-ledger"])
    assert broken.exit_code == 1 and "balance 0, movements sum to 5" in broken.output


def test_demo_data_needs_a_manager_then_fills_a_believable_catalogue(app, runner, make_user):
    assert runner.invoke(args=["demo-data"]).exit_code == 1
    make_user(Role.MANAGER)
    result = runner.invoke(args=["demo-data", "--styles", "10"])
    assert result.exit_code == 0 and "added 10" in result.output
    with app.app_context():
        assert row_count("styles") == 10
        assert row_count("variants") >= 10 * 5
        kinds = set(db.session.scalars(sa.text("SELECT DISTINCT kind FROM movements")))
        assert {"inbound", "stocktake", "reversal", "allocation", "return", "write_off"} <= kinds
        states = set(db.session.scalars(sa.text("SELECT DISTINCT status FROM orders")))
        assert states == {"open", "picking", "completed"}
    assert "added 0" in runner.invoke(args=["demo-data", "--styles", "10"]).output
    with app.app_context():
        assert row_count("orders") == 5
    assert runner.invoke(args=["check-ledger"]).exit_code == 0


def test_password_role_and_deactivation_commands(app, runner, make_user, monkeypatch):
    make_user(Role.MANAGER, username="boss")  # li is not the last manager
    user_id = make_user(Role.CLERK, username="li")
    with app.app_context():
        session_token = accounts.start_session(user_id, address="h", user_agent="t")
        _, token = accounts.create_token("li")
    monkeypatch.setenv("STOCKAPP_PASSWORD", "qwertyuiop")
    refused = runner.invoke(args=["set-password", "li"])
    assert refused.exit_code == 1 and "password:" in refused.output
    monkeypatch.setenv("STOCKAPP_PASSWORD", "blue cotton 42")
    assert runner.invoke(args=["set-password", "li"]).exit_code == 0
    with app.app_context():
        assert accounts.user_for_session(session_token) is None
        assert accounts.authenticate("li", "blue cotton 42", address="h") == user_id
    assert runner.invoke(args=["set-role", "li", "--role", "manager"]).exit_code == 0
    assert runner.invoke(args=["set-role", "li", "--role", "boss"]).exit_code == 2
    with app.app_context():
        assert (
            db.session.scalar(sa.text("SELECT role FROM users WHERE username = 'li'")) == "manager"
        )
    assert runner.invoke(args=["deactivate-user", "li"]).exit_code == 0
    with app.app_context():
        assert accounts.user_for_token(token) is None
        assert accounts.authenticate("li", "blue cotton 42", address="h") is None
    assert runner.invoke(args=["reactivate-user", "li"]).exit_code == 0
    with app.app_context():
        assert accounts.authenticate("li", "blue cotton 42", address="h") == user_id
    for command in ("set-password", "deactivate-user", "reactivate-user"):
        assert runner.invoke(args=[command, "nobody"]).exit_code == 1


def test_tokens_expire_after_the_days_given_and_are_listed(app, runner, make_user):
    make_user(Role.CLERK, username="li")
    yearly = runner.invoke(args=["create-token", "li"])
    assert yearly.exit_code == 0 and "expires in 365 days" in yearly.stderr
    forever = runner.invoke(args=["create-token", "li", "--days", "0"])
    assert "never expires" in forever.stderr
    assert runner.invoke(args=["create-token", "li", "--days", "-1"]).exit_code == 2
    assert runner.invoke(args=["revoke-token", "1"]).exit_code == 0
    with app.app_context():
        expiry = db.session.execute(
            sa.text("SELECT expires_at, created_at FROM api_tokens ORDER BY id")
        ).all()
    assert expiry[1][0] is None and expiry[0][0] is not None
    listing = runner.invoke(args=["list-tokens"]).output.splitlines()
    assert listing[0].split()[:3] == ["id", "user", "state"]
    assert [line.split()[:3] for line in listing[1:]] == [
        ["2", "li", "live"],
        ["1", "li", "revoked"],
    ]
    assert listing[1].rstrip().endswith("-")  # token 2 never expires
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d$", listing[2])  # token 1 does
