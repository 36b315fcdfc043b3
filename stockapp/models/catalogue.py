"""Styles (款) and their variants (SKU: one colour × size)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db
from .ledger import Int64

MAX_CODE = 32
MAX_NAME = 120
MAX_CATEGORY = 60
MAX_UNIT = 16
MAX_SIZE = 20
MAX_COLOUR = 40
MAX_SKU = 100
MAX_BARCODE = 32
# The price columns are Numeric(12, 2).
MAX_PRICE = Decimal("9999999999.99")


class Style(db.Model):
    __tablename__ = "styles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), index=True)
    category: Mapped[str] = mapped_column(String(MAX_CATEGORY), default="", index=True)
    unit: Mapped[str] = mapped_column(String(MAX_UNIT), default="")
    cost_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    sale_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    variants: Mapped[list["Variant"]] = relationship(
        back_populates="style", order_by="(Variant.colour_rank, Variant.size_rank)"
    )

    @property
    def sizes(self) -> list[str]:
        """The size run in its order (S M L …), taken from the variants."""
        return _ordered_unique((v.size_rank, v.size) for v in self.variants)

    @property
    def colours(self) -> list[str]:
        """The colours in their order; ``[""]`` for a style without colours."""
        return _ordered_unique((v.colour_rank, v.colour) for v in self.variants)


def _ordered_unique(ranked) -> list[str]:
    return [label for _, label in sorted(set(ranked))]


class Variant(db.Model):
    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("style_id", "colour", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    style_id: Mapped[int] = mapped_column(ForeignKey("styles.id"), index=True)
    # "" for a style sold without colours.
    colour: Mapped[str] = mapped_column(String(MAX_COLOUR), default="")
    colour_rank: Mapped[int] = mapped_column(default=0)
    size: Mapped[str] = mapped_column(String(MAX_SIZE))
    size_rank: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str] = mapped_column(String(MAX_SKU), unique=True)
    # Filled with a generated EAN-13 right after insert when none is given.
    barcode: Mapped[str | None] = mapped_column(String(MAX_BARCODE), unique=True)
    # Indexed: the managers' to-do counts the low variants among those with a threshold.
    low_stock_threshold: Mapped[int | None] = mapped_column(Int64, index=True)
    archived: Mapped[bool] = mapped_column(default=False)

    style: Mapped[Style] = relationship(back_populates="variants")


MAX_GROUP_NAME = 40
MAX_COLOUR_CODE = 16
# Sizes in one size group: a shoe or coat run is about a dozen.
MAX_GROUP_SIZES = 40


class SizeGroup(db.Model):
    """A reusable size run (尺码组): S–3XL, 36–46, 均码 … A style's sizes are chosen
    from one, or typed; the style keeps its own copy in its variants."""

    __tablename__ = "size_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_GROUP_NAME), unique=True)
    # The sizes in their order, as a JSON list of strings.
    sizes: Mapped[list[str]] = mapped_column(JSON)


class Colour(db.Model):
    """A colour of the colour list (颜色表), with an optional code (01, BK …) that a
    shop prints or uses in its SKUs."""

    __tablename__ = "colours"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_COLOUR), unique=True)
    code: Mapped[str] = mapped_column(String(MAX_COLOUR_CODE), default="")
