"""Configuration: the secret key file, database URLs, environment precedence, and the
instance folder kept private (by the app and by ``make run``)."""

import os
import stat
import subprocess
import threading

import sqlalchemy as sa

from stockapp import ROOT, create_app
from stockapp.config import instance_secret_key, normalise_database_url
from stockapp.extensions import db
from tests.support.apps import make_app


def test_secret_key_is_generated_once_privately_and_kept(tmp_path):
    keys = []
    threads = [
        threading.Thread(target=lambda: keys.append(instance_secret_key(str(tmp_path))))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert instance_secret_key(str(tmp_path)) == keys[0]
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_postgres_urls_get_the_psycopg_driver():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_environment_names_the_database_and_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    monkeypatch.delenv("DATABASE_URL")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/stockapp.sqlite")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_instance_folder_is_created_private(tmp_path):
    instance_secret_key(str(tmp_path / "instance"))
    assert mode(tmp_path / "instance") == 0o700
    assert mode(tmp_path / "instance" / "secret_key") == 0o600


def test_the_app_creates_its_sqlite_database_and_wal_private(tmp_path):
    """SQLite would create them 0644 (this umask): the file holds password hashes."""
    database = tmp_path / "instance" / "stockapp.sqlite"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        db.create_all()
        with db.engine.connect() as connection:  # open: the -wal and -shm files exist
            connection.execute(sa.text("INSERT INTO warehouses (code, name) VALUES ('W', 'w')"))
            connection.commit()
            files = [database, *(database.with_name(database.name + s) for s in SIDE_FILES)]
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        db.engine.dispose()
    assert mode(database.parent) == 0o700


SIDE_FILES = ("-wal", "-shm", "-writelock")


def test_make_run_makes_the_instance_folder_and_everything_in_it_private(tmp_path):
    instance = tmp_path / "instance"
    (instance / "backups").mkdir(parents=True)
    for name in ("secret_key", "stockapp.sqlite", "stockapp.sqlite-wal", "backups/old.sqlite"):
        (instance / name).write_text("")
        (instance / name).chmod(0o644)
    for folder in (instance, instance / "backups"):
        folder.chmod(0o755)
    subprocess.run(
        ["make", "-s", "-C", str(ROOT), "private-instance", f"INSTANCE={instance}"], check=True
    )
    assert {p.name: mode(p) for p in instance.rglob("*") if p.is_file()} == dict.fromkeys(
        ("secret_key", "stockapp.sqlite", "stockapp.sqlite-wal", "old.sqlite"), 0o600
    )
    assert mode(instance) == mode(instance / "backups") == 0o700
    # What make run starts creates its files private too.
    commands = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run", f"INSTANCE={instance}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    starts = [c for c in commands if "bin/flask" in c or "bin/gunicorn" in c]
    assert len(starts) == 2 and all(c.startswith("umask 077 && ") for c in starts), starts
