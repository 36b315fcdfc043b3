"""transfers (调拨) between warehouses, through a transit location (在途) per warehouse

``locations.is_transit`` flags the one location per warehouse where goods shipped to it
wait until it receives them; each warehouse there is gets it (code ``~TRANSIT``, outside
the codes a user may give, so it takes none of theirs). ``transfers`` is a transfer's
header beside its document (documents.kind ``transfer``: the kinds are stored as
VARCHAR(16) with no constraint, so the new kind needs no change there), and
``transfer_lines`` its lines. Nothing existing changes.

Revision ID: 0015_transfers
Revises: 0014_moves_write_offs
Create Date: 2026-12-02 19:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015_transfers'
down_revision = '0014_moves_write_offs'
branch_labels = None
depends_on = None


def _pieces():
    # stockapp.models.ledger.Int64: BIGINT, INTEGER on SQLite (64 bits there already).
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    # A plain ADD COLUMN with a default: batch mode would copy locations, which the
    # balances and movements reference.
    op.add_column('locations', sa.Column('is_transit', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.execute(
        "INSERT INTO locations (warehouse_id, code, is_default, zone, note, name, "
        "is_quarantine, is_transit) SELECT id, '~TRANSIT', false, '', '', '', false, true "
        "FROM warehouses"
    )
    op.create_table(
        'transfers',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
        sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('shipped_by', sa.Integer(), nullable=True),
        sa.Column('shipped_at', sa.DateTime(), nullable=True),
        sa.Column('received_by', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('from_warehouse_id <> to_warehouse_id',
                           name=op.f('ck_transfers_two_warehouses')),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_transfers_document_id_documents')),
        sa.ForeignKeyConstraint(['from_warehouse_id'], ['warehouses.id'],
                                name=op.f('fk_transfers_from_warehouse_id_warehouses')),
        sa.ForeignKeyConstraint(['to_warehouse_id'], ['warehouses.id'],
                                name=op.f('fk_transfers_to_warehouse_id_warehouses')),
        sa.ForeignKeyConstraint(['shipped_by'], ['users.id'],
                                name=op.f('fk_transfers_shipped_by_users')),
        sa.ForeignKeyConstraint(['received_by'], ['users.id'],
                                name=op.f('fk_transfers_received_by_users')),
        sa.ForeignKeyConstraint(['closed_by'], ['users.id'],
                                name=op.f('fk_transfers_closed_by_users')),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_transfers')),
    )
    op.create_index('ix_transfers_status_document_id', 'transfers',
                    ['status', 'document_id'], unique=False)
    op.create_index(op.f('ix_transfers_from_warehouse_id'), 'transfers',
                    ['from_warehouse_id'], unique=False)
    op.create_index(op.f('ix_transfers_to_warehouse_id'), 'transfers',
                    ['to_warehouse_id'], unique=False)
    op.create_table(
        'transfer_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('variant_id', sa.Integer(), nullable=False),
        *(sa.Column(name, _pieces(), nullable=False) for name in (
            'qty', 'shipped', 'received', 'damaged', 'quarantined', 'written_off', 'returned')),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.CheckConstraint('qty > 0', name=op.f('ck_transfer_lines_qty_positive')),
        sa.CheckConstraint(
            'shipped >= 0 AND received >= 0 AND damaged >= 0 AND quarantined >= 0'
            ' AND written_off >= 0 AND returned >= 0',
            name=op.f('ck_transfer_lines_not_negative')),
        sa.CheckConstraint('received + quarantined + written_off + returned <= shipped',
                           name=op.f('ck_transfer_lines_within_shipped')),
        sa.ForeignKeyConstraint(['document_id'], ['transfers.document_id'],
                                name=op.f('fk_transfer_lines_document_id_transfers')),
        sa.ForeignKeyConstraint(['variant_id'], ['variants.id'],
                                name=op.f('fk_transfer_lines_variant_id_variants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_lines')),
    )
    op.create_index('ix_transfer_lines_document_id', 'transfer_lines', ['document_id'],
                    unique=False)
    op.create_index(op.f('ix_transfer_lines_variant_id'), 'transfer_lines', ['variant_id'],
                    unique=False)


def downgrade():
    # Refused once anything was shipped: the movements through transit are history.
    moved = op.get_bind().scalar(sa.text(
        "SELECT COUNT(*) FROM movements m JOIN locations l ON l.id = m.location_id "
        "WHERE l.is_transit"))
    if moved:
        raise RuntimeError("transfers have moved stock: a downgrade would lose their history")
    op.drop_index(op.f('ix_transfer_lines_variant_id'), table_name='transfer_lines')
    op.drop_index('ix_transfer_lines_document_id', table_name='transfer_lines')
    op.drop_table('transfer_lines')
    op.drop_index(op.f('ix_transfers_to_warehouse_id'), table_name='transfers')
    op.drop_index(op.f('ix_transfers_from_warehouse_id'), table_name='transfers')
    op.drop_index('ix_transfers_status_document_id', table_name='transfers')
    op.drop_table('transfers')
    op.execute(
        "DELETE FROM balances WHERE location_id IN (SELECT id FROM locations WHERE is_transit)")
    op.execute("DELETE FROM locations WHERE is_transit")
    op.execute('ALTER TABLE locations DROP COLUMN is_transit')
