"""Configuration: the secret key file, database URLs, environment precedence."""

import os
import stat
import threading

from stockapp import create_app
from stockapp.config import instance_secret_key, normalise_database_url


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
