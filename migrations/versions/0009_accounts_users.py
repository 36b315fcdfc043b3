"""users managed in the browser: a display name and the first-password flag

``users.display_name`` (empty: the user name is shown) and
``users.must_change_password`` (a first password a manager handed over, to be
replaced at the next sign-in). Existing users get an empty display name and keep
their passwords.

Revision ID: 0009_accounts_users
Revises: 0008_audit_sizes_colours
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_accounts_users'
down_revision = '0008_audit_sizes_colours'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with a default: batch mode would copy users, which sessions,
    # tokens, documents and movements reference.
    op.add_column('users', sa.Column('display_name', sa.String(length=64), nullable=False,
                                     server_default=''))
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade():
    for column in ('must_change_password', 'display_name'):
        op.execute(f'ALTER TABLE users DROP COLUMN {column}')
