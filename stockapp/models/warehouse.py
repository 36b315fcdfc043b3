"""Warehouses (仓库) and their locations (货位). Stock always sits in a location."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .catalogue import Variant
from .ledger import Int64
from .vocabulary import Vocabulary, stored_as

MAX_WAREHOUSE = 20
MAX_WAREHOUSE_NAME = 80
MAX_LOCATION = 32
MAX_ZONE = 40
MAX_LOCATION_NAME = 40

# The code of a warehouse's transit location: outside the location codes a user may
# give (they start with a letter or a digit), so it never takes one.
TRANSIT_LOCATION = "~TRANSIT"

# The default location until a manager names it: its code, DEFAULT, is not a word.
DEFAULT_LOCATION_NAME = _l("Default location")


def shown_name(code: str, name: str, is_default: bool) -> str:
    """What screens and printouts call a location: the name a manager gave it, else
    for the default location "Default location" in the user's language, else its code."""
    if name:
        return name
    return str(DEFAULT_LOCATION_NAME) if is_default else code


class Warehouse(db.Model):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_WAREHOUSE), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_WAREHOUSE_NAME))
    # A deactivated warehouse keeps its locations and history; it holds no stock and
    # takes no new locations until it is reactivated.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class UserWarehouse(db.Model):
    """A warehouse a user works in (``users.all_warehouses`` gives a manager every one)."""

    __tablename__ = "user_warehouses"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("warehouses.id"), primary_key=True, index=True
    )


class Location(db.Model):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("warehouse_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    code: Mapped[str] = mapped_column(String(MAX_LOCATION))
    is_default: Mapped[bool] = mapped_column(default=False)
    # Server defaults too: these columns came after locations were in use.
    zone: Mapped[str] = mapped_column(String(MAX_ZONE), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What screens and printouts call it; "" shows the code (the default location's
    # translated name for the default location).
    name: Mapped[str] = mapped_column(String(MAX_LOCATION_NAME), default="", server_default="")
    # Damaged goods are kept here, apart from sellable stock.
    is_quarantine: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Goods shipped to this warehouse and not yet received (在途): one such location per
    # warehouse (TRANSIT_LOCATION), made with it. Its stock is in neither warehouse's on
    # hand; only transfers post to it.
    is_transit: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def shown_name(self) -> str:
        return shown_name(self.code, self.name, self.is_default)


def sellable_location():
    """SQL: the location (``Location``) holds sellable stock: neither quarantine nor transit."""
    return ~Location.is_quarantine & ~Location.is_transit


class WriteOffReason(Vocabulary):
    """Why goods leave stock by a write-off (报损)."""

    DAMAGED = "damaged", _l("Damaged")
    LOST = "lost", _l("Lost")
    SAMPLE = "sample", _l("Sample")
    OTHER = "other", _l("Other")


class WriteOff(db.Model):
    """A write-off's header beside its document (``documents`` row, kind write_off):
    the document carries the number, state, note and operator. Its pieces leave one
    location; they leave stock only once it is posted (approved)."""

    __tablename__ = "write_offs"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    reason: Mapped[WriteOffReason] = mapped_column(stored_as(WriteOffReason, 16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list["WriteOffLine"]] = relationship(order_by="WriteOffLine.id")


class WriteOffLine(db.Model):
    """How many pieces of one variant a write-off takes out of its location."""

    __tablename__ = "write_off_lines"
    __table_args__ = (
        UniqueConstraint("document_id", "variant_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("write_offs.document_id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    qty: Mapped[int] = mapped_column(Int64)

    variant: Mapped[Variant] = relationship()
