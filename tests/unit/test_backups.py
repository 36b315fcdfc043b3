"""flask backup and restore: file modes, rotation, and every refusal of restore."""

import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import contextmanager

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from stockapp import ROOT
from stockapp.backups import EXTENSIONS, NAMED
from stockapp.extensions import db
from stockapp.models import Role
from stockapp.services import receiving
from tests.support.api import snapshot
from tests.support.apps import make_app
from tests.support.db import on_hand, stamp_head


@pytest.fixture
def kind(app) -> str:
    return "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"


@pytest.fixture
def stocked(app, make_user, make_style) -> dict:
    """A database as `db upgrade` leaves it, with 5 pieces received; {sku: variant id}."""
    stamp_head(app)
    skus = make_style("A1024")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 5)], operator_id=make_user(Role.CLERK))
    return skus


@pytest.fixture
def backup_file(app, stocked, kind, tmp_path):
    path = tmp_path / f"taken.{EXTENSIONS[kind]}"
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def restored_app(kind, database_url_for):
    """An app on a new, empty database of the same kind, to restore into."""
    app = make_app(database_url_for(kind, name="restored"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_backup_defaults_to_a_private_file_in_a_private_instance_folder(
    app, stocked, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "instance" / "backups"
    (written,) = folder.iterdir()
    assert NAMED.fullmatch(written.name), written.name
    assert mode(folder) == 0o700 and mode(written) == 0o600
    assert result.output.startswith(f"wrote {written} (") and " s)" in result.output
    again = app.test_cli_runner().invoke(args=["backup", str(written)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert list(folder.iterdir()) == [written], "a refused backup left a file"


def test_keep_removes_only_the_oldest_backup_named_files(app, stocked, kind, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    ext = EXTENSIONS[kind]
    old = [folder / f"stockapp-2026110{day}-020000.{ext}" for day in (1, 2, 3)]
    others = [folder / "stockapp-notes.txt", folder / f"my-copy.{ext}", folder / "stockapp.sqlite"]
    for path in old + others:
        path.write_text("kept?")
    result = app.test_cli_runner().invoke(args=["backup", f"{folder}/", "--keep", "2"])
    assert result.exit_code == 0, result.output
    new = [p for p in folder.iterdir() if NAMED.fullmatch(p.name) and p not in old]
    assert len(new) == 1
    assert sorted(folder.iterdir()) == sorted([old[2], new[0], *others])
    assert f"removed {old[0]} (--keep 2)" in result.output
    assert f"removed {old[1]} (--keep 2)" in result.output
    refused = app.test_cli_runner().invoke(args=["backup", f"{folder}/", "--keep", "0"])
    assert refused.exit_code == 2 and len(list(folder.iterdir())) == 5


def test_restore_into_a_new_database_brings_back_the_ledger(
    app, stocked, backup_file, restored_app
):
    with app.app_context():
        receiving.receive(
            lines=[(stocked["A1024-Black-S"], 3)],
            operator_id=db.session.scalar(sa.text("SELECT MIN(id) FROM users")),
        )  # after the backup: not in it
    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert f"restored {backup_file} into " in result.output and "ledger OK" in result.output
    with restored_app.app_context():
        assert on_hand(stocked["A1024-Black-S"]) == 5
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM movements")) == 1
    if restored_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert (
            mode(restored_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")) == 0o600
        )


@contextmanager
def held_open(url: str):
    """Another program with the database open: a sqlite3 process, or a PostgreSQL session."""
    if url.startswith("sqlite"):
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys, time\n"
                "c = sqlite3.connect(sys.argv[1])\n"
                "c.execute('SELECT COUNT(*) FROM users').fetchone()\n"
                "print('open', flush=True)\n"
                "time.sleep(60)\n",
                url.removeprefix("sqlite:///"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline() == "open\n"
            yield holder.pid
        finally:
            holder.kill()
            holder.wait()
    else:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        connection = engine.connect()
        try:
            yield connection.scalar(sa.text("SELECT pg_backend_pid()"))
        finally:
            connection.invalidate()  # --force may have ended the session
            engine.dispose()


def test_restore_refuses_a_database_in_use_unless_forced(app, stocked, backup_file):
    with app.app_context():
        receiving.receive(
            lines=[(stocked["A1024-Black-S"], 3)],
            operator_id=db.session.scalar(sa.text("SELECT MIN(id) FROM users")),
        )
        db.session.remove()
    before = snapshot(app)
    with held_open(app.config["SQLALCHEMY_DATABASE_URI"]) as holder:
        refused = app.test_cli_runner().invoke(args=["restore", str(backup_file)])
        assert refused.exit_code == 1
        assert "the database is in use" in refused.output and str(holder) in refused.output
        assert "--force" in refused.output
        assert snapshot(app) == before, "a refused restore changed the database"
        forced = app.test_cli_runner().invoke(args=["restore", "--force", str(backup_file)])
        assert forced.exit_code == 0, forced.output
        assert "ledger OK" in forced.output
    with app.app_context():
        assert on_hand(stocked["A1024-Black-S"]) == 5, "the backup's stock, not the later one"


def test_restore_refuses_what_is_not_a_stockapp_backup(
    app, stocked, kind, backup_file, database_url_for, tmp_path, subtests
):
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (x)")
    newer = tmp_path / "newer.sqlite"
    if kind == "sqlite":
        newer.write_bytes(backup_file.read_bytes())
        with sqlite3.connect(newer) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    foreign_dump = tmp_path / "foreign.dump"
    if kind == "postgresql":
        url = sa.make_url(database_url_for(kind, name="foreign"))
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE IF NOT EXISTS notes (x int)"))
        engine.dispose()
        with open(foreign_dump, "wb") as out:
            subprocess.run(
                ["pg_dump", "--format=custom", f"--dbname={url.set(drivername='postgresql')}"],
                stdout=out,
                check=True,
            )
    (tmp_path / "notes.txt").write_text("Monday: 12 boxes")
    (tmp_path / "empty").write_bytes(b"")
    cases = {
        "no such file": (tmp_path / "missing.sqlite", "no file at"),
        "a text file": (tmp_path / "notes.txt", "is not a StockApp backup"),
        "an empty file": (tmp_path / "empty", "is not a StockApp backup"),
        "a folder": (tmp_path, "no file at"),
    }
    if kind == "sqlite":
        cases["another program's SQLite database"] = (foreign, "no alembic_version, balances")
        cases["a backup from a newer StockApp"] = (newer, "9999_future, which this StockApp")
    else:
        cases["an SQLite file"] = (foreign, "configured database is PostgreSQL")
        cases["a dump of another database"] = (foreign_dump, "no alembic_version, balances")
    before = snapshot(app)
    for name, (path, message) in cases.items():
        with subtests.test(msg=name):
            result = app.test_cli_runner().invoke(args=["restore", "--force", str(path)])
            assert result.exit_code == 1, result.output
            assert message in result.output
            assert snapshot(app) == before, "a refused restore changed the database"


@pytest.mark.corrupts_ledger
def test_restore_exits_1_when_the_restored_ledger_disagrees(
    app, stocked, kind, restored_app, tmp_path
):
    with app.app_context():
        db.session.execute(sa.text("UPDATE balances SET qty = qty + 2"))
        db.session.commit()
    backup = tmp_path / f"corrupted.{EXTENSIONS[kind]}"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 1
    assert "A1024-Black-S @ DEFAULT: balance 7, movements sum to 5" in result.output
    assert "1 balance(s) disagree with the ledger" in result.output


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_restore_upgrades_a_backup_of_an_older_schema(
    kind, database_url_for, tmp_path, restored_app
):
    old = make_app(database_url_for(kind, name="old"))
    with old.app_context():
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade(revision="0002")
    backup = tmp_path / f"taken-at-0002.{EXTENSIONS[kind]}"
    assert old.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    with old.app_context():
        db.engine.dispose()
    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert "(schema 0002," in result.output and "upgraded the schema from 0002 to " in result.output
    assert "ledger OK" in result.output
    with restored_app.app_context():
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert revision == ScriptDirectory(str(ROOT / "migrations")).get_current_head()
        assert "suppliers" in sa.inspect(db.engine).get_table_names()  # made by 0003
