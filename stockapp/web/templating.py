"""What templates show: numbers and times in the user's language, and the user's
words for roles, movement kinds, reasons and documents (template globals)."""

from datetime import datetime
from functools import cache

from babel import Locale
from babel.numbers import get_group_symbol
from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l

from ..models import DocumentKind, MovementKind, ReceiptReason, Role
from ..services.orders import status_name as order_status_name
from ..services.purchasing import status_name as po_status_name
from ..services.receiving import receipt_status_name


def init_app(app: Flask) -> None:
    app.add_template_filter(local_number, "number")
    app.add_template_filter(local_datetime, "datetime")
    for name, value in {
        "role_name": role_name,
        "kind_name": kind_name,
        "reason_name": reason_name,
        "order_status_name": order_status_name,
        "po_status_name": po_status_name,
        "receipt_status_name": receipt_status_name,
        "Role": Role,
        "get_locale": get_locale,
    }.items():
        app.add_template_global(value, name)


@cache
def _group_symbol(locale: Locale) -> str:
    return get_group_symbol(locale)


def local_number(value) -> str:
    """A number as the user's language writes it (1,504). Whole numbers, the common
    case on every page, skip Babel's pattern machinery, which is slow in a loop."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", _group_symbol(get_locale()))
    return format_decimal(value)


def local_datetime(value: datetime | str, format: str = "short") -> str:
    """A stored UTC time (or its ISO text) in the user's language and the app's timezone."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return format_datetime(when, format)


ROLE_NAMES = {Role.VIEWER: _l("Viewer"), Role.CLERK: _l("Clerk"), Role.MANAGER: _l("Manager")}


def role_name(role: str) -> str:
    return str(ROLE_NAMES[Role(role)])


KIND_NAMES = {
    MovementKind.INBOUND: _l("Inbound"),
    MovementKind.STOCKTAKE: _l("Stocktake"),
    MovementKind.ALLOCATION: _l("Allocation"),
    MovementKind.RETURN: _l("Return"),
    MovementKind.WRITE_OFF: _l("Write-off"),
    MovementKind.TRANSFER_OUT: _l("Transfer out"),
    MovementKind.TRANSFER_IN: _l("Transfer in"),
    MovementKind.REVERSAL: _l("Reversal"),
}


def kind_name(kind: str) -> str:
    """The user's word for a kind of movement (入库, 盘点 …)."""
    return str(KIND_NAMES[MovementKind(kind)])


REASON_NAMES = {
    ReceiptReason.SHORT: _l("Short"),
    ReceiptReason.OVER: _l("Over"),
    ReceiptReason.DAMAGED: _l("Damaged"),
    ReceiptReason.WRONG: _l("Wrong item"),
    ReceiptReason.OTHER: _l("Other"),
}


def reason_name(reason: str) -> str:
    """The user's word for why a receipt line differs ("" for none)."""
    return str(REASON_NAMES[ReceiptReason(reason)]) if reason else ""


# The stock logs: a log is a set of movement kinds (queries.movements.LOGS).
LOG_NAMES = {
    "all": _l("All movements"),
    "inbound": _l("Inbound log"),
    "adjustment": _l("Adjustment log"),
}
DOCUMENT_NAMES = {
    DocumentKind.RECEIPT.value: _l("Receipt"),
    DocumentKind.STOCKTAKE.value: _l("Stocktake"),
    DocumentKind.REVERSAL.value: _l("Reversal"),
    DocumentKind.ALLOCATION.value: _l("Allocation"),
    DocumentKind.RETURN.value: _l("Return"),
}
