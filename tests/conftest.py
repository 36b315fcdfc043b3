"""Fixtures shared by every tier; the helpers they use are in ``tests/support``.

Each test gets an app on a database of its own: a fresh SQLite file, or a
PostgreSQL database emptied after the test. Tests that take the ``app`` fixture
run on both databases; the PostgreSQL tier is skipped, with the reason printed,
unless ``STOCKAPP_TEST_POSTGRES`` names a server. On it each xdist worker has
databases of its own, named after the URL's database, the run and the worker,
and dropped when the session ends. After every test the ledger invariant is
checked: each balance equals the sum of its movements.
"""

import contextlib
import os
import shutil

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import accounts, catalogue, ledger
from stockapp.services.warehouses import MAIN_WAREHOUSE_CACHE
from tests.support.apps import PASSWORD, english_client, make_app
from tests.support.db import (
    PG_ENV,
    PG_OFF,
    PostgresDatabases,
    empty_pg_tables,
    seed_main_warehouse,
    sqlite_url,
)


def pytest_report_header(config):
    pg = os.environ.get(PG_ENV)
    browser = os.environ.get("STOCKAPP_TEST_BROWSER")
    return [
        f"PostgreSQL tier: {'on, ' + pg if pg else 'off (set ' + PG_ENV + ' to a server URL)'}",
        f"browser tier: {'on' if browser else 'off (set STOCKAPP_TEST_BROWSER=1)'}",
    ]


@pytest.fixture(scope="session")
def postgres_databases(testrun_uid, worker_id):
    """This worker's PostgreSQL databases (None while the tier is off), dropped at the
    end of the session. ``testrun_uid`` and ``worker_id`` come from pytest-xdist
    (``master`` when the run is not distributed)."""
    server = os.environ.get(PG_ENV)
    if not server:
        yield None
        return
    databases = PostgresDatabases(server, run=f"{testrun_uid[:8]}_{worker_id}")
    yield databases
    databases.drop()


@pytest.fixture
def database_url_for(tmp_path, postgres_databases):
    """``database_url_for(kind, name="test")``: a SQLite file in ``tmp_path``, or this
    worker's PostgreSQL database (another one of its own for another ``name``); skips
    the test when the PostgreSQL tier is off."""

    def url_for(kind: str, name: str = "test") -> str:
        if kind == "sqlite":
            return sqlite_url(tmp_path, name)
        if postgres_databases is None:
            pytest.skip(PG_OFF)
        return postgres_databases.url(name)

    return url_for


@pytest.fixture(scope="session")
def sqlite_app_file(tmp_path_factory):
    """The file of the ``app`` fixture's SQLite database: one per worker, made afresh for
    each test (``app``)."""
    return tmp_path_factory.mktemp("app") / "app.sqlite"


@pytest.fixture
def app_database_url(database_url_for, sqlite_app_file):
    """``app_database_url(kind)``: the URL of the database the ``app`` fixture runs on,
    this worker's own SQLite file or PostgreSQL database."""

    def url_for(kind: str) -> str:
        return f"sqlite:///{sqlite_app_file}" if kind == "sqlite" else database_url_for(kind)

    return url_for


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, app_database_url):
    return app_database_url(request.param)


@pytest.fixture
def app_config():
    """Override in a module to change the app's configuration."""
    return {}


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """A SQLite file with every table, made once per worker: each test's database
    starts as a copy of it (``create_all`` took 40–65 ms a test)."""
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        db.engine.dispose()  # the last connection to close folds the WAL into the file
    return path


@pytest.fixture(scope="session")
def kept_apps():
    """This worker's apps, one per database and configuration, each with the
    configuration it was built with. Building an app took 70 ms (its routes compile),
    and a new engine compiles every statement again: a test gets a kept app instead,
    on a database made afresh, its configuration put back after it."""
    return {}


@pytest.fixture
def app(database_url, app_config, postgres_databases, sqlite_schema, kept_apps, request):
    postgres = database_url.startswith("postgresql")
    if not postgres:
        fresh_sqlite(sqlite_schema, make_url(database_url).database)
    key = (database_url, repr(sorted(app_config.items())))
    if key not in kept_apps:
        app = make_app(database_url, **app_config)
        kept_apps[key] = app, dict(app.config)
    app, config = kept_apps[key]
    with app.app_context():
        # PostgreSQL: the tables are made once per database and emptied after each test.
        if postgres and database_url not in postgres_databases.with_tables:
            db.drop_all()  # a database kept from a run with the same id (--testrunuid)
            db.create_all()
            postgres_databases.with_tables.add(database_url)
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
    app.config.clear()
    app.config.update(config)
    app.extensions.pop(MAIN_WAREHOUSE_CACHE, None)  # the next database's ids


def fresh_sqlite(schema, database: str) -> None:
    """``database`` as a copy of the ``schema`` file, private as the app makes it, and
    without the WAL of the test before.

    The copy is a new file put in the old one's place, never the old file rewritten: a
    connection of the test before may still be open (a request the live server was
    answering when its test ended goes back to the pool the teardown let go), and SQLite
    shares one file's locks and shared memory between all the connections a process has
    to it, so the next test's connections would share that one's deleted -shm and fail
    with "disk I/O error"."""
    for leftover in (f"{database}-wal", f"{database}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)
    copy = f"{database}.new"
    os.chmod(shutil.copyfile(schema, copy), 0o600)
    os.replace(copy, database)


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
