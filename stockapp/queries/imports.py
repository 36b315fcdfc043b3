"""The stock sheet (库存表): the stock one row per style × colour and a column per size,
filtered like the product list. No writes."""

from sqlalchemy import select

from ..extensions import db
from ..models import Style
from .catalogue import style_page
from .pager import FIRST, Cursor
from .stock import stock_levels

# Styles read per query while the sheet is put together.
BATCH = 500


def stock_sheet(*, search: str = "", category: str = "", limit: int) -> tuple[list[str], list]:
    """The sizes in the sheet's order (each style's run merged into one), and a row per
    active style × colour of the styles the product list shows for ``search`` and
    ``category``, by code: its fields and per size on hand, reserved and available.
    At most ``limit`` rows."""
    sizes: list[str] = []
    rows: list[dict] = []
    cursor = FIRST
    while len(rows) < limit:
        page = style_page(search=search, category=category, cursor=cursor, per_page=BATCH)
        codes = [style["code"] for style in page.rows]
        styles = db.session.scalars(
            select(Style).where(Style.code.in_(codes)).order_by(Style.code)
        ).all()
        variants = [v for s in styles for v in s.variants if not v.archived]
        levels = stock_levels(v.id for v in variants)
        by_code = {s.code: s for s in styles}
        for code in codes:
            style = by_code[code]
            _merge(sizes, style.sizes)
            for colour in style.colours:
                cells = {
                    v.size: (v, levels[v.id])
                    for v in style.variants
                    if v.colour == colour and not v.archived
                }
                if cells:
                    rows.append({"style": style, "colour": colour, "cells": cells})
        if not page.has_next:
            break
        cursor = Cursor(after=page.next_cursor, number=page.number + 1)
    return sizes, rows[:limit]


def _merge(into: list[str], run: list[str]) -> None:
    """Add a style's sizes to the sheet's: each new one after the size before it in
    its own run (36 37 38 and 38 39 make 36 37 38 39)."""
    place = 0
    for size in run:
        if size in into:
            place = into.index(size) + 1
        else:
            into.insert(place, size)
            place += 1
