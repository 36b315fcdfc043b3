"""bin moves and write-offs

A bin move (移库, document kind ``move``) needs no table of its own: its document and
its movements (``move_out`` at the source bin, ``move_in`` at the destination) say
everything. A write-off (报损, kind ``write_off``) waits for approval before it posts,
so it keeps what it asks for: ``write_offs`` (its location, reason and decision) and
``write_off_lines`` (variant, pieces).

The new kinds need no change to existing columns: ``documents.kind`` and
``movements.kind`` are VARCHAR(16) with no database enum type and no check
constraint (``models.vocabulary.stored_as``), on SQLite and PostgreSQL alike, and
the longest new value (``write_off``, ``move_out``) fits. Nothing existing changes.

Revision ID: 0014_moves_write_offs
Revises: 0013_warehouses_access
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014_moves_write_offs'
down_revision = '0013_warehouses_access'
branch_labels = None
depends_on = None

PIECES = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('write_offs',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_write_offs_decided_by_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_write_offs_document_id_documents')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_write_offs_location_id_locations')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_write_offs'))
    )
    op.create_index(op.f('ix_write_offs_location_id'), 'write_offs', ['location_id'])
    op.create_table('write_off_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('qty', PIECES, nullable=False),
    sa.CheckConstraint('qty > 0', name=op.f('ck_write_off_lines_qty_positive')),
    sa.ForeignKeyConstraint(['document_id'], ['write_offs.document_id'], name=op.f('fk_write_off_lines_document_id_write_offs')),
    sa.ForeignKeyConstraint(['variant_id'], ['variants.id'], name=op.f('fk_write_off_lines_variant_id_variants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_write_off_lines')),
    sa.UniqueConstraint('document_id', 'variant_id', name=op.f('uq_write_off_lines_document_id'))
    )
    op.create_index(op.f('ix_write_off_lines_variant_id'), 'write_off_lines', ['variant_id'])


def downgrade():
    op.drop_index(op.f('ix_write_off_lines_variant_id'), table_name='write_off_lines')
    op.drop_table('write_off_lines')
    op.drop_index(op.f('ix_write_offs_location_id'), table_name='write_offs')
    op.drop_table('write_offs')
