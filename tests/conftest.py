"""Fixtures shared by every tier.

Each test gets an app on a database of its own: a fresh SQLite file, or the
PostgreSQL test database emptied after the test. Tests that take the ``app``
fixture run on both databases; the PostgreSQL tier is skipped, with the reason
printed, unless ``STOCKAPP_TEST_POSTGRES`` names a server. After every test the
ledger invariant is checked: each balance equals the sum of its movements.
"""

import os

import pytest
import sqlalchemy as sa

from stockapp import create_app
from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts, catalogue, ledger

PG_ENV = "STOCKAPP_TEST_POSTGRES"
PASSWORD = "correct horse"
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


def database_url_for(kind: str, tmp_path, name: str = "test") -> str:
    """A SQLite file in ``tmp_path``, or the PostgreSQL test database (its name
    suffixed with ``_<name>`` unless ``name`` is "test"); skips the test when the
    PostgreSQL tier is off."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tier off: set {PG_ENV}=postgresql+psycopg://user@host/db")
    if name != "test":
        url = sa.make_url(url)
        url = url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    _ensure_pg_database(url)
    return url


def _ensure_pg_database(url: str) -> None:
    """Create the test database on the server when it does not exist yet."""
    target = sa.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def make_app(database_url: str, **config):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 24, "max_overflow": 8},
            "WTF_CSRF_ENABLED": False,
            # scrypt costs ~0.2 s a hash; tokens, not passwords, are what most tests need.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            **config,
        }
    )


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
        _seed_main_warehouse()
    yield app
    with app.app_context():
        db.session.remove()
        if "corrupts_ledger" not in request.keywords:
            assert ledger.discrepancies() == [], "a balance disagrees with its movements"
        db.session.remove()
        if postgres:
            names = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def _seed_main_warehouse() -> None:
    """What the first migration adds to a new database: the main warehouse and its location."""
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO warehouses (code, name) VALUES ('MAIN', '主仓库')"))
        connection.execute(
            sa.text(
                "INSERT INTO locations (warehouse_id, code, is_default) "
                "SELECT id, 'DEFAULT', true FROM warehouses WHERE code = 'MAIN'"
            )
        )


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
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


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


def on_hand(variant_id: int) -> int:
    """The balance of a variant over all locations (inside an app context)."""
    return db.session.scalar(
        sa.text("SELECT COALESCE(SUM(qty), 0) FROM balances WHERE variant_id = :v"),
        {"v": variant_id},
    )


def row_count(table: str) -> int:
    return db.session.scalar(sa.text(f"SELECT COUNT(*) FROM {table}"))
