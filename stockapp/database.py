"""Database engine set-up, and the write transaction that every service runs in."""

import contextlib
import fcntl
import os
import random
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    any_,
    bindparam,
    column,
    event,
    exc,
    func,
    insert,
    literal,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator

from .extensions import db

# Execution option that marks a connection's transaction as one that will write.
WRITE = "stockapp_write"
# Connection info keys: the writer-queue lock file, and whether it is held.
LOCK_FD = "stockapp_lock_fd"
LOCK_HELD = "stockapp_lock_held"
# Session info key: how deep inside write_transaction() the code now runs.
NESTING = "stockapp_write_depth"
# Session info key: the connection of the session's transaction, while it lasts.
CONNECTION = "stockapp_connection"
# Session info key: the transaction changes stock, reservations or picks.
STOCK_CHANGED = "stockapp_stock_changed"
# How many rows the stock version is spread over (models.StockVersion).
VERSION_SHARDS = 16
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=15000")


def configure_engine(engine: Engine) -> None:
    """Make SQLite safe and quick for several writers.

    Measured with 16 writers on one row: with the driver's default transaction
    handling the read before a write runs outside the transaction and thousands of
    updates were lost; with what follows, none were and none saw "database is locked".

    The driver's own transaction handling is switched off and we emit BEGIN
    ourselves: ``BEGIN IMMEDIATE`` for a write transaction, so that a writer takes
    the database's write lock before it reads what it will change (no lost
    update). Reads run without a transaction, as on PostgreSQL: each statement
    reads one snapshot of its own (WAL: no reader waits for a writer), and a write
    request's reads before its work need no BEGIN and no ROLLBACK, and their
    connection becomes the write transaction's (``write_transaction``). Writers
    first queue on an exclusive ``flock`` of a file
    beside the database: the kernel wakes the next writer the moment the last
    one ends, where SQLite's busy handler would sleep in steps of up to 100 ms
    and leave the lock idle. PostgreSQL needs none of this: its writes are
    guarded ``UPDATE``s and row locks taken in a fixed order.
    """
    if engine.dialect.name == "postgresql":
        # Reads run without a transaction: at PostgreSQL's READ COMMITTED every
        # statement takes its own snapshot inside one anyway, so BEGIN and the
        # ROLLBACK the pool sends on check-in were two round trips of nothing. A
        # write transaction asks for one (``_WRITE_OPTIONS``).
        engine.update_execution_options(isolation_level="AUTOCOMMIT")
        return
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    lock_path = f"{database}-writelock" if database and database != ":memory:" else None
    if lock_path:
        create_private_sqlite_file(Path(database))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        if lock_path:
            record.info[LOCK_FD] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection, record):
        if LOCK_FD in record.info:
            os.close(record.info.pop(LOCK_FD))  # closing also drops a lock still held

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(WRITE):
            _begin_immediate(connection)

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        _end_then_release(connection, "commit")

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        _end_then_release(connection, "rollback")

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection, record, _state):
        _release_write_lock(record.info)  # a connection never goes back to the pool locked


def create_private_sqlite_file(database: Path) -> None:
    """Create the SQLite file 0600 (and a missing folder 0700) before SQLite would.

    The file holds password hashes, and SQLite gives its -wal and -shm files the
    mode of the database file: created by SQLite itself, all three would be
    readable by every user of the machine (0644).
    """
    if database.exists():
        return
    if not database.parent.exists():
        database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another worker made it a moment ago
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _begin_immediate(connection: Connection) -> None:
    """SQLite: queue for the write lock, then take it (``BEGIN IMMEDIATE``)."""
    _take_write_lock(connection.info)
    try:
        _BEGIN_IMMEDIATE.execute(connection)
    except BaseException:
        _release_write_lock(connection.info)
        raise


def _take_write_lock(info: dict) -> None:
    if LOCK_FD in info:
        fcntl.flock(info[LOCK_FD], fcntl.LOCK_EX)
        info[LOCK_HELD] = True


def _end_then_release(connection: Connection, ending: str) -> None:
    """End a write transaction in the driver, then let the next writer in.

    The engine's commit and rollback events fire before the driver's commit or
    rollback. Released there, the flock lets the next writer's ``BEGIN
    IMMEDIATE`` run into the write lock SQLite still holds, and SQLite's busy
    handler sleeps a whole millisecond at least: measured with 16 clients, 42 % of
    the writes waited so, with the lock idle. So the transaction ends here, and
    the driver's own call that follows finds none left to end (a no-op).
    """
    if not connection.info.get(LOCK_HELD):
        return
    try:
        getattr(connection.connection.dbapi_connection, ending)()
    except Exception:
        # Left to the driver's call that follows, which raises it as SQLAlchemy's
        # error; the lock then goes with the rollback, or with the pool's reset.
        return
    _release_write_lock(connection.info)


def _release_write_lock(info: dict) -> None:
    if info.pop(LOCK_HELD, False):
        fcntl.flock(info[LOCK_FD], fcntl.LOCK_UN)


def begin_write() -> None:
    """Open the session's transaction as a write transaction, before anything reads.

    For a request that will write: its checks and its writes then share one
    transaction (one snapshot), and the ``write_transaction()`` of the service it
    calls joins this one instead of starting another.
    """
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options=_write_options(session.get_bind().dialect.name))


def _write_options(dialect: str) -> dict:
    """The execution options of a write transaction's connection."""
    if dialect == "postgresql":
        return {WRITE: True, "isolation_level": "READ COMMITTED"}
    return {WRITE: True}


def begin_request_write() -> None:
    """Open a write request's transaction up front, where that holds no one up.

    On PostgreSQL a transaction locks only the rows it writes, so the request's
    checks and writes share one transaction (one snapshot, no second BEGIN).
    On SQLite a write transaction locks the whole database, so it starts only
    when the work does, in ``write_transaction()``.
    """
    if db.engine.dialect.name != "sqlite":
        begin_write()


def in_write_transaction() -> bool:
    session = db.session()
    return session.in_transaction() and bool(
        session.connection().get_execution_options().get(WRITE)
    )


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One unit of work: everything inside commits together or not at all.

    It joins a write transaction the request already opened (``begin_write``).
    What the request read before (loading the user, say) holds no changes: on
    SQLite, where reads run outside a transaction, the same connection takes the
    write lock and begins the write transaction; on PostgreSQL the read
    connection goes back and a write transaction's is taken. Nested, the inner
    one is part of the outer: only the outermost commits. Any exception rolls
    everything back.
    """
    session = db.session()
    if session.info.get(NESTING):
        session.info[NESTING] += 1
        try:
            yield session
        finally:
            session.info[NESTING] -= 1
        return
    if session.in_transaction() and not in_write_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("a write transaction cannot start over unsaved changes")
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{WRITE: True})
            _begin_immediate(connection)
        else:
            session.rollback()
    begin_write()
    session.info[NESTING] = 1
    try:
        yield session
        if session.info.pop(STOCK_CHANGED, False):
            _bump_stock_version(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info[NESTING] = 0
        session.info.pop(STOCK_CHANGED, None)


def mark_stock_changed() -> None:
    """Note that this transaction changes what the live counts show (stock,
    reservations, picks, or what waits for a manager: the header's to-do).

    The stock version rises once, just before the commit: on PostgreSQL its row
    is then locked only for the commit itself.
    """
    db.session().info[STOCK_CHANGED] = True


_versions = table("stock_versions", column("shard"), column("n"))


def _bump_stock_version(session: Session) -> None:
    statement = _bump_statement(session.get_bind().dialect.name)
    run(statement, {"shard": version_shard()})


def version_shard() -> int:
    """The counter row a transaction moves the stock version on by (the ``shard``
    parameter of ``stock_version_bump``): one of ``VERSION_SHARDS``, at random, so that
    concurrent writers seldom wait for each other's."""
    return random.randrange(VERSION_SHARDS)


def stock_version_bump(dialect: str, when=None):
    """The statement that moves the stock version on by one (parameter ``shard``).
    ``when``: a selectable (a CTE of the same statement, say); the version moves only
    if it has a row. For a PostgreSQL statement that changes stock and moves the
    version in the same round trip (``ledger``), which then need not mark the
    transaction (``mark_stock_changed``)."""
    values = select(bindparam("shard", type_=Integer), literal(1, Integer))
    bump = upsert(dialect)(_versions)
    bump = (
        bump.values(shard=bindparam("shard"), n=1)
        if when is None
        else bump.from_select(["shard", "n"], values.select_from(when).limit(1))
    )
    return bump.on_conflict_do_update(index_elements=["shard"], set_={"n": _versions.c.n + 1})


@cache
def _bump_statement(dialect: str):
    return Prepared(stock_version_bump(dialect))


def run(statement, params=None):
    """Run a Core statement on the session's connection, in its transaction.

    For the hot paths: it skips the ORM's per-statement work, which costs more
    than the statement itself on SQLite, and finds the transaction's connection
    where ``_remember_connection`` left it rather than asking the session again.
    A ``Prepared`` statement goes to the driver's cursor directly.
    """
    session = db.session()
    connection = session.info.get(CONNECTION) or session.connection()
    if type(statement) is Prepared:
        return statement.execute(connection, params)
    return connection.execute(statement, params)


class Prepared:
    """A Core statement built once, for a hot path, that ``run()`` sends to the
    driver's cursor itself.

    SQLAlchemy's own execute costs several times the statement on SQLite (measured:
    26 µs against 5 for a one-row SELECT by a unique key), most of it the work of
    finding the compiled form in its cache, building an execution context and
    wrapping the result, all alike on every call of a statement that never changes.
    Here that is done once per dialect and set of parameter names (``_Plan``); each
    call converts the parameters and the rows with the very type processors
    SQLAlchemy would use, fires the engine's cursor events (the tests watch them),
    and raises the driver's errors as SQLAlchemy's (``IntegrityError`` …), a lost
    connection invalidated as SQLAlchemy would. The result (``Rows``) has the
    methods the hot paths use. A statement that needs SQLAlchemy's rendering at each
    execution (an expanding IN: use ``in_list``) is refused when first planned.
    """

    __slots__ = ("_plans", "statement")

    def __init__(self, statement):
        self.statement = statement
        self._plans = {}

    def execute(self, connection: Connection, params=None) -> "Rows":
        if isinstance(params, list) and len(params) == 1:
            params = params[0]  # the driver's executemany costs more than one execute
        many = isinstance(params, list)
        given = (params[0] if params else {}) if many else (params or {})
        dialect = connection.dialect
        key = (dialect.name, tuple(given))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(self.statement, dialect, tuple(given), many)
        fairy = connection.connection
        cursor = fairy.dbapi_connection.cursor()
        sent = [plan.bind(row) for row in params] if many else plan.bind(given)
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, plan.sql, sent, None, many)
        try:
            if many:
                cursor.executemany(plan.sql, sent)
            else:
                cursor.execute(plan.sql, sent)
            rows = plan.rows(cursor) if cursor.description else []
            count = cursor.rowcount
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            lost = dialect.is_disconnect(error, fairy.dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                plan.sql,
                sent,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        cursor.close()
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(connection, cursor, plan.sql, sent, None, many)
        return Rows(rows, count)


class _Plan:
    """A ``Prepared`` statement compiled for one dialect and set of parameter names:
    its SQL, how to turn a parameter dict into what the driver takes, and how to turn
    the driver's rows into named rows of Python values."""

    __slots__ = ("bind", "rows", "sql")

    def __init__(self, statement, dialect, names: tuple[str, ...], many: bool):
        compiled = statement.compile(dialect=dialect, column_keys=list(names), for_executemany=many)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a Prepared statement takes no expanding parameters (in_list)")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a Prepared write is given every column that has a Python default")
        self.sql = compiled.string
        binds = compiled.binds
        fixed = {}  # the values the statement itself holds, converted once
        given = []  # (bind name, parameter key, processor) of the values each call gives
        for name, bind in binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.key in names or bind.required:
                given.append((name, bind.key, processor))
            else:
                value = bind.effective_value
                fixed[name] = processor(value) if processor else value
        order = compiled.positiontup

        def convert(params: dict) -> dict:
            out = dict(fixed)
            for name, key, processor in given:
                value = params[key]
                out[name] = processor(value) if processor else value
            return out

        if order is None:
            self.bind = convert
        else:
            self.bind = lambda params: tuple(map(convert(params).__getitem__, order))
        self.rows = _row_reader(statement, dialect)


def _row_reader(statement, dialect):
    """The reader of a statement's rows: named tuples of Python values, the columns'
    result processors applied (aware UTC datetimes, booleans on SQLite …)."""
    columns = list(statement.exported_columns) if hasattr(statement, "exported_columns") else []
    processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
    shape = {}

    def read(cursor) -> list:
        found = cursor.fetchall()
        if "row" not in shape:
            names = [d[0] for d in cursor.description]
            shape["row"] = namedtuple("Row", names, rename=True)
        row = shape["row"]
        if not any(processors):
            return [row._make(values) for values in found]
        return [
            row._make([p(v) if p else v for p, v in zip(processors, values, strict=True)])
            for values in found
        ]

    return read


class Rows:
    """A ``Prepared`` statement's rows (all fetched), and how many rows it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self._rows, self.rowcount = rows, rowcount

    def __iter__(self):
        return iter(self._rows)

    def all(self) -> list:
        return self._rows

    def first(self):
        return self._rows[0] if self._rows else None

    def one(self):
        if len(self._rows) != 1:
            raise (
                exc.NoResultFound("no row") if not self._rows else exc.MultipleResultsFound("rows")
            )
        return self._rows[0]

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def scalar_one(self):
        return self.one()[0]

    def scalars(self) -> list:
        return [row[0] for row in self._rows]


_BEGIN_IMMEDIATE = Prepared(text("BEGIN IMMEDIATE"))  # for _begin_immediate


class _InList(ColumnElement):
    """``column IN`` the values of one list parameter (``in_list``)."""

    inherit_cache = False  # compiled per dialect by Prepared, never through SQLAlchemy's cache

    def __init__(self, column_, name: str):
        self.column, self.name = column_, name

    @property
    def _from_objects(self):
        return self.column._from_objects


def in_list(column_, name: str) -> _InList:
    """``column IN`` the list given as the one parameter ``name``, for a ``Prepared``
    statement: ``= ANY(:name)`` (an array) on PostgreSQL, ``IN (SELECT value FROM
    json_each(:name))`` (the list as JSON) on SQLite; one parameter however long the
    list, and one SQL text."""
    return _InList(column_, name)


@compiles(_InList, "sqlite")
def _in_list_sqlite(element, compiler, **kw):
    values = compiler.process(bindparam(element.name, type_=JSON()), **kw)
    return f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each({values}))"


@compiles(_InList, "postgresql")
def _in_list_postgresql(element, compiler, **kw):
    values = compiler.process(bindparam(element.name, type_=_array_of(element.column)), **kw)
    return f"{compiler.process(element.column, **kw)} = ANY({values})"


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, transaction, connection: Connection) -> None:
    if transaction.parent is None:
        session.info[CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTION, None)


def one_of(id_column, ids):
    """``id_column IN ids``, with the ids as one parameter on PostgreSQL (``= ANY(:ids)``,
    an array) rather than one bind each: a page's few hundred variants would otherwise
    make a statement of hundreds of parameters to send and plan. SQLite: a plain IN.
    Integer ids go as a BIGINT array; the values of a text column (codes, SKUs) as an
    array of its own type."""
    ids = list(ids)
    if db.engine.dialect.name == "postgresql":
        return id_column == any_(bindparam(None, ids, type_=_array_of(id_column)))
    return id_column.in_(ids)


def _array_of(id_column) -> ARRAY:
    """The PostgreSQL array type of a list of ``id_column``'s values (``one_of``,
    ``in_list``): BIGINT for integer ids, the column's own type for text (codes, SKUs)."""
    item = id_column.type if isinstance(id_column.type, String) else BigInteger()
    return ARRAY(item)


@cache
def unnested(source, names: tuple[str, ...], prefix: str = "each"):
    """PostgreSQL: the rows of many writes as one FROM, ``unnest(:a, :b, …) WITH
    ORDINALITY AS <prefix>(a, b, …, ordinal)``, each column one array parameter typed
    as ``source``'s column of that name and named ``<prefix>_<column>`` (``arrays``
    builds the parameters; a bind named as a column is reserved in an INSERT or
    UPDATE; a statement of several such FROMs gives each its own prefix).

    For bulk writes: ``INSERT … SELECT`` and ``UPDATE … FROM`` of it are a statement of
    a few parameters however many rows they carry, where a multi-row VALUES or an
    executemany costs a parameter (or a statement) a row, for psycopg to parse and
    send and for the server to plan. Built once per (table, columns, prefix).
    """
    values = [bindparam(f"{prefix}_{name}", type_=ARRAY(source.c[name].type)) for name in names]
    return (
        func.unnest(*values)
        .table_valued(*names, with_ordinality="ordinal")
        .render_derived(name=prefix)
    )


def arrays(names: tuple[str, ...], rows: Iterable[Sequence], prefix: str = "each") -> dict:
    """The parameters of an ``unnested(…, names, prefix)`` FROM, from rows of values in
    the order of ``names``: one list per column, in row order."""
    columns = list(zip(*rows, strict=True)) or [()] * len(names)
    return {f"{prefix}_{name}": list(values) for name, values in zip(names, columns, strict=True)}


def insert_rows(target, rows: list[dict], *returning: str) -> list:
    """Insert ``rows`` (dicts of the same columns) into the table ``target`` and return
    the ``returning`` columns of each, as rows sorted by their first column.

    SQLite: one multi-row INSERT (SQLite numbers rows in the order given, and nobody
    else inserts while the transaction holds the write lock). PostgreSQL: one INSERT …
    SELECT of ``unnested`` arrays in the rows' order, which the sequence numbers as it
    inserts them. Either way the ids, sorted, are the rows' in order: what SQLAlchemy's
    own ordered bulk INSERT relies on, without its one statement a row on SQLite or its
    statement of a parameter per value on PostgreSQL.
    """
    if not rows:
        return []
    names = tuple(rows[0])
    dialect = db.session.get_bind().dialect.name
    statement = _insert_rows(target, names, returning, dialect)
    if dialect == "postgresql":
        found = run(statement, arrays(names, ([row[n] for n in names] for row in rows)))
    else:
        found = run(statement, rows)
    return sorted(found.all())


def update_rows(target, keys: tuple[str, ...], rows: list[dict]) -> None:
    """Set the columns of ``rows`` (dicts of the same columns) other than ``keys`` on the
    row of ``target`` each one's ``keys`` find: an executemany on SQLite, one UPDATE …
    FROM ``unnested`` arrays on PostgreSQL."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = db.session.get_bind().dialect.name
    statement = _update_rows(target, keys, names, dialect)
    if dialect == "postgresql":
        run(statement, arrays(names, ([row[n] for n in names] for row in rows)))
    else:
        run(statement, [{f"each_{n}": row[n] for n in names} for row in rows])


@cache
def _insert_rows(target, names: tuple[str, ...], returning: tuple[str, ...], dialect: str):
    returned = [target.c[name] for name in returning]
    if dialect != "postgresql":
        return insert(target).returning(*returned)  # many rows: SQLAlchemy's insertmanyvalues
    given = unnested(target, names)
    chosen = select(*(given.c[name] for name in names)).order_by(given.c.ordinal)
    return Prepared(insert(target).from_select(names, chosen).returning(*returned))


@cache
def _update_rows(target, keys: tuple[str, ...], names: tuple[str, ...], dialect: str):
    if dialect == "postgresql":
        given = unnested(target, names)
        value = {name: given.c[name] for name in names}
    else:
        value = {name: bindparam(f"each_{name}") for name in names}
    return Prepared(
        update(target)
        .where(*(target.c[key] == value[key] for key in keys))
        .values({name: value[name] for name in names if name not in keys})
    )


def write_apart(statement, params: dict) -> None:
    """Run one small write in a transaction of its own, on a connection apart from the
    session's, and commit it at once.

    For bookkeeping on a read request (when a session or a token was last used): it
    neither ends nor joins the request's transaction. Never call it inside a
    ``write_transaction()`` on SQLite: the second connection would queue behind the
    first for the write lock.
    """
    with db.engine.connect() as connection:
        connection.execution_options(**_write_options(connection.dialect.name))
        with connection.begin():
            connection.execute(statement, params)


def read_apart(statement: "Prepared", params: dict) -> "Rows":
    """Run one ``Prepared`` read on a pooled connection of its own, with no ORM session.

    For an answer given before Flask dispatches the request (``UnchangedPolls``): a
    session, its transaction object and its teardown cost more than the read.
    """
    with db.engine.connect() as connection:
        return statement.execute(connection, params)


def upsert(dialect: str):
    """The INSERT … ON CONFLICT construct of ``dialect`` (SQLite or PostgreSQL)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


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
