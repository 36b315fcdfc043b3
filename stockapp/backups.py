"""Backups of the live database, and restoring one.

A backup is a consistent copy taken while the app runs and writers post:

- SQLite: the online backup API (``sqlite3.Connection.backup``) in one step. The
  copy is read in a single read transaction, so it is one snapshot of the
  database, the WAL included; under WAL a reader never holds the write lock, so
  writers go on posting while it runs. It copies pages as they are, where
  ``VACUUM INTO`` would rebuild every table and index (more work on the machine
  the app shares), and the same API restores into a live file through SQLite's
  own locks. A plain ``cp`` of the file is not a backup: it misses what is still
  in the WAL.
- PostgreSQL: ``pg_dump --format=custom``, which reads one snapshot and blocks no
  writer; restored by ``pg_restore`` into ``psql`` in one transaction.

Files are written under a temporary name, created 0600 in a 0700 folder, and
renamed into place once complete: a file with a backup's name is a whole backup.
"""

import fcntl
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import URL, create_engine, text
from sqlalchemy.pool import NullPool

from .database import create_private_sqlite_file

# What the backup command names its files: stockapp-YYYYMMDD-HHMMSS.<ext>. Rotation
# (--keep) removes only files with such a name.
NAME_FORMAT = "stockapp-%Y%m%d-%H%M%S"
NAMED = re.compile(r"stockapp-\d{8}-\d{6}\.(sqlite|dump)")
EXTENSIONS = {"sqlite": "sqlite", "postgresql": "dump"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables every StockApp database has had since its first migration.
STOCKAPP_TABLES = frozenset({"alembic_version", "users", "documents", "movements", "balances"})
# Each SQLite connection to a WAL database holds a read lock on this byte of the
# -shm file while it is open (the "DMS" slot of the WAL-index; sqlite.org/walformat.html).
SHM_DMS_BYTE = 128
STRUCT_FLOCK = "hhqqi4x"  # struct flock on Linux x86-64: type, whence, start, len, pid
BUSY_TIMEOUT_S = 15


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, for the operator."""


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    seconds: float
    removed: list[Path]


def default_path(url: URL, folder: Path) -> Path:
    """``folder/stockapp-YYYYMMDD-HHMMSS.<ext>`` for the database ``url`` names, now."""
    stamp = datetime.now().strftime(NAME_FORMAT)
    return folder / f"{stamp}.{EXTENSIONS[_dialect(url)]}"


def backup(url: URL, path: Path, *, keep: int | None = None) -> Written:
    """Copy the database ``url`` names to ``path`` (which must not exist), 0600 in a
    folder made 0700 if it is created; then, with ``keep``, remove all but the newest
    ``keep`` backup-named files of that folder."""
    dialect = _dialect(url)
    if path.exists():
        raise BackupError(f"{path} already exists; a backup never overwrites a file")
    _private_folder(path.parent)
    partial = path.with_name(f".{path.name}.partial")
    started = time.monotonic()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if dialect == "sqlite":
            os.close(fd)
            fd = None
            _copy_sqlite(_sqlite_file(url), partial)
        else:
            _pg_dump(url, fd)
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.rename(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if fd is not None:
            os.close(fd)
    seconds = time.monotonic() - started
    removed = rotate(path.parent, keep) if keep is not None else []
    return Written(path, path.stat().st_size, seconds, removed)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` files of ``folder`` that the backup command
    named (their names sort by time); other files are never touched."""
    named = sorted(p for p in folder.iterdir() if NAMED.fullmatch(p.name) and p.is_file())
    old = named[:-keep]
    for path in old:
        path.unlink()
    return old


def in_use(url: URL) -> str | None:
    """Who else has the database open, in words, or None when no one does.

    SQLite: another process's connection (a running app server that has served a
    request, a sqlite3 shell) holds the WAL-index lock. PostgreSQL: other sessions
    on the database in ``pg_stat_activity``.
    """
    if _dialect(url) == "sqlite":
        pid = _sqlite_holder(_sqlite_file(url))
        return None if pid is None else f"process {pid} has the database open"
    sessions = _pg_sessions(url)
    if not sessions:
        return None
    listed = ", ".join(
        f"pid {pid} ({name or 'no name'}, {addr or 'local'})" for pid, name, addr in sessions
    )
    return f"{len(sessions)} other session(s) are connected: {listed}"


def restore(url: URL, path: Path, *, migrations: str, force: bool = False) -> str:
    """Replace the database ``url`` names with the backup at ``path``; returns the
    backup's schema revision.

    Refuses, changing nothing, a file that is not a StockApp backup of this kind of
    database, one made by a newer StockApp (unknown revision), and a database in
    use, unless ``force`` (PostgreSQL: the other sessions are then ended).
    """
    dialect = _dialect(url)
    revision = _read_backup(dialect, path)
    try:
        ScriptDirectory(migrations).get_revision(revision)
    except Exception as unknown:
        raise BackupError(
            f"{path} is at schema revision {revision}, which this StockApp does not know "
            "(made by a newer version?)"
        ) from unknown
    busy = in_use(url)
    if busy and not force:
        raise BackupError(
            f"the database is in use ({busy}): stop the app first, or restore with --force"
        )
    if dialect == "sqlite":
        _restore_sqlite(path, _sqlite_file(url))
    else:
        if busy:
            _pg_end_other_sessions(url)
        _pg_restore(url, path)
    return revision


# --- SQLite ------------------------------------------------------------------------


def _copy_sqlite(database: Path, target: Path) -> None:
    if not database.exists():
        raise BackupError(f"no database at {database}")
    source = sqlite3.connect(database, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(copy)  # pages=-1: one step, one read transaction, one snapshot
        # One self-contained file: no -wal beside it when it is opened later.
        copy.execute("PRAGMA journal_mode=DELETE")
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed SQLite's quick_check")
    finally:
        copy.close()
        source.close()


def _restore_sqlite(path: Path, database: Path) -> None:
    create_private_sqlite_file(database)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    live = sqlite3.connect(database, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        live.execute("PRAGMA journal_mode=WAL")
        source.backup(live)  # through SQLite's locks: safe even with the file open elsewhere
    finally:
        live.close()
        source.close()


def _sqlite_holder(database: Path) -> int | None:
    """The pid of another process with the database open, or None.

    Only other processes are seen (POSIX locks are per process): the caller must
    have closed its own connections to the database.
    """
    try:
        fd = os.open(f"{database}-shm", os.O_RDONLY)
    except FileNotFoundError:
        return None  # the last connection to close removes the -shm file
    try:
        probe = struct.pack(STRUCT_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, SHM_DMS_BYTE, 1, 0)
        kind, _, _, _, pid = struct.unpack(STRUCT_FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, probe))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else pid


def _read_sqlite_backup(path: Path) -> str:
    with open(path, "rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not a StockApp backup (not an SQLite database)")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        _check_tables(path, tables)
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is damaged (SQLite's quick_check fails)")
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read: {error}") from error
    finally:
        connection.close()


# --- PostgreSQL --------------------------------------------------------------------


def _pg_dump(url: URL, fd: int) -> None:
    _run([_pg_tool("pg_dump"), "--format=custom", f"--dbname={_libpq(url)}"], url, stdout=fd)


def _read_pg_backup(path: Path) -> str:
    with open(path, "rb") as f:
        if f.read(len(PG_DUMP_MAGIC)) != PG_DUMP_MAGIC:
            raise BackupError(f"{path} is not a StockApp backup (not a pg_dump custom-format file)")
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)], None).stdout.decode()
    # TOC lines: "215; 1259 16390 TABLE public movements postgres"
    tables = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
    _check_tables(path, tables)
    data = _run(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        None,
    ).stdout.decode()
    found = re.search(r"^COPY [^\n]*alembic_version[^\n]*FROM stdin;\n([^\n\\]+)\n", data, re.M)
    if not found:
        raise BackupError(f"{path} has no schema revision (alembic_version is empty)")
    return found.group(1).strip()


def _pg_sessions(url: URL) -> list[tuple]:
    return _pg_query(
        url,
        "SELECT pid, application_name, client_addr FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid",
    )


def _pg_end_other_sessions(url: URL) -> None:
    _pg_query(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )


def _pg_query(url: URL, sql: str) -> list[tuple]:
    """Rows of ``sql`` on a connection of its own, closed at once."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()
    finally:
        engine.dispose()


def _pg_restore(url: URL, path: Path) -> None:
    """The dump as SQL, after emptying the schema, in ONE transaction: if anything
    fails the database is left exactly as it was."""
    restore = subprocess.Popen(
        [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    psql = subprocess.Popen(
        [
            _pg_tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={_libpq(url)}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_pg_env(url),
    )
    try:
        psql.stdin.write(b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
        shutil.copyfileobj(restore.stdout, psql.stdin)
        psql.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped on an error: reported below
    restore_err = restore.stderr.read()
    psql_err = psql.stderr.read()
    if restore.wait() != 0 or psql.wait() != 0:
        detail = (restore_err + psql_err).decode(errors="replace").strip()
        raise BackupError(f"restore failed, the database is unchanged: {detail}")


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return found


def _libpq(url: URL) -> str:
    """The URL for libpq tools, without the driver name and without the password
    (which goes in PGPASSWORD, not on a command line anyone can read in ps)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg_env(url: URL) -> dict:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _run(args: list[str], url: URL | None, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("stdout", subprocess.PIPE)
    done = subprocess.run(
        args, stderr=subprocess.PIPE, env=_pg_env(url) if url else None, check=False, **kwargs
    )
    if done.returncode != 0:
        raise BackupError(
            f"{Path(args[0]).name} failed: {done.stderr.decode(errors='replace').strip()}"
        )
    return done


# --- shared ------------------------------------------------------------------------


def _dialect(url: URL) -> str:
    name = url.get_backend_name()
    if name not in EXTENSIONS:
        raise BackupError(f"backups of {name} databases are not supported")
    return name


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _read_backup(dialect: str, path: Path) -> str:
    if not path.is_file():
        raise BackupError(f"no file at {path}")
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    other = {"sqlite": PG_DUMP_MAGIC, "postgresql": SQLITE_MAGIC}[dialect]
    if head.startswith(other):
        kinds = {"sqlite": ("a PostgreSQL", "SQLite"), "postgresql": ("an SQLite", "PostgreSQL")}
        backup_kind, database_kind = kinds[dialect]
        raise BackupError(
            f"{path} is {backup_kind} backup; the configured database is {database_kind}"
        )
    return _read_sqlite_backup(path) if dialect == "sqlite" else _read_pg_backup(path)


def _check_tables(path: Path, tables: set[str]) -> None:
    missing = STOCKAPP_TABLES - tables
    if missing:
        raise BackupError(
            f"{path} is not a StockApp backup (no {', '.join(sorted(missing))} table)"
        )


def _private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) 0700; an existing one is left as it is."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        folder.chmod(0o700)
