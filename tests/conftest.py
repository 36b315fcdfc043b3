"""Fixtures shared by every tier; the helpers they use are in ``tests/support``.

Each test gets an app on a database of its own: a fresh SQLite file, or the
PostgreSQL test database emptied after the test. Tests that take the ``app``
fixture run on both databases; the PostgreSQL tier is skipped, with the reason
printed, unless ``STOCKAPP_TEST_POSTGRES`` names a server. After every test the
ledger invariant is checked: each balance equals the sum of its movements.
"""

import os

import pytest
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts, catalogue, ledger
from tests.support.apps import PASSWORD, english_client, make_app
from tests.support.db import PG_ENV, database_url_for, empty_pg_tables, seed_main_warehouse

_pg_ready = False


def pytest_report_header(config):
    pg = os.environ.get(PG_ENV)
    browser = os.environ.get("STOCKAPP_TEST_BROWSER")
    return [
        f"PostgreSQL tier: {'on, ' + pg if pg else 'off (set ' + PG_ENV + ' to a server URL)'}",
        f"browser tier: {'on' if browser else 'off (set STOCKAPP_TEST_BROWSER=1)'}",
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return database_url_for(request.param, tmp_path)


@pytest.fixture
def app_config():
    """Override in a module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url, app_config, request):
    global _pg_ready
    app = make_app(database_url, **app_config)
    postgres = database_url.startswith("postgresql")
    with app.app_context():
        # PostgreSQL: the tables are made once per run and emptied after each test.
        first_on_pg = postgres and not _pg_ready
        if first_on_pg:
            db.drop_all()
            _pg_ready = True
            request.session.addfinalizer(lambda: _drop_pg_tables(app))
        if first_on_pg or not postgres:
            db.create_all()
        seed_main_warehouse()
    yield app
    with app.app_context():
        db.session.remove()
        if "corrupts_ledger" not in request.keywords:
            assert ledger.discrepancies() == [], "a balance disagrees with its movements"
        db.session.remove()
        if postgres:
            empty_pg_tables()
        db.engine.dispose()


def _drop_pg_tables(app) -> None:
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context, for calling services directly (unit tier)."""
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    """A test client whose browser asks for English, unless a test sends its own header."""
    return english_client(app)


@pytest.fixture
def make_user(app):
    """``make_user(role)`` creates a user and returns its id."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.CLERK, username: str | None = None) -> int:
        with app.app_context():
            return accounts.create_user(
                username=username or f"{role.value}{next(counter)}", password=PASSWORD, role=role
            )

    return make


@pytest.fixture
def make_style(app):
    """``make_style(code, sizes, colours)`` creates a style; returns {sku: variant id}."""

    def make(code="A1024", sizes=("S", "M", "L"), colours=("Black",), **fields) -> dict:
        with app.app_context():
            style_id = catalogue.create_style(
                code=code,
                name=fields.pop("name", "Tee " + code),
                sizes=sizes,
                colours=colours,
                **fields,
            )
            rows = db.session.execute(
                sa.text("SELECT sku, id FROM variants WHERE style_id = :s ORDER BY id"),
                {"s": style_id},
            )
            return dict(rows.all())

    return make


@pytest.fixture
def token_for(app, make_user):
    """``token_for(role)`` creates a user of that role and returns auth headers."""

    def make(role: Role = Role.CLERK) -> dict:
        user_id = make_user(role)
        with app.app_context():
            username = db.session.scalar(
                sa.text(f"SELECT username FROM users WHERE id = {user_id}")
            )
            _, token = accounts.create_token(username)
        return {"Authorization": f"Bearer {token}"}

    return make
