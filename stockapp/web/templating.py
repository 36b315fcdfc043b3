"""What templates show: numbers and times in the user's language, and the enums whose
``label_of`` gives the user's word for a stored value (template globals)."""

from datetime import datetime
from functools import cache

from babel import Locale
from babel.numbers import get_group_symbol
from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale

from ..access import Reads
from ..models import DocumentStatus, MovementKind, OrderStatus, POStatus, ReceiptReason, Role


def init_app(app: Flask) -> None:
    app.add_template_filter(local_number, "number")
    app.add_template_filter(local_datetime, "datetime")
    # The enums, whose label_of gives the user's word for a stored value.
    for vocabulary in (DocumentStatus, MovementKind, OrderStatus, POStatus, ReceiptReason, Role):
        app.add_template_global(vocabulary, vocabulary.__name__)
    app.add_template_global(Reads, "Reads")
    app.add_template_global(get_locale)


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
