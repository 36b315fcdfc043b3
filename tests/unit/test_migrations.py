"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from stockapp.extensions import db
from tests.conftest import database_url_for, make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    return database_url_for(request.param, tmp_path, name="migrations")


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
