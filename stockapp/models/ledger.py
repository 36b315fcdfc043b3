"""The stock ledger: documents, immutable movements, cached balances, idempotency keys.

Only ``stockapp.services.ledger`` writes ``Balance`` and ``Movement`` rows.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .vocabulary import Vocabulary, stored_as


class Int64(TypeDecorator):
    """A 64-bit integer: BIGINT on PostgreSQL, INTEGER on SQLite, where INTEGER already
    holds 64 bits (and only a column declared exactly INTEGER PRIMARY KEY auto-increments).
    Ids that grow fast (movements) and every count of pieces are stored in it. A value
    read is an int, sums included (PostgreSQL answers SUM(bigint) as a numeric).
    """

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(Integer() if dialect.name == "sqlite" else BigInteger())

    def process_result_value(self, value, dialect):
        return value if value is None or type(value) is int else int(value)


# What one line of a document may move, and how many lines one document may have.
MAX_QTY = 1_000_000
MAX_LINES = 1_000
# A note or a reason, on a document, a movement or a line (the Text columns).
MAX_NOTE = 500
# A document's number as the user gives it: an order's, a PO's.
MAX_NUMBER = 40
# Ids are 32-bit in the schema: a larger one names no row (and never reaches the database).
MAX_ID = 2**31 - 1
# What one balance may hold. Far past any warehouse, and so far inside 64 bits that no sum
# of balances or movements overflows; the ledger refuses a movement that would pass it.
MAX_BALANCE = 10**12


class MovementKind(Vocabulary):
    INBOUND = "inbound", _l("Inbound")
    STOCKTAKE = "stocktake", _l("Stocktake")
    ALLOCATION = "allocation", _l("Allocation")
    RETURN = "return", _l("Return")
    WRITE_OFF = "write_off", _l("Write-off")
    TRANSFER_OUT = "transfer_out", _l("Transfer out")
    TRANSFER_IN = "transfer_in", _l("Transfer in")
    # A bin move's two sides: out of the source bin, into the destination bin.
    MOVE_OUT = "move_out", _l("Bin move out")
    MOVE_IN = "move_in", _l("Bin move in")
    SUPPLIER_RETURN = "supplier_return", _l("Return to supplier")
    REVERSAL = "reversal", _l("Reversal")
    OPENING = "opening", _l("Opening stock")


class DocumentKind(Vocabulary):
    RECEIPT = "receipt", _l("Receipt")
    STOCKTAKE = "stocktake", _l("Stocktake")
    REVERSAL = "reversal", _l("Reversal")
    ALLOCATION = "allocation", _l("Allocation")
    RETURN = "return", _l("Return")
    OPENING = "opening", _l("Opening stock")
    MOVE = "move", _l("Bin move")
    WRITE_OFF = "write_off", _l("Write-off")
    TRANSFER = "transfer", _l("Transfer")
    SUPPLIER_RETURN = "supplier_return", _l("Return to supplier")

    @property
    def prefix(self) -> str:
        return {
            "receipt": "RC",
            "stocktake": "ST",
            "reversal": "RV",
            "allocation": "AL",
            "return": "RT",
            "opening": "OS",
            "move": "MV",
            "write_off": "WO",
            "transfer": "TF",
            "supplier_return": "SR",
        }[self.value]


# What a manager reverses (冲销) as a document of its own, once posted: those whose movements
# are all they did (a return to the supplier's pieces come back into their bins). An
# allocation or a return changes through its order, a transfer through its steps; a
# reversal is not reversed again.
REVERSIBLE = frozenset(
    {
        DocumentKind.RECEIPT,
        DocumentKind.STOCKTAKE,
        DocumentKind.MOVE,
        DocumentKind.WRITE_OFF,
        DocumentKind.SUPPLIER_RETURN,
    }
)


class DocumentStatus(Vocabulary):
    """A document's state; the labels are a receipt's, the one document a user moves
    through them by hand ("Receipt RC12 is waiting for approval")."""

    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Waiting for approval")
    POSTED = "posted", _l("Approved")
    REVERSED = "reversed", _l("Reversed")
    REJECTED = "rejected", _l("Rejected")


class Document(db.Model):
    """A receipt, a stocktake, a reversal …: what a group of movements belongs to."""

    __tablename__ = "documents"
    __table_args__ = (
        # The lists of one kind in some states, newest first (receipts waiting for
        # approval): walked in id order, however few are in that state.
        Index("ix_documents_kind_status_id", "kind", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(stored_as(DocumentKind, 16))
    status: Mapped[DocumentStatus] = mapped_column(stored_as(DocumentStatus, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Unique: a document is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), unique=True)
    # The allocation order an allocation or a return belongs to.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)

    @property
    def number(self) -> str:
        return document_number(self.kind, self.id)


def document_number(kind: str, document_id: int) -> str:
    """The number shown for a document, e.g. ``RC0000042`` for receipt 42."""
    return f"{DocumentKind(kind).prefix}{document_id:07d}"


class Balance(db.Model):
    """The cached sum of the movements of one variant in one location."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint("qty >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    qty: Mapped[int] = mapped_column(Int64, default=0)


class Movement(db.Model):
    """One immutable change of stock. Never updated, never deleted."""

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_variant_id_id", "variant_id", "id"),
        Index("ix_movements_kind_id", "kind", "id"),
        Index("ix_movements_operator_id_id", "operator_id", "id"),
    )

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    delta: Mapped[int] = mapped_column(Int64)
    balance_after: Mapped[int] = mapped_column(Int64)
    kind: Mapped[MovementKind] = mapped_column(stored_as(MovementKind, 16))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The movement this one reverses; unique, so nothing is reversed twice.
    reverses_id: Mapped[int | None] = mapped_column(Int64, ForeignKey("movements.id"), unique=True)


class IdempotencyRecord(db.Model):
    """A client's idempotency key and the result of the request that first used it."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of what was asked, so a key reused for a different request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
