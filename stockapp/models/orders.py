"""Allocation orders (配货单): customer orders picked per size, and what they reserve."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .catalogue import Variant
from .ledger import MAX_NUMBER, Int64
from .vocabulary import Vocabulary, stored_as
from .warehouse import Warehouse

MAX_CUSTOMER = 120


class OrderStatus(Vocabulary):
    OPEN = "open", _l("Open")
    PICKING = "picking", _l("Picking")
    COMPLETED = "completed", _l("Completed")
    CANCELLED = "cancelled", _l("Cancelled")


# While an order is in one of these states its lines reserve stock and may be picked.
ACTIVE = (OrderStatus.OPEN, OrderStatus.PICKING)


class ReturnCondition(Vocabulary):
    RESELLABLE = "resellable", _l("Resellable")
    DAMAGED = "damaged", _l("Damaged")


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        # The managers' to-do counts the orders picked in full without reading their lines.
        Index("ix_orders_picked_in_full_status", "picked_in_full", "status"),
        # What a warehouse's active orders reserve, and the orders of a user's warehouses.
        Index("ix_orders_warehouse_id_status", "warehouse_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(MAX_NUMBER), unique=True)
    customer: Mapped[str] = mapped_column(String(MAX_CUSTOMER), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OrderStatus] = mapped_column(stored_as(OrderStatus, 16), index=True)
    # Where the order ships from: its picks come out of this warehouse's bins, and what
    # it reserves counts against this warehouse's stock.
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Every line picked in full (picked = ordered): it waits for 配货完成. Kept by the
    # picks (services.orders.pick), in their transaction.
    picked_in_full: Mapped[bool] = mapped_column(default=False, server_default=false())

    lines: Mapped[list["OrderLine"]] = relationship(order_by="OrderLine.id")
    warehouse: Mapped[Warehouse] = relationship()


class OrderLine(db.Model):
    """One variant of an order: how many were ordered, picked, shipped and returned."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "variant_id"),
        CheckConstraint("ordered > 0", name="ordered_positive"),
        CheckConstraint("picked >= 0 AND picked <= ordered", name="picked_within_ordered"),
        CheckConstraint("returned >= 0 AND returned <= shipped", name="returned_within_shipped"),
        # What is reserved per variant: the lines of open and picking orders.
        Index("ix_order_lines_variant_id_reserving", "variant_id", "reserving", "ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    ordered: Mapped[int] = mapped_column(Int64)
    picked: Mapped[int] = mapped_column(Int64, default=0)
    shipped: Mapped[int] = mapped_column(Int64, default=0)
    returned: Mapped[int] = mapped_column(Int64, default=0)
    # True while the order is open or picking; kept with the order's status.
    reserving: Mapped[bool] = mapped_column(default=True)

    variant: Mapped[Variant] = relationship()


class StockVersion(db.Model):
    """Counters that rise with every committed change of stock, reservations or picks.

    Their sum is the version the live-count check compares. Each writing
    transaction bumps one of several rows, chosen at random, so that writers
    do not queue on a single row; any commit raises the sum.
    """

    __tablename__ = "stock_versions"

    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
