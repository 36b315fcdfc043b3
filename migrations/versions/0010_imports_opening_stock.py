"""imports from Excel and opening stock

``imports`` keeps each uploaded sheet as parsed (its rows and errors as JSON), who
uploaded it and when, its state, and, once confirmed, who confirmed it and the
opening-stock document it posted. ``imported_sha256`` is unique: a file is imported
once. The movement and document kind "opening" needs no schema change (kinds are
stored as text). Nothing existing changes.

Revision ID: 0010_imports_opening_stock
Revises: 0009_accounts_users
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_imports_opening_stock'
down_revision = '0009_accounts_users'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_sha256', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_imports_uploaded_by_users')),
    sa.ForeignKeyConstraint(['confirmed_by'], ['users.id'], name=op.f('fk_imports_confirmed_by_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_imports_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports')),
    sa.UniqueConstraint('imported_sha256', name=op.f('uq_imports_imported_sha256'))
    )
    op.create_index(op.f('ix_imports_sha256'), 'imports', ['sha256'])


def downgrade():
    op.drop_index(op.f('ix_imports_sha256'), table_name='imports')
    op.drop_table('imports')
