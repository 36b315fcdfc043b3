"""location names and the low-stock index

``locations.name`` is the name a manager gives a location (the default location's
is shown as "Default location" / 默认库位 until then); ``ix_variants_low_stock_threshold``
lets the managers' to-do count the low-stock variants among those with a threshold
without reading every variant. Nothing existing changes.

Revision ID: 0011_location_names_low_stock
Revises: 0010_imports_opening_stock
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011_location_names_low_stock'
down_revision = '0010_imports_opening_stock'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a default: batch mode would copy locations, which the
    # balances and movements reference.
    op.add_column('locations', sa.Column('name', sa.String(length=40), nullable=False,
                                         server_default=''))
    op.create_index('ix_variants_low_stock_threshold', 'variants', ['low_stock_threshold'])


def downgrade():
    op.drop_index('ix_variants_low_stock_threshold', table_name='variants')
    op.execute('ALTER TABLE locations DROP COLUMN name')
