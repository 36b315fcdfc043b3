"""The test databases, and what tests read from them.

SQLite: a file in the test's ``tmp_path``. PostgreSQL: the database that
``STOCKAPP_TEST_POSTGRES`` names, emptied after each test.
"""

import os

import pytest
import sqlalchemy as sa

from stockapp.extensions import db

PG_ENV = "STOCKAPP_TEST_POSTGRES"


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


def seed_main_warehouse() -> None:
    """What the first migration adds to a new database: the main warehouse and its location."""
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO warehouses (code, name) VALUES ('MAIN', '主仓库')"))
        connection.execute(
            sa.text(
                "INSERT INTO locations (warehouse_id, code, is_default) "
                "SELECT id, 'DEFAULT', true FROM warehouses WHERE code = 'MAIN'"
            )
        )


def empty_pg_tables() -> None:
    """Empty every table of the app's PostgreSQL database, ids restarting at 1."""
    names = ", ".join(t.name for t in db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


# --- reading (inside an app context) --------------------------------------------------


def on_hand(variant_id: int) -> int:
    """The balance of a variant over all locations (inside an app context)."""
    return db.session.scalar(
        sa.text("SELECT COALESCE(SUM(qty), 0) FROM balances WHERE variant_id = :v"),
        {"v": variant_id},
    )


def row_count(table: str) -> int:
    return db.session.scalar(sa.text(f"SELECT COUNT(*) FROM {table}"))


def counts(app, *tables) -> tuple:
    """The row count of each of ``tables``."""
    with app.app_context():
        return tuple(row_count(t) for t in tables)
