"""Returns to the supplier (退供应商): pieces sent back to the supplier they came from,
out of a quarantine bin or a sellable one, against a purchase order or not.

A return's header sits beside its document (``documents`` row, kind supplier_return),
as a write-off's does; its lines say which pieces leave which bin. The pieces leave
stock only once it is posted (approved).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .catalogue import Variant
from .ledger import Int64
from .vocabulary import Vocabulary, stored_as
from .warehouse import Location


class SupplierReturnReason(Vocabulary):
    """Why pieces go back to the supplier (the words of a receipt's reasons)."""

    DAMAGED = "damaged", _l("Damaged")
    WRONG = "wrong", _l("Wrong item")
    OVER = "over", _l("Over")
    OTHER = "other", _l("Other")


class SupplierReturn(db.Model):
    """A return's header beside its document, which carries the number, state, note and
    operator: the supplier, the PO it goes back against (if any), the warehouse its bins
    are in, the reason, and the manager's decision."""

    __tablename__ = "supplier_returns"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    reason: Mapped[SupplierReturnReason] = mapped_column(stored_as(SupplierReturnReason, 16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list["SupplierReturnLine"]] = relationship(order_by="SupplierReturnLine.id")


class SupplierReturnLine(db.Model):
    """How many pieces of one variant leave one bin (a variant may leave several)."""

    __tablename__ = "supplier_return_lines"
    __table_args__ = (
        UniqueConstraint("document_id", "variant_id", "location_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("supplier_returns.document_id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    qty: Mapped[int] = mapped_column(Int64)

    variant: Mapped[Variant] = relationship()
    location: Mapped[Location] = relationship()
