"""Transfers (调拨): stock moved from one warehouse to another through in transit (在途).

A transfer's header sits beside its document (``documents`` row, kind transfer), as a
receipt's does; every movement of every step (ship, receive, decide, cancel) points at
that document. Goods in transit sit in the destination warehouse's transit location
(``Location.is_transit``), which no on-hand, available, picking or counting figure
reads.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .catalogue import Variant
from .ledger import Int64
from .vocabulary import Vocabulary, stored_as


class TransferStatus(Vocabulary):
    DRAFT = "draft", _l("Draft")
    SHIPPED = "shipped", _l("In transit")
    # Received with differences: waiting for a manager's decision per line.
    RECEIVED = "received", _l("Waiting for a decision")
    CLOSED = "closed", _l("Closed")
    CANCELLED = "cancelled", _l("Cancelled")


class TransferDecision(Vocabulary):
    """What a manager does with pieces shipped and not received."""

    WRITE_OFF = "write_off", _l("Write off")
    RETURN = "return", _l("Return to the source")


class Transfer(db.Model):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("from_warehouse_id <> to_warehouse_id", name="two_warehouses"),
        Index("ix_transfers_status_document_id", "status", "document_id"),
    )

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[TransferStatus] = mapped_column(stored_as(TransferStatus, 16))
    shipped_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who closed it (by a receipt that matched, or a decision) or cancelled it.
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["TransferLine"]] = relationship(order_by="TransferLine.id")


class TransferLine(db.Model):
    """One variant of a transfer. In transit: ``shipped − received − quarantined −
    written_off − returned``; ``damaged − quarantined`` damaged pieces stayed in transit
    (the destination has no quarantine location) for the manager to decide."""

    __tablename__ = "transfer_lines"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint(
            "shipped >= 0 AND received >= 0 AND damaged >= 0 AND quarantined >= 0"
            " AND written_off >= 0 AND returned >= 0",
            name="not_negative",
        ),
        CheckConstraint(
            "received + quarantined + written_off + returned <= shipped", name="within_shipped"
        ),
        Index("ix_transfer_lines_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("transfers.document_id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    qty: Mapped[int] = mapped_column(Int64)
    shipped: Mapped[int] = mapped_column(Int64, default=0)
    received: Mapped[int] = mapped_column(Int64, default=0)
    damaged: Mapped[int] = mapped_column(Int64, default=0)
    quarantined: Mapped[int] = mapped_column(Int64, default=0)
    written_off: Mapped[int] = mapped_column(Int64, default=0)
    returned: Mapped[int] = mapped_column(Int64, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")

    variant: Mapped[Variant] = relationship()

    @property
    def in_transit(self) -> int:
        return self.shipped - self.received - self.quarantined - self.written_off - self.returned
