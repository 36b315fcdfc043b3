"""The tables of StockApp, one module per area."""

from .accounts import (
    ApiToken,
    AuditAction,
    AuditEntry,
    AuditSubject,
    LoginThrottle,
    Role,
    TokenState,
    User,
    UserSession,
)
from .catalogue import Colour, SizeGroup, Style, Variant
from .imports import Import, ImportState
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
from .purchasing import (
    RECEIVING,
    POLine,
    POStatus,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    ReceiptReason,
    Setting,
    Supplier,
)
from .search import SEARCHED, search_table
from .warehouse import Location, Warehouse

__all__ = [
    "ACTIVE",
    "RECEIVING",
    "SEARCHED",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "AuditSubject",
    "Balance",
    "Colour",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "IdempotencyRecord",
    "Import",
    "ImportState",
    "Location",
    "LoginThrottle",
    "Movement",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "POLine",
    "POStatus",
    "PurchaseOrder",
    "Receipt",
    "ReceiptLine",
    "ReceiptReason",
    "ReturnCondition",
    "Role",
    "Setting",
    "SizeGroup",
    "StockVersion",
    "Style",
    "Supplier",
    "TokenState",
    "User",
    "UserSession",
    "Variant",
    "Warehouse",
    "document_number",
    "search_table",
]
