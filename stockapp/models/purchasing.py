"""Purchasing: suppliers, purchase orders (采购单), receipts (入库单) and settings."""

import unicodedata
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .catalogue import Variant
from .ledger import MAX_NUMBER, Int64
from .vocabulary import Vocabulary, stored_as

MAX_SUPPLIER_NAME = 120
MAX_CONTACT = 80
MAX_PHONE = 40


def folded(name: str) -> str:
    """A supplier's name as its uniqueness sees it: compatibility forms unified (full-width
    letters) and case folded the Unicode way (Ä = ä, ß = ss), the same on every database."""
    return unicodedata.normalize("NFKC", name).casefold()


class Supplier(db.Model):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_SUPPLIER_NAME), unique=True)
    # folded(name), set whenever the name is: one supplier per name, ignoring case.
    # Folding may lengthen a name (ß → ss): at most three characters for one.
    name_key: Mapped[str] = mapped_column(String(3 * MAX_SUPPLIER_NAME), unique=True)
    contact: Mapped[str] = mapped_column(String(MAX_CONTACT), default="")
    phone: Mapped[str] = mapped_column(String(MAX_PHONE), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    @validates("name")
    def _fold(self, _key, name: str) -> str:
        self.name_key = folded(name)
        return name


class POStatus(Vocabulary):
    DRAFT = "draft", _l("Draft")
    ORDERED = "ordered", _l("Placed")
    PARTIALLY_RECEIVED = "partially_received", _l("Partially received")
    RECEIVED = "received", _l("Received")
    CLOSED = "closed", _l("Closed")


# A PO in these states is waiting for goods: receipts may be made against it.
RECEIVING = (POStatus.ORDERED, POStatus.PARTIALLY_RECEIVED)


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(MAX_NUMBER), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    expected_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[POStatus] = mapped_column(stored_as(POStatus, 24), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list["POLine"]] = relationship(order_by="POLine.id")


class POLine(db.Model):
    """One variant of a PO. What was received is derived from approved receipts;
    ``cancelled`` is the remainder recorded when the PO was closed."""

    __tablename__ = "po_lines"
    __table_args__ = (
        UniqueConstraint("po_id", "variant_id"),
        CheckConstraint("ordered > 0", name="ordered_positive"),
        CheckConstraint("cancelled >= 0", name="cancelled_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    ordered: Mapped[int] = mapped_column(Int64)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    cancelled: Mapped[int] = mapped_column(Int64, default=0)

    variant: Mapped[Variant] = relationship()


class ReceiptReason(Vocabulary):
    """Why a receipt line differs from what was expected."""

    SHORT = "short", _l("Short")
    OVER = "over", _l("Over")
    DAMAGED = "damaged", _l("Damaged")
    WRONG = "wrong", _l("Wrong item")
    OTHER = "other", _l("Other")


class Receipt(db.Model):
    """A receipt's header beside its document (``documents`` row, kind receipt):
    the document carries the number, state, note and operator."""

    __tablename__ = "receipts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list["ReceiptLine"]] = relationship(order_by="ReceiptLine.id")


class ReceiptLine(db.Model):
    """What arrived of one variant: ``received`` joins sellable stock in ``location``
    once the receipt is approved; ``damaged`` never does."""

    __tablename__ = "receipt_lines"
    __table_args__ = (
        CheckConstraint("received >= 0 AND damaged >= 0", name="not_negative"),
        # A line says what arrived, or (with a reason: short) why nothing did.
        CheckConstraint("received + damaged > 0 OR reason <> ''", name="something_to_say"),
        Index("ix_receipt_lines_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("receipts.document_id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    received: Mapped[int] = mapped_column(Int64)
    damaged: Mapped[int] = mapped_column(Int64, default=0)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    variant: Mapped[Variant] = relationship()


class Setting(db.Model):
    """A setting managers change in the app (receiving tolerance, approvals)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
