"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from stockapp.extensions import db
from tests.conftest import PG_ENV, _ensure_pg_database, make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tier off: set {PG_ENV}")
    url = str(sa.make_url(url).set(database=sa.make_url(url).database + "_migrations"))
    _ensure_pg_database(url)
    return url


def test_upgrade_matches_the_models_and_downgrades_cleanly(fresh_url):
    app = make_app(fresh_url)
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()
