"""The search indexes: trigram indexes over the columns the lists search by substring.

PostgreSQL: a ``pg_trgm`` GIN index on each column, which serves ``ILIKE '%q%'``
itself (the database keeps it in step). SQLite: one FTS5 table per searched
table, ``<table>_search``, with the trigram tokenizer and external content (it
holds only the index; its rowid is the row's id), kept in step by triggers, so
every write — a service, a bulk load, a plain SQL UPDATE — changes it in the same
transaction. The update trigger fires only when a searched column changes, so
status changes (an order completed, a style archived) cost nothing.

Migration 0007 builds the same objects; ``create_all`` builds them through the
DDL events below.
"""

from sqlalchemy import DDL, Index, event

from ..extensions import db
from .catalogue import Style
from .orders import Order
from .purchasing import PurchaseOrder, Supplier

# The columns each table is searched by substring. Not SKUs: the lists find a SKU
# exactly (its unique index), and a part of one, such as "黑色-M", can match a tenth of
# every variant (48,000 of 480,000: 141 ms in the FTS5 index alone).
SEARCHED: dict[str, tuple[str, ...]] = {
    Style.__tablename__: ("code", "name"),
    Order.__tablename__: ("number", "customer"),
    Supplier.__tablename__: ("name",),
    PurchaseOrder.__tablename__: ("number",),
}
# The tables FTS5 makes beside each index table (``<index>_data`` …).
FTS5_SHADOWS = ("data", "idx", "docsize", "config", "content")
# How the PostgreSQL trigram indexes' names end: ix_<table>_<column>_trgm.
TRIGRAM = "_trgm"


def search_table(table: str) -> str:
    """The name of ``table``'s FTS5 index table on SQLite."""
    return f"{table}_search"


def is_search_table(name: str) -> bool:
    """Whether ``name`` is an FTS5 index table or one of its shadows: made by the DDL
    below, not described by a model (the migration tests leave them out)."""
    return any(
        name == search_table(table)
        or name in (f"{search_table(table)}_{shadow}" for shadow in FTS5_SHADOWS)
        for table in SEARCHED
    )


def described(dialect: str):
    """Alembic's ``include_object`` when comparing the models with a ``dialect`` database:
    the FTS5 tables are left out (no model describes them), and the trigram indexes
    everywhere but on PostgreSQL (the only database they are made on)."""

    def include(found, name: str, type_: str, reflected: bool, compare_to) -> bool:
        if type_ == "table":
            return not is_search_table(name)
        return type_ != "index" or dialect == "postgresql" or not name.endswith(TRIGRAM)

    return include


def sqlite_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    """The FTS5 table indexing ``columns`` of ``table`` and the triggers keeping it in step."""
    index = search_table(table)
    listed = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert = f"INSERT INTO {index} (rowid, {listed}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {index} ({index}, rowid, {listed}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({listed}, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {listed} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def _index_each_table() -> None:
    event.listen(
        db.metadata,
        "before_create",
        DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
    )
    for name, columns in SEARCHED.items():
        table = db.metadata.tables[name]
        for column in columns:
            Index(
                f"ix_{name}_{column}{TRIGRAM}",
                table.c[column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
        for statement in sqlite_statements(name, columns):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
        # Dropping the table drops its triggers; the index table goes with it.
        drop = DDL(f"DROP TABLE IF EXISTS {search_table(name)}").execute_if(dialect="sqlite")
        event.listen(table, "before_drop", drop)


_index_each_table()
