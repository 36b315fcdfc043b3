"""an allocation order ships from a warehouse

``orders.warehouse_id`` (NOT NULL, to warehouses): the warehouse whose bins the order
is picked from and whose stock its reservation counts against. Every existing order
gets the main warehouse (code ``MAIN``, made by the first migration), where orders
shipped from until now; with an index for what a warehouse's active orders reserve.

SQLite cannot add a NOT NULL column that references another table, so there the
orders table is copied (batch mode) with foreign keys off for the copy: order lines
and documents reference orders, whose ids the copy keeps. The copy drops the
search triggers on orders; they are made again as they were.

Revision ID: 0017_orders_warehouse
Revises: 0016_supplier_returns
Create Date: 2026-12-03 20:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017_orders_warehouse'
down_revision = '0016_supplier_returns'
branch_labels = None
depends_on = None

MAIN = "(SELECT id FROM warehouses WHERE code = 'MAIN')"


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.add_column('orders', sa.Column('warehouse_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE orders SET warehouse_id = {MAIN}")
        op.alter_column('orders', 'warehouse_id', nullable=False)
        op.create_foreign_key(op.f('fk_orders_warehouse_id_warehouses'), 'orders',
                              'warehouses', ['warehouse_id'], ['id'])
    else:
        def add(batch_op):
            batch_op.alter_column('warehouse_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(op.f('fk_orders_warehouse_id_warehouses'),
                                        'warehouses', ['warehouse_id'], ['id'])

        _copy_orders(add, before=(
            "ALTER TABLE orders ADD COLUMN warehouse_id INTEGER",
            f"UPDATE orders SET warehouse_id = {MAIN}",
        ))
    op.create_index('ix_orders_warehouse_id_status', 'orders', ['warehouse_id', 'status'],
                    unique=False)


def downgrade():
    op.drop_index('ix_orders_warehouse_id_status', table_name='orders')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_orders_warehouse_id_warehouses'), 'orders',
                           type_='foreignkey')
        op.drop_column('orders', 'warehouse_id')
        return

    def drop(batch_op):
        batch_op.drop_constraint(op.f('fk_orders_warehouse_id_warehouses'), type_='foreignkey')
        batch_op.drop_column('warehouse_id')

    _copy_orders(drop)


def _copy_orders(change, before=()):
    """SQLite: run ``before``, then copy orders with ``change`` made to it (batch mode),
    foreign keys off for the copy, and make its search triggers again."""
    bind = op.get_bind()
    triggers = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'orders'"
    )).scalars().all()
    # Statements here run outside a transaction (the app's SQLite engine begins one
    # only to write stock), so the pragma takes effect.
    op.execute('PRAGMA foreign_keys = OFF')
    try:
        for statement in before:
            op.execute(statement)
        with op.batch_alter_table('orders', recreate='always') as batch_op:
            change(batch_op)
        for trigger in triggers:
            op.execute(trigger)
        problems = bind.execute(sa.text('PRAGMA foreign_key_check')).all()
        if problems:
            raise RuntimeError(f'rows reference missing rows: {problems}')
    finally:
        op.execute('PRAGMA foreign_keys = ON')
