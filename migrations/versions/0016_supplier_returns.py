"""returns to the supplier (退供应商)

``supplier_returns`` is a return's header beside its document (documents.kind
``supplier_return``; movements.kind ``supplier_return``): its supplier, the purchase
order it goes back against (if any), the warehouse of its bins, the reason and the
manager's decision. ``supplier_return_lines`` are its lines: variant, the bin the pieces
leave, pieces. The kinds are stored as VARCHAR(16) with no constraint, and the new one
(15 characters) fits, so nothing existing changes.

Revision ID: 0016_supplier_returns
Revises: 0015_transfers
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016_supplier_returns'
down_revision = '0015_transfers'
branch_labels = None
depends_on = None


def _pieces():
    # stockapp.models.ledger.Int64: BIGINT, INTEGER on SQLite (64 bits there already).
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'supplier_returns',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('po_id', sa.Integer(), nullable=True),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('reject_reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_supplier_returns_document_id_documents')),
        sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'],
                                name=op.f('fk_supplier_returns_supplier_id_suppliers')),
        sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'],
                                name=op.f('fk_supplier_returns_po_id_purchase_orders')),
        sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'],
                                name=op.f('fk_supplier_returns_warehouse_id_warehouses')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'],
                                name=op.f('fk_supplier_returns_decided_by_users')),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_supplier_returns')),
    )
    for column in ('supplier_id', 'po_id', 'warehouse_id'):
        op.create_index(op.f(f'ix_supplier_returns_{column}'), 'supplier_returns', [column],
                        unique=False)
    op.create_table(
        'supplier_return_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('qty', _pieces(), nullable=False),
        sa.CheckConstraint('qty > 0', name=op.f('ck_supplier_return_lines_qty_positive')),
        sa.ForeignKeyConstraint(['document_id'], ['supplier_returns.document_id'],
                                name=op.f('fk_supplier_return_lines_document_id_supplier_returns')),
        sa.ForeignKeyConstraint(['variant_id'], ['variants.id'],
                                name=op.f('fk_supplier_return_lines_variant_id_variants')),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'],
                                name=op.f('fk_supplier_return_lines_location_id_locations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_return_lines')),
        sa.UniqueConstraint('document_id', 'variant_id', 'location_id',
                            name=op.f('uq_supplier_return_lines_document_id')),
    )
    for column in ('variant_id', 'location_id'):
        op.create_index(op.f(f'ix_supplier_return_lines_{column}'), 'supplier_return_lines',
                        [column], unique=False)


def downgrade():
    # Refused once a return has posted: its movements are history that would lose its
    # document's header (and so its supplier and PO).
    posted = op.get_bind().scalar(sa.text(
        "SELECT COUNT(*) FROM movements WHERE kind = 'supplier_return'"))
    if posted:
        raise RuntimeError("returns to suppliers have posted: a downgrade would lose them")
    for column in ('location_id', 'variant_id'):
        op.drop_index(op.f(f'ix_supplier_return_lines_{column}'),
                      table_name='supplier_return_lines')
    op.drop_table('supplier_return_lines')
    for column in ('warehouse_id', 'po_id', 'supplier_id'):
        op.drop_index(op.f(f'ix_supplier_returns_{column}'), table_name='supplier_returns')
    op.drop_table('supplier_returns')
