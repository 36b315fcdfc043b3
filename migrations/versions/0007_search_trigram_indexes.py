"""trigram search indexes: style code and name, order number and customer,
supplier name, PO number

PostgreSQL: the pg_trgm extension and a GIN ``gin_trgm_ops`` index per column,
which serves ``ILIKE '%q%'`` directly. SQLite: an FTS5 table per table
(``<table>_search``, ``tokenize='trigram'``, external content: the index only,
its rowid the row's id) and three triggers keeping it in step with every insert,
delete and change of a searched column. Existing rows are indexed on the way up
(PostgreSQL's CREATE INDEX reads them; SQLite's ``'rebuild'`` does); the way
down drops the indexes and leaves the rows as they were.

Revision ID: 0007_search_trigram_indexes
Revises: 0006_documents_by_kind_and_state
Create Date: 2026-12-01 17:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_search_trigram_indexes'
down_revision = '0006_documents_by_kind_and_state'
branch_labels = None
depends_on = None

# As stockapp.models.search.SEARCHED was when this migration was written.
SEARCHED = {
    "styles": ("code", "name"),
    "orders": ("number", "customer"),
    "suppliers": ("name",),
    "purchase_orders": ("number",),
}


def _sqlite_index(table, columns):
    # As stockapp.models.search.sqlite_statements wrote them, then a rebuild.
    index = f"{table}_search"
    listed = ", ".join(columns)
    insert = (
        f"INSERT INTO {index} (rowid, {listed}) "
        f"VALUES (new.id, {', '.join('new.' + c for c in columns)});"
    )
    delete = (
        f"INSERT INTO {index} ({index}, rowid, {listed}) "
        f"VALUES ('delete', old.id, {', '.join('old.' + c for c in columns)});"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE {index} USING fts5({listed}, content='{table}', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute(f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {listed} ON {table} "
        f"BEGIN {delete} {insert} END"
    )
    op.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in SEARCHED.items():
        if not postgresql:
            _sqlite_index(table, columns)
            continue
        for column in columns:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, columns in SEARCHED.items():
        if postgresql:
            for column in columns:
                op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
            continue
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {table}_search_{trigger}")
        op.execute(f"DROP TABLE {table}_search")
    # pg_trgm stays: it may have been there before, and holds nothing of ours.
