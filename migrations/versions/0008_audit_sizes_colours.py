"""the audit trail, size groups and the colour list

``audit_entries`` records who changed what that is not stock (products, users,
tokens, settings, suppliers, locations), before and after; ``size_groups`` and
``colours`` are the reusable size runs and colours a style is made from. The
size groups a garment shop starts with are added: S–3XL, 36–46, 26–36 and 均码
(one size). Nothing existing changes.

Revision ID: 0008_audit_sizes_colours
Revises: 0007_search_trigram_indexes
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_audit_sizes_colours'
down_revision = '0007_search_trigram_indexes'
branch_labels = None
depends_on = None

# The size groups a fresh install starts with; managers edit them in Settings.
STARTING_SIZE_GROUPS = (
    ("S–3XL", ["S", "M", "L", "XL", "2XL", "3XL"]),
    ("36–46", [str(size) for size in range(36, 47)]),
    ("26–36", [str(size) for size in range(26, 37)]),
    ("均码", ["均码"]),
)


def upgrade():
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_key', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    op.create_index('ix_audit_entries_subject_id', 'audit_entries', ['subject', 'id'])
    op.create_index('ix_audit_entries_actor_id_id', 'audit_entries', ['actor_id', 'id'])
    size_groups = op.create_table('size_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sizes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_size_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_size_groups_name'))
    )
    op.create_table('colours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_colours')),
    sa.UniqueConstraint('name', name=op.f('uq_colours_name'))
    )
    op.bulk_insert(size_groups, [{"name": name, "sizes": sizes} for name, sizes in STARTING_SIZE_GROUPS])


def downgrade():
    op.drop_table('colours')
    op.drop_table('size_groups')
    op.drop_index('ix_audit_entries_actor_id_id', table_name='audit_entries')
    op.drop_index('ix_audit_entries_subject_id', table_name='audit_entries')
    op.drop_table('audit_entries')
