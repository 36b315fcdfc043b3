"""Suggested numbers for new documents typed by hand (orders, purchase orders). No writes."""

from datetime import datetime

from flask_babel import format_datetime, get_timezone
from sqlalchemy import select

from ..extensions import db


def next_number(column, prefix: str) -> str:
    """A suggestion: ``prefix``, today's date where the app is, and the first free
    sequence number of the day in ``column`` (PH20261201-003). Only a suggestion:
    the service still refuses a number that is taken by the time it is saved."""
    stem = prefix + format_datetime(datetime.now(get_timezone()), "yyyyMMdd") + "-"
    taken = set(db.session.scalars(select(column).where(column.startswith(stem))))
    n = len(taken) + 1
    while f"{stem}{n:03d}" in taken:
        n += 1
    return f"{stem}{n:03d}"
