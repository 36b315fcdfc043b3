"""The test databases, and what tests read from them.

SQLite: a file in the test's ``tmp_path``. PostgreSQL: databases of this test run
and xdist worker on the server that ``STOCKAPP_TEST_POSTGRES`` names, so that
workers, and runs from other work trees, never share one.
"""

import flask_migrate
import sqlalchemy as sa

from stockapp.extensions import db
from stockapp.models import Balance
from stockapp.services import moves, purchasing, receiving, suppliers, warehouses

PG_ENV = "STOCKAPP_TEST_POSTGRES"
PG_OFF = f"PostgreSQL tier off: set {PG_ENV}=postgresql+psycopg://user@host/db"


def placed_po(skus: dict, manager: int) -> int:
    """PO-1 from 广州服装厂 for A1024 Black S 6, M 4, placed (in an app context); its id."""
    supplier = suppliers.save(name="广州服装厂", contact="陈生", phone="020-1234")
    return purchasing.create(
        number="PO-1",
        supplier_id=supplier,
        lines=[
            purchasing.OrderedLine(skus["A1024-Black-S"], 6),
            purchasing.OrderedLine(skus["A1024-Black-M"], 4),
        ],
        operator_id=manager,
        place=True,
    )["id"]


def into_a_bin_and_quarantine(variant_id: int, operator_id: int) -> int:
    """Set-up in MAIN: a bin A-01 and a quarantine bin Q-1; one piece of the variant
    moved from the default location to A-01, two damaged ones received into Q-1. The
    id of A-01."""
    main = warehouses.main_warehouse_id()
    a01 = warehouses.create_location(warehouse_id=main, code="A-01")
    warehouses.create_location(warehouse_id=main, code="Q-1", is_quarantine=True)
    moves.move(
        from_location_id=warehouses.default_location_id(),
        to_location_id=a01,
        lines=[(variant_id, 1)],
        operator_id=operator_id,
    )
    receiving.create(
        lines=[receiving.ArrivedLine(variant_id, 0, damaged=2)],
        operator_id=operator_id,
        submit=True,
    )
    return a01


def sqlite_url(tmp_path, name: str = "test") -> str:
    return f"sqlite:///{tmp_path / f'{name}.sqlite'}"


class PostgresDatabases:
    """The PostgreSQL databases of one session: ``<database>_<run>`` for the app
    fixture and ``<database>_<run>_<name>`` for each other one a test asks for, where
    ``<database>`` is the server URL's and ``<run>`` the run id and worker
    (``stockapp_test_1a2b3c4d_gw0``). Each is created the first time it is asked
    for, and ``drop()`` drops them all."""

    def __init__(self, server_url: str, run: str):
        self.server = sa.make_url(server_url)
        self.base = f"{self.server.database or 'stockapp_test'}_{run}"
        self.created: list[str] = []
        # URLs whose tables the app fixture has made (once per database and session).
        self.with_tables: set[str] = set()

    def url(self, name: str = "test") -> str:
        database = self.base if name == "test" else f"{self.base}_{name}"
        # PostgreSQL would cut a longer name short, and two workers could meet in it.
        assert len(database.encode()) <= 63, f"database name too long: {database}"
        if database not in self.created:
            self._create(database)
            self.created.append(database)
        return self.server.set(database=database).render_as_string(hide_password=False)

    def drop(self) -> None:
        """Drop every database this session made, whoever is still connected to it."""
        with self._maintenance() as connection:
            for database in self.created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        self.created.clear()

    def _create(self, database: str) -> None:
        """Create ``database`` on the server when it does not exist yet."""
        with self._maintenance() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{database}"'))

    def _maintenance(self):
        """A connection to the server's ``postgres`` database, outside any transaction
        (CREATE and DROP DATABASE cannot run in one)."""
        engine = sa.create_engine(
            self.server.set(database="postgres"),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        return engine.connect()


def seed_main_warehouse() -> None:
    """What the migrations add to a new database: the main warehouse and its locations."""
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO warehouses (code, name) VALUES ('MAIN', '主仓库')"))
        connection.execute(
            sa.text(
                "INSERT INTO locations (warehouse_id, code, is_default) "
                "SELECT id, 'DEFAULT', true FROM warehouses WHERE code = 'MAIN'"
            )
        )
        # And 0015's transit location (在途), which every warehouse has.
        connection.execute(
            sa.text(
                "INSERT INTO locations (warehouse_id, code, is_default, is_transit) "
                "SELECT id, '~TRANSIT', false, true FROM warehouses WHERE code = 'MAIN'"
            )
        )


def stamp_head(app) -> None:
    """Record the newest schema revision in ``app``'s database, as ``db upgrade`` does on
    a real one (the test databases are made by ``create_all``)."""
    with app.app_context():
        flask_migrate.stamp()


def empty_pg_tables() -> None:
    """Empty every table of the app's PostgreSQL database, ids restarting at 1.

    A request a test's server was still answering when the test ended would hold a lock
    that the emptying waits for (and deadlock with it): its connection is ended first,
    so that it neither stops the emptying nor writes after it. DELETE, children first,
    and a restart of the sequences that were used: a test's few rows go in a few ms,
    where TRUNCATE of every table took 70.
    """
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        used = connection.execute(
            sa.text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                "FROM pg_sequences WHERE last_value IS NOT NULL"
            )
        ).scalars()
        statements = [f"DELETE FROM {t.name}" for t in reversed(db.metadata.sorted_tables)]
        statements += [f"ALTER SEQUENCE {sequence} RESTART" for sequence in used]
        connection.exec_driver_sql("; ".join(statements))


# --- reading (inside an app context) --------------------------------------------------


def on_hand(variant_id: int) -> int:
    """The balance of a variant over all locations (inside an app context)."""
    total = db.session.scalar(
        sa.text("SELECT COALESCE(SUM(qty), 0) FROM balances WHERE variant_id = :v"),
        {"v": variant_id},
    )
    return int(total)  # PostgreSQL sums BIGINT as a numeric


def held(variant_id: int, location_id: int) -> int:
    """The pieces of a variant in one location (0 without a balance row)."""
    return (
        db.session.scalar(
            sa.select(Balance.qty).where(
                Balance.variant_id == variant_id, Balance.location_id == location_id
            )
        )
        or 0
    )


def written() -> tuple[int, int, int]:
    """Documents, movements and idempotency records: what a refusal must leave as it was."""
    return row_count("documents"), row_count("movements"), row_count("idempotency_records")


def row_count(table: str) -> int:
    return db.session.scalar(sa.text(f"SELECT COUNT(*) FROM {table}"))


def counts(app, *tables) -> tuple:
    """The row count of each of ``tables``."""
    with app.app_context():
        return tuple(row_count(t) for t in tables)


def insert_wide_style(code: str, sizes: int) -> list[int]:
    """A style of ``sizes`` variants (one colour, sizes 0, 1, …), inserted in bulk (inside
    an app context); their ids."""
    style_id = db.session.execute(
        sa.text(
            "INSERT INTO styles (code, name, category, unit, active, created_at) "
            "VALUES (:code, 'Wide', '', '', true, '2026-12-01 08:00') RETURNING id"
        ),
        {"code": code},
    ).scalar_one()
    db.session.execute(
        sa.text(
            "INSERT INTO variants (style_id, colour, colour_rank, size, size_rank, sku, archived)"
            " VALUES (:s, '', 0, :size, :rank, :sku, false)"
        ),
        [{"s": style_id, "size": str(n), "rank": n, "sku": f"{code}-{n}"} for n in range(sizes)],
    )
    db.session.commit()
    return list(
        db.session.scalars(
            sa.text("SELECT id FROM variants WHERE style_id = :s ORDER BY id"), {"s": style_id}
        )
    )
