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
from .warehouse import Location, Warehouse

__all__ = [
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
    "Role",
    "Style",
    "User",
    "Variant",
    "Warehouse",
    "document_number",
]
