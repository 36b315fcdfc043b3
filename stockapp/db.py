"""Database engine set-up, and the write transaction that every service runs in."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .extensions import db

# Execution option that marks a connection's transaction as one that will write.
WRITE = "stockapp_write"
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=15000")


def configure_engine(engine: Engine) -> None:
    """Make SQLite safe for several writers (FIELD-NOTES.md).

    The driver's own transaction handling is switched off and we emit BEGIN
    ourselves: ``BEGIN IMMEDIATE`` for a write transaction, so that a writer takes
    the database's write lock before it reads what it will change (no lost
    update), and a plain deferred ``BEGIN`` for reads, so pages do not queue
    behind each other. PostgreSQL needs none of this: its writes are guarded
    ``UPDATE``s and row locks taken in a fixed order.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One unit of work: everything inside commits together or not at all.

    A read transaction the request already opened (loading the user, say) is
    ended first; it holds no changes, and ending it lets the write transaction
    start with the write lock on SQLite. Any exception rolls everything back.
    """
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("a write transaction cannot start over unsaved changes")
        session.rollback()
    session.connection(execution_options={WRITE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def insert_ignoring_conflicts(session: Session, table, rows: list[dict], *conflict_columns) -> None:
    """INSERT rows, silently skipping those that collide on ``conflict_columns``."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(table).on_conflict_do_nothing(index_elements=conflict_columns), rows)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC was expected")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)
