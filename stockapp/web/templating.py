"""What templates show: numbers and times in the user's language, and the enums whose
``label_of`` gives the user's word for a stored value (template globals)."""

import re
from datetime import UTC, date, datetime
from functools import cache

from babel import Locale, dates
from babel.numbers import get_group_symbol
from flask import Flask, url_for
from flask_babel import format_datetime, format_decimal, get_locale, get_timezone

from ..access import Reads
from ..models import (
    DocumentStatus,
    MovementKind,
    OrderStatus,
    POStatus,
    ReceiptReason,
    Role,
    SupplierReturnReason,
    WriteOffReason,
)

# What a URL carries as it is, in a path and in a query string alike.
PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def init_app(app: Flask) -> None:
    app.add_template_filter(local_number, "number")
    app.add_template_filter(local_datetime, "datetime")
    # The enums, whose label_of gives the user's word for a stored value.
    for vocabulary in (
        DocumentStatus,
        MovementKind,
        OrderStatus,
        POStatus,
        ReceiptReason,
        Role,
        SupplierReturnReason,
        WriteOffReason,
    ):
        app.add_template_global(vocabulary, vocabulary.__name__)
    app.add_template_global(Reads, "Reads")
    app.add_template_global(get_locale)
    app.add_template_global(LocalClock, "local_clock")
    app.add_template_global(UrlPattern, "url_pattern")


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


class LocalClock:
    """Times of many rows in the user's language and timezone, as ``|dateformat('short')``
    and ``|timeformat('medium')`` write them: the locale, the timezone and the patterns
    are looked up once per page rather than per row, and each day is written once."""

    def __init__(self):
        self.locale = get_locale()
        self.zone = get_timezone()
        self._date = dates.parse_pattern(dates.get_date_format("short", self.locale))
        self._time = dates.parse_pattern(dates.get_time_format("medium", self.locale))
        self._days: dict[date, str] = {}

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.zone.normalize(moment.astimezone(self.zone))

    def date(self, moment: datetime) -> str:
        day = self._local(moment).date()
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = self._date.apply(day, self.locale)
        return text

    def time(self, moment: datetime) -> str:
        return self._time.apply(self._local(moment), self.locale)


class UrlPattern:
    """``url_for(endpoint, **{name: value})`` for the many values of a page's rows, built
    once: the URL is made with a marker for ``name`` and cut around it. A value that a
    URL would quote (rare: ids, document numbers and style codes seldom need it) is
    left to url_for."""

    MARKER = "192837465"

    def __init__(self, endpoint: str, name: str):
        self.endpoint, self.name = endpoint, name
        marked = url_for(endpoint, **{name: int(self.MARKER)})
        self.head, found, self.tail = marked.partition(self.MARKER)
        if not found:
            raise ValueError(f"{endpoint}'s URL does not show {name}")

    def __call__(self, value) -> str:
        text = str(value)
        if PLAIN.fullmatch(text):
            return f"{self.head}{text}{self.tail}"
        return url_for(self.endpoint, **{self.name: value})
