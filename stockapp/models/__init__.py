"""The tables of StockApp, one module per area."""

from .accounts import ApiToken, LoginThrottle, Role, User
from .catalogue import Style, Variant
from .ledger import (
    Balance,
    Document,
    DocumentKind,
    DocumentStatus,
    IdempotencyRecord,
    Movement,
    MovementKind,
    document_number,
)
from .orders import ACTIVE, Order, OrderLine, OrderStatus, ReturnCondition, StockVersion
from .warehouse import Location, Warehouse

__all__ = [
    "ACTIVE",
    "ApiToken",
    "Balance",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "IdempotencyRecord",
    "Location",
    "LoginThrottle",
    "Movement",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "ReturnCondition",
    "Role",
    "StockVersion",
    "Style",
    "User",
    "Variant",
    "Warehouse",
    "document_number",
]
