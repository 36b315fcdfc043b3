"""warehouses that come and go, and who works in which

``warehouses.active`` lets a manager deactivate a warehouse (and reactivate it);
``users.all_warehouses`` gives a manager every warehouse, those added later included;
``user_warehouses`` gives anyone else the warehouses they work in. Nothing existing
changes for anyone: every manager gets every warehouse, every other user the
warehouses there are (the main one, in a shop that has one).

Revision ID: 0013_warehouses_access
Revises: 0012_orders_picked_in_full
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013_warehouses_access'
down_revision = '0012_orders_picked_in_full'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with defaults: batch mode would copy warehouses and users, which
    # locations, movements and documents reference.
    op.add_column('warehouses', sa.Column('active', sa.Boolean(), nullable=False,
                                          server_default=sa.true()))
    op.add_column('users', sa.Column('all_warehouses', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.create_table(
        'user_warehouses',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], ),
        sa.PrimaryKeyConstraint('user_id', 'warehouse_id'),
    )
    op.create_index(op.f('ix_user_warehouses_warehouse_id'), 'user_warehouses',
                    ['warehouse_id'], unique=False)
    op.execute("UPDATE users SET all_warehouses = true WHERE role = 'manager'")
    op.execute(
        "INSERT INTO user_warehouses (user_id, warehouse_id) SELECT u.id, w.id"
        " FROM users u, warehouses w WHERE u.role <> 'manager'"
    )


def downgrade():
    op.drop_index(op.f('ix_user_warehouses_warehouse_id'), table_name='user_warehouses')
    op.drop_table('user_warehouses')
    op.execute('ALTER TABLE users DROP COLUMN all_warehouses')
    op.execute('ALTER TABLE warehouses DROP COLUMN active')
