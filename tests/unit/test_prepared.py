"""``database.Prepared``: a hot path's statement sent to the driver's cursor directly
gives what SQLAlchemy's own execute gives (the same rows and Python types, its errors,
its cursor events), on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import bindparam, insert, select, update

from stockapp.database import Prepared, in_list, run, write_transaction
from stockapp.extensions import db
from stockapp.models import Document, DocumentKind, DocumentStatus, Role, Variant

variants = Variant.__table__
documents = Document.__table__
BY_SKU = Prepared(
    select(variants.c.sku, variants.c.id, variants.c.archived).where(
        in_list(variants.c.sku, "skus")
    )
)
BY_ID = Prepared(select(variants.c.id).where(in_list(variants.c.id, "ids")))
NEW_DOCUMENT = Prepared(insert(documents).returning(documents.c.id, documents.c.created_at))
RENAME = Prepared(
    update(variants).where(variants.c.id == bindparam("row")).values(sku=bindparam("new_sku"))
)


@pytest.fixture
def coat(ctx, make_style):
    return make_style("P1", sizes=("S", "M", "L"), colours=())


def document_row(operator: int, note: str = "") -> dict:
    return {
        "kind": DocumentKind.RECEIPT,
        "status": DocumentStatus.DRAFT,
        "note": note,
        "operator_id": operator,
        "reverses_id": None,
        "order_id": None,
        "created_at": datetime(2026, 12, 2, 13, 5, 7, 123456, tzinfo=UTC),
    }


def test_a_list_parameter_finds_each_value_given_and_nothing_else(coat):
    found = run(BY_SKU, {"skus": ["P1-S", "P1-L", "NOPE"]}).all()
    assert sorted((row.sku, row.id) for row in found) == [
        ("P1-L", coat["P1-L"]),
        ("P1-S", coat["P1-S"]),
    ]
    assert all(row.archived is False for row in found)  # a bool, not SQLite's 0
    assert run(BY_SKU, {"skus": []}).all() == []
    assert sorted(run(BY_ID, {"ids": list(coat.values())}).scalars()) == sorted(coat.values())
    # The same rows as SQLAlchemy's own execute of the same statement.
    given = {"skus": ["P1-S", "P1-M"]}
    own = db.session.execute(BY_SKU.statement, given).all()
    assert sorted(map(tuple, own)) == sorted(map(tuple, run(BY_SKU, given).all()))


def test_rows_and_types_are_what_sqlalchemy_gives(coat, make_user):
    clerk = make_user(Role.CLERK)
    with write_transaction():
        made = run(NEW_DOCUMENT, document_row(clerk, "one")).one()
    assert made.created_at == datetime(2026, 12, 2, 13, 5, 7, 123456, tzinfo=UTC)
    stored = db.session.execute(
        select(documents.c.kind, documents.c.note, documents.c.created_at).where(
            documents.c.id == made.id
        )
    ).one()
    assert tuple(stored) == ("receipt", "one", made.created_at)
    assert run(BY_SKU, {"skus": ["P1-M"]}).first()._asdict() == {
        "sku": "P1-M",
        "id": coat["P1-M"],
        "archived": False,
    }
    assert run(BY_SKU, {"skus": ["NOPE"]}).first() is None
    assert run(BY_SKU, {"skus": ["NOPE"]}).scalar() is None


def test_many_rows_at_once_and_the_count_of_rows_changed(coat, make_user):
    clerk = make_user(Role.CLERK)
    with write_transaction():
        run(NEW_DOCUMENT, [document_row(clerk, "a"), document_row(clerk, "b")])
        changed = run(RENAME, {"row": coat["P1-S"], "new_sku": "P1-XS"})
        none = run(RENAME, {"row": 10_000_000, "new_sku": "P1-XXS"})
    assert (changed.rowcount, none.rowcount) == (1, 0)
    notes = db.session.scalars(select(documents.c.note).order_by(documents.c.id)).all()
    assert notes[-2:] == ["a", "b"]
    assert run(BY_SKU, {"skus": ["P1-XS"]}).scalar_one() == "P1-XS"


def test_a_refused_write_raises_sqlalchemy_s_error_and_writes_nothing(coat):
    with pytest.raises(sa.exc.IntegrityError), write_transaction():
        run(RENAME, {"row": coat["P1-S"], "new_sku": "P1-XS"})
        run(RENAME, {"row": coat["P1-M"], "new_sku": "P1-XS"})  # the SKU is unique
    assert sorted(run(BY_SKU, {"skus": ["P1-S", "P1-M", "P1-XS"]}).scalars()) == ["P1-M", "P1-S"]


def test_the_engine_s_cursor_events_see_each_statement(coat):
    seen = []

    def before(_conn, _cursor, statement, params, _context, many):
        seen.append((statement.split()[0], many))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        run(BY_ID, {"ids": [coat["P1-S"]]})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    assert seen == [("SELECT", False)]


def test_a_statement_it_cannot_send_as_it_is_is_refused(coat, make_user):
    expanding = Prepared(
        select(variants.c.id).where(variants.c.id.in_(bindparam("ids", expanding=True)))
    )
    with pytest.raises(ValueError, match="expanding"):
        run(expanding, {"ids": [1]})
    row = document_row(make_user(Role.CLERK))
    del row["created_at"]  # its Python default would have to run
    with pytest.raises(ValueError, match="Python default"), write_transaction():
        run(NEW_DOCUMENT, row)
