"""counts of pieces in 64 bits; suppliers unique by their folded name

Every column that holds a count of pieces (balances, movements, order, PO and
receipt lines, the low-stock threshold) becomes BIGINT on PostgreSQL, one
rewrite per table. SQLite's INTEGER already holds 64 bits: nothing to do there,
and no table is rebuilt.

Suppliers get ``name_key``: the name with compatibility forms unified and its
case folded in Python (NFKC, then str.casefold()), unique, so both databases
agree that "Änderung GmbH" and "änderung gmbh" are one name. Existing rows are
backfilled; two existing suppliers whose names fold alike (SQLite could store
both) are both kept, the later one's key marked with its id, so nothing is lost
and the first keeps the name.

Revision ID: 0005_pieces_64_bit_supplier_keys
Revises: 0004_sessions_tokens_throttle
Create Date: 2026-12-01 14:10:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_pieces_64_bit_supplier_keys'
down_revision = '0004_sessions_tokens_throttle'
branch_labels = None
depends_on = None

PIECES = {
    "balances": ("qty",),
    "movements": ("delta", "balance_after"),
    "order_lines": ("ordered", "picked", "shipped", "returned"),
    "po_lines": ("ordered", "cancelled"),
    "receipt_lines": ("received", "damaged"),
    "variants": ("low_stock_threshold",),
}


def _fold(name: str) -> str:
    # As stockapp.models.purchasing.folded did when this migration was written.
    return unicodedata.normalize("NFKC", name).casefold()


def _retype(type_name: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in PIECES.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {type_name}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade():
    _retype("BIGINT")
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=360), nullable=True))
    bind = op.get_bind()
    keys = set()
    for supplier_id, name in bind.execute(sa.text("SELECT id, name FROM suppliers ORDER BY id")):
        key = _fold(name)
        while key in keys:
            key = f"{key} #{supplier_id}"
        keys.add(key)
        bind.execute(
            sa.text("UPDATE suppliers SET name_key = :key WHERE id = :id"),
            {"key": key, "id": supplier_id},
        )
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=360), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_suppliers_name_key'), ['name_key'])


def downgrade():
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_suppliers_name_key'), type_='unique')
        batch_op.drop_column('name_key')
    # Refused by PostgreSQL if a count has passed the 32-bit range: nothing is cut short.
    _retype("INTEGER")
