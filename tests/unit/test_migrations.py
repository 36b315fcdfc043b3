"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from stockapp.database import begin_write
from stockapp.extensions import db
from stockapp.models import Order, PurchaseOrder, Style, Supplier
from stockapp.models.search import described
from stockapp.queries.search import match
from tests.support.apps import make_app


def upgrade_with_rows(revision: str, *statements: str) -> None:
    """Inside an app context: the schema from nothing up to ``revision``, rows put in with
    ``statements``, then upgraded to the head. The database is emptied first: an earlier
    test's rows (pieces past 32 bits, say) may not survive a downgrade to nothing."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    else:
        downgrade(revision="base")
    upgrade(revision=revision)
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    upgrade()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, database_url_for):
    """An empty database of the test's own, beside the one the ``app`` fixture uses."""
    return database_url_for(request.param, name="migrations")


def test_upgrade_matches_the_models_and_downgrades_cleanly(fresh_url):
    app = make_app(fresh_url)
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": described(connection.dialect.name)}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


# Rows of a database from before an upgrade: the manager ann, and style A1 with A1-M.
MANAGER_AND_A_VARIANT = (
    "INSERT INTO users (username, password_hash, role, active, created_at) "
    "VALUES ('ann', 'x', 'manager', true, '2026-11-01 08:00')",
    "INSERT INTO styles (code, name, category, unit, active, created_at) "
    "VALUES ('A1', 'Tee', '', '', true, '2026-11-01 08:00')",
    "INSERT INTO variants (style_id, colour, colour_rank, size, size_rank, sku, "
    "archived) SELECT id, '', 0, 'M', 0, 'A1-M', false FROM styles",
)


def test_upgrades_keep_the_ledger(fresh_url):
    """0002 and 0003 add columns to documents and locations, which movements
    reference: nothing is lost, and old receipts get their lines."""
    app = make_app(fresh_url)
    with app.app_context():
        upgrade_with_rows(
            "0001",
            *MANAGER_AND_A_VARIANT,
            "INSERT INTO documents (kind, status, note, operator_id, created_at) "
            "SELECT 'receipt', 'posted', 'first', id, '2026-11-01 08:00' FROM users",
            "INSERT INTO balances (variant_id, location_id, qty) "
            "SELECT v.id, l.id, 7 FROM variants v, locations l",
            "INSERT INTO movements (variant_id, location_id, delta, balance_after, kind, "
            "document_id, operator_id, note, created_at) "
            "SELECT v.id, l.id, 7, 7, 'inbound', d.id, d.operator_id, '', d.created_at "
            "FROM variants v, locations l, documents d",
        )
        with db.engine.connect() as connection:
            kept = connection.execute(
                sa.text(
                    "SELECT d.note, d.order_id, m.delta, b.qty FROM documents d "
                    "JOIN movements m ON m.document_id = d.id "
                    "JOIN balances b ON b.variant_id = m.variant_id"
                )
            ).all()
            # 0003 gives the receipt its header and lines from its movements.
            lines = connection.execute(
                sa.text(
                    "SELECT r.po_id, l.received, l.damaged, l.location_id = m.location_id "
                    "FROM receipts r JOIN receipt_lines l ON l.document_id = r.document_id "
                    "JOIN movements m ON m.document_id = r.document_id"
                )
            ).all()
        assert [tuple(row) for row in kept] == [("first", None, 7, 7)]
        assert [tuple(row) for row in lines] == [(None, 7, 0, True)]
        db.engine.dispose()


def test_0004_keeps_users_and_tokens_and_drops_only_the_throttles_counts(fresh_url):
    """Tokens made before 0004 keep working and never expire; the old throttle's rows
    (transient failure counts per name) are dropped with their table."""
    app = make_app(fresh_url)
    with app.app_context():
        upgrade_with_rows(
            "0003",
            "INSERT INTO users (username, password_hash, role, active, created_at) "
            "VALUES ('ann', 'x', 'manager', true, '2026-11-01 08:00')",
            "INSERT INTO api_tokens (user_id, token_hash, created_at) "
            f"SELECT id, '{'a' * 64}', '2026-11-02 08:00' FROM users",
            "INSERT INTO login_throttle (username, failures) VALUES ('ann', 3)",
        )
        with db.engine.connect() as connection:
            tokens = connection.execute(
                sa.text(
                    "SELECT u.username, t.expires_at, t.last_used_at, t.revoked_at "
                    "FROM api_tokens t JOIN users u ON u.id = t.user_id"
                )
            ).all()
            throttles = connection.scalar(sa.text("SELECT COUNT(*) FROM login_throttle"))
            sessions = connection.scalar(sa.text("SELECT COUNT(*) FROM user_sessions"))
        assert [tuple(row) for row in tokens] == [("ann", None, None, None)]
        assert (throttles, sessions) == (0, 0)
        db.engine.dispose()


def test_0005_widens_the_counts_and_folds_the_supplier_names(fresh_url):
    """Counts of pieces take 64 bits afterwards (SQLite's INTEGER always did); suppliers
    whose names fold alike, which SQLite could store, are both kept."""
    app = make_app(fresh_url)
    with app.app_context():
        upgrade_with_rows(
            "0003",
            "INSERT INTO suppliers (name, contact, phone, note) VALUES "
            "('Änderung GmbH', '', '', 'first'), ('änderung gmbh', '', '', 'second'), "
            "('Straße', '', '', ''), ('Hangzhou Mill', '', '', '')",
            *MANAGER_AND_A_VARIANT,
            "INSERT INTO balances (variant_id, location_id, qty) "
            "SELECT v.id, l.id, 2147483647 FROM variants v, locations l",
        )
        big = 2**31 + 7
        with db.engine.begin() as connection:
            keys = connection.execute(
                sa.text("SELECT name, name_key, note FROM suppliers ORDER BY id")
            ).all()
            connection.execute(sa.text("UPDATE balances SET qty = qty + 8"))
            connection.execute(
                sa.text(
                    "INSERT INTO movements (variant_id, location_id, delta, balance_after, kind, "
                    "operator_id, note, created_at) SELECT b.variant_id, b.location_id, :d, :d, "
                    "'inbound', u.id, '', '2026-12-01 08:00' FROM balances b, users u"
                ),
                {"d": big},
            )
            stored = connection.execute(
                sa.text("SELECT b.qty, m.delta FROM balances b, movements m")
            ).one()
        assert [tuple(row) for row in keys] == [
            ("Änderung GmbH", "änderung gmbh", "first"),
            ("änderung gmbh", "änderung gmbh #2", "second"),
            ("Straße", "strasse", ""),
            ("Hangzhou Mill", "hangzhou mill", ""),
        ]
        assert tuple(stored) == (2**31 + 7, big)
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouses_url(request, database_url_for):
    """A database apart from ``fresh_url``'s, as ``search_url`` is (the 0005 test's counts)."""
    return database_url_for(request.param, name="warehouses")


def test_0013_gives_everyone_the_warehouses_there_are(warehouses_url):
    """After 0013 nothing changes for anyone: managers work in every warehouse, every
    other user in each warehouse there was (the main one); the warehouses stay active."""
    app = make_app(warehouses_url)
    with app.app_context():
        upgrade_with_rows(
            "0012",
            *MANAGER_AND_A_VARIANT,
            "INSERT INTO users (username, password_hash, role, active, created_at) "
            "VALUES ('bob', 'x', 'clerk', true, '2026-11-01 08:00'), "
            "('cat', 'x', 'viewer', false, '2026-11-01 08:00')",
            "INSERT INTO balances (variant_id, location_id, qty) "
            "SELECT v.id, l.id, 7 FROM variants v, locations l",
        )
        with db.engine.connect() as connection:
            users = connection.execute(
                sa.text(
                    "SELECT u.username, u.all_warehouses, w.code FROM users u "
                    "LEFT JOIN user_warehouses uw ON uw.user_id = u.id "
                    "LEFT JOIN warehouses w ON w.id = uw.warehouse_id ORDER BY u.username"
                )
            ).all()
            kept = connection.execute(
                sa.text(
                    "SELECT w.code, w.active, b.qty FROM warehouses w "
                    "JOIN locations l ON l.warehouse_id = w.id JOIN balances b "
                    "ON b.location_id = l.id"
                )
            ).all()
        assert [tuple(row) for row in users] == [
            ("ann", True, None),
            ("bob", False, "MAIN"),
            ("cat", False, "MAIN"),
        ]
        assert [tuple(row) for row in kept] == [("MAIN", True, 7)]
        downgrade(revision="0012")
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM users")) == 3
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def search_url(request, database_url_for):
    """A database apart from ``fresh_url``'s: the 0005 test leaves counts there too large
    for 0005's downgrade (to 32 bits), which going back to the base passes through."""
    return database_url_for(request.param, name="search")


def test_0007_indexes_the_rows_already_there(search_url):
    """A database with a catalogue, orders and suppliers finds them by any part after the
    upgrade, and the indexes keep following it."""
    app = make_app(search_url)
    with app.app_context():
        upgrade_with_rows(
            "0005_pieces_64_bit_supplier_keys",
            "INSERT INTO users (username, password_hash, role, active, created_at) "
            "VALUES ('ann', 'x', 'manager', true, '2026-11-01 08:00')",
            "INSERT INTO styles (code, name, category, unit, active, created_at) "
            "VALUES ('KN-7001', '纯棉T恤', '', '', true, '2026-11-01 08:00')",
            "INSERT INTO variants (style_id, colour, colour_rank, size, size_rank, sku, "
            "archived) SELECT id, '', 0, 'M', 0, 'KN-7001-M', false FROM styles",
            "INSERT INTO orders (number, customer, note, status, created_by, cancel_reason, "
            "created_at) SELECT 'PH-000042', '王小芳', '', 'open', id, '', '2026-11-01 08:00' "
            "FROM users",
            "INSERT INTO suppliers (name, name_key, contact, phone, note) "
            "VALUES ('杭州纺织厂', '杭州纺织厂', '', '', '')",
            "INSERT INTO purchase_orders (number, supplier_id, note, status, created_by, "
            "created_at) SELECT 'CG-000007', s.id, '', 'ordered', u.id, '2026-11-01 08:00' "
            "FROM suppliers s, users u",
        )
        with app.test_request_context():
            begin_write()  # the rename below is rolled back
            found = [
                db.session.scalars(select(column).where(match(text, *columns).where)).all()
                for column, columns, text in [
                    (Style.code, (Style.code, Style.name), "棉t恤"),
                    (Order.number, (Order.number, Order.customer), "王小芳"),
                    (Supplier.name, (Supplier.name,), "纺织厂"),
                    (PurchaseOrder.number, (PurchaseOrder.number,), "000007"),
                ]
            ]
            db.session.execute(sa.text("UPDATE styles SET name = '羊毛衫'"))
            renamed = db.session.scalars(
                select(Style.code).where(match("羊毛衫", Style.name).where)
            ).all()
            db.session.rollback()
        assert found == [["KN-7001"], ["PH-000042"], ["杭州纺织厂"], ["CG-000007"]]
        assert renamed == ["KN-7001"]
        downgrade(revision="0005_pieces_64_bit_supplier_keys")
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT name FROM styles")) == "纯棉T恤"
        db.engine.dispose()


def test_every_revision_id_fits_alembic_version(tmp_path):
    """alembic_version.version_num is VARCHAR(32): PostgreSQL refuses a longer id when
    the upgrade stamps it (SQLite would store it), so a long id breaks PostgreSQL only."""
    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite'}")
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    revisions = [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]
    assert revisions and all(len(revision) <= 32 for revision in revisions), revisions


def test_0014_keeps_the_ledger_and_takes_moves_and_write_offs(fresh_url):
    """0014 adds the write-off tables beside a ledger in use; the kinds it brings (move,
    move_out, move_in, write_off) fit the kind columns as they are, on both databases."""
    app = make_app(fresh_url)
    with app.app_context():
        upgrade_with_rows(
            "0012_orders_picked_in_full",
            *MANAGER_AND_A_VARIANT,
            "INSERT INTO documents (kind, status, note, operator_id, created_at) "
            "SELECT 'receipt', 'posted', 'first', id, '2026-11-01 08:00' FROM users",
            "INSERT INTO balances (variant_id, location_id, qty) "
            "SELECT v.id, l.id, 7 FROM variants v, locations l",
            "INSERT INTO movements (variant_id, location_id, delta, balance_after, kind, "
            "document_id, operator_id, note, created_at) "
            "SELECT v.id, l.id, 7, 7, 'inbound', d.id, d.operator_id, '', d.created_at "
            "FROM variants v, locations l, documents d",
        )
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO documents (kind, status, note, operator_id, created_at) "
                    "SELECT 'write_off', 'submitted', 'torn', id, '2026-12-03 08:00' FROM users"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO write_offs (document_id, location_id, reason, reject_reason) "
                    "SELECT d.id, l.id, 'damaged', '' FROM documents d, locations l "
                    "WHERE d.kind = 'write_off' AND l.is_default"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO write_off_lines (document_id, variant_id, qty) "
                    "SELECT w.document_id, v.id, 2 FROM write_offs w, variants v"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO movements (variant_id, location_id, delta, balance_after, "
                    "kind, operator_id, note, created_at) SELECT v.id, l.id, 0, 7, 'move_out', "
                    "u.id, '', '2026-12-03 08:00' FROM variants v, locations l, users u "
                    "WHERE l.is_default"
                )
            )
            kept = connection.execute(
                sa.text(
                    "SELECT d.kind, m.kind, m.delta, b.qty FROM movements m "
                    "LEFT JOIN documents d ON d.id = m.document_id "
                    "JOIN balances b ON b.variant_id = m.variant_id ORDER BY m.id"
                )
            ).all()
            waiting = connection.execute(
                sa.text(
                    "SELECT w.reason, l.qty FROM write_offs w "
                    "JOIN write_off_lines l ON l.document_id = w.document_id"
                )
            ).all()
        assert [tuple(row) for row in kept] == [
            ("receipt", "inbound", 7, 7),
            (None, "move_out", 0, 7),
        ]
        assert [tuple(row) for row in waiting] == [("damaged", 2)]
        downgrade(revision="0012_orders_picked_in_full")
        assert "write_offs" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_0016_takes_returns_to_suppliers_beside_the_ledger_and_downgrades_until_one_posts(
    fresh_url,
):
    """0016 adds the return tables beside a ledger in use; its kind (supplier_return) fits
    the kind columns as they are. A downgrade drops them while no return has posted, and is
    refused once one has: its movements would lose their supplier and PO."""
    app = make_app(fresh_url)
    with app.app_context():
        upgrade_with_rows(
            "0015_transfers",
            *MANAGER_AND_A_VARIANT,
            "INSERT INTO suppliers (name, name_key, contact, phone, note) "
            "VALUES ('Mill', 'mill', '', '', '')",
            "INSERT INTO documents (kind, status, note, operator_id, created_at) "
            "SELECT 'receipt', 'posted', 'first', id, '2026-11-01 08:00' FROM users",
            "INSERT INTO balances (variant_id, location_id, qty) "
            "SELECT v.id, l.id, 7 FROM variants v, locations l WHERE l.is_default",
            "INSERT INTO movements (variant_id, location_id, delta, balance_after, kind, "
            "document_id, operator_id, note, created_at) "
            "SELECT v.id, l.id, 7, 7, 'inbound', d.id, d.operator_id, '', d.created_at "
            "FROM variants v, locations l, documents d WHERE l.is_default",
        )
        waiting = (
            "INSERT INTO documents (kind, status, note, operator_id, created_at) "
            "SELECT 'supplier_return', 'submitted', 'torn', id, '2026-12-04 08:00' FROM users",
            "INSERT INTO supplier_returns (document_id, supplier_id, warehouse_id, reason, "
            "reject_reason) SELECT d.id, s.id, w.id, 'damaged', '' FROM documents d, "
            "suppliers s, warehouses w WHERE d.kind = 'supplier_return'",
            "INSERT INTO supplier_return_lines (document_id, variant_id, location_id, qty) "
            "SELECT r.document_id, v.id, l.id, 2 FROM supplier_returns r, variants v, "
            "locations l WHERE l.is_default",
        )
        with db.engine.begin() as connection:
            for statement in waiting:
                connection.execute(sa.text(statement))
            kept = connection.execute(
                sa.text(
                    "SELECT d.kind, r.reason, l.qty FROM supplier_returns r "
                    "JOIN documents d ON d.id = r.document_id "
                    "JOIN supplier_return_lines l ON l.document_id = r.document_id"
                )
            ).all()
        assert [tuple(row) for row in kept] == [("supplier_return", "damaged", 2)]
        downgrade(revision="0015_transfers")
        assert "supplier_returns" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        with db.engine.begin() as connection:
            for statement in waiting:
                connection.execute(sa.text(statement))
            connection.execute(
                sa.text(
                    "INSERT INTO movements (variant_id, location_id, delta, balance_after, "
                    "kind, document_id, operator_id, note, created_at) SELECT l.variant_id, "
                    "l.location_id, -2, 5, 'supplier_return', l.document_id, u.id, '', "
                    "'2026-12-04 09:00' FROM supplier_return_lines l, users u"
                )
            )
            connection.execute(sa.text("UPDATE balances SET qty = 5"))
        with pytest.raises(SystemExit):  # Flask-Migrate's word for the RuntimeError
            downgrade(revision="0015_transfers")
        assert "supplier_returns" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_0017_ships_the_orders_there_are_from_the_main_warehouse(fresh_url):
    """Orders made before 0017 ship from the main warehouse; their lines and allocation
    documents keep pointing at them, and the order search keeps following new orders
    (on SQLite the copy of orders makes its triggers again)."""
    app = make_app(fresh_url)
    with app.app_context():
        upgrade_with_rows(
            "0015_transfers",
            *MANAGER_AND_A_VARIANT,
            "INSERT INTO warehouses (code, name, active) VALUES ('SH', 'Shop', true)",
            "INSERT INTO orders (number, customer, note, status, created_by, created_at, "
            "cancel_reason, picked_in_full) SELECT 'PH-1', '张三', '', 'completed', id, "
            "'2026-11-01 08:00', '', false FROM users",
            "INSERT INTO order_lines (order_id, variant_id, ordered, picked, shipped, "
            "returned, reserving) SELECT o.id, v.id, 3, 3, 3, 0, false FROM orders o, variants v",
            "INSERT INTO documents (kind, status, note, operator_id, created_at, order_id) "
            "SELECT 'allocation', 'posted', 'PH-1', created_by, created_at, id FROM orders",
        )
        with db.engine.begin() as connection:
            kept = connection.execute(
                sa.text(
                    "SELECT o.number, w.code, l.shipped, d.kind FROM orders o "
                    "JOIN warehouses w ON w.id = o.warehouse_id "
                    "JOIN order_lines l ON l.order_id = o.id JOIN documents d ON d.order_id = o.id"
                )
            ).all()
            connection.execute(
                sa.text(
                    "INSERT INTO orders (number, customer, note, status, created_by, "
                    "created_at, cancel_reason, picked_in_full, warehouse_id) "
                    "SELECT 'PH-2', '王小芳', '', 'open', u.id, '2026-12-03 08:00', '', false, "
                    "w.id FROM users u, warehouses w WHERE w.code = 'SH'"
                )
            )
        assert [tuple(row) for row in kept] == [("PH-1", "MAIN", 3, "allocation")]
        with app.test_request_context():
            found = db.session.scalars(
                select(Order.number).where(match("王小芳", Order.number, Order.customer).where)
            ).all()
        assert found == ["PH-2"]
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO orders (number, customer, note, status, created_by, "
                    "created_at, cancel_reason, picked_in_full) SELECT 'PH-3', '', '', "
                    "'open', id, '2026-12-03 08:00', '', false FROM users"
                )
            )
        downgrade(revision="0015_transfers")
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT COUNT(*) FROM order_lines")) == 1
        db.engine.dispose()
